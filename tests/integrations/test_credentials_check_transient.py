"""A credentials check the ATS could not answer (429, 5xx, network) judges nothing: the
integration keeps its status and the admin is told the ATS was unavailable, not that the
credentials are wrong. A 401 still ends in needs re-authorization. Against the built-in Knit
sandbox with its fault injection (fail_next), as a customer would see it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from integrations.base import ATSAmbiguousError, ATSServerError
from integrations.models import ActivityLevel, IntegrationActivity, IntegrationStatus
from integrations.providers.knit.provider import KnitProvider
from integrations.providers.knit.services import knit_credentials_save
from integrations.providers.knit.simulator import (
    sim_account_create,
    sim_account_register,
    sim_account_update,
)
from integrations.services.integrations import integration_create

# The call that failed is Knit's API, so the sentence names Knit, not "Ashby via Knit"
# (ATSProvider.api_vendor_name); it is worded from the error's class and status, never from the
# vendor's text, which can say "we retry with backoff" (nothing retries a check).
UNREACHABLE = "Could not check the credentials: Knit"
NOT_JUDGED = "The credentials were not judged; try again in a few minutes."
NOT_CHECKED = "New credentials saved but not checked: Knit"


@pytest.fixture(autouse=True)
def no_shared_rate_limiter(monkeypatch):
    """As tests/integrations/providers/knit/conftest.py: these tests are about the check, not
    the shared limiter, whose file lock refuses a call now and then under contention."""
    from integrations.services import ratelimit

    monkeypatch.setattr(ratelimit, "rate_limit_acquire", lambda **kwargs: None)


@pytest.fixture
def account(simulators):
    return sim_account_create("Acme (Ashby)")


@pytest.fixture
def knit_pending(workspace, user):
    return integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )


@pytest.fixture
def knit_connected(knit_pending, account):
    assert knit_credentials_save(
        integration=knit_pending,
        api_key=account["api_key"],
        integration_id=account["integration_id"],
        use_simulator=True,
    )
    knit_pending.refresh_from_db()
    assert knit_pending.status == IntegrationStatus.CONNECTED
    return knit_pending


def press_test_now(client, integration):
    return client.post(reverse("integrations:action", args=[integration.pk, "test"]), follow=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "cause", "vendor_text"),
    [
        ("503", " answered 503 (a failure on its side; Knit request id exe_", "Simulated failure 503."),
        ("429", " is rate-limiting JobCannon (Knit request id exe_", "Simulated failure 429."),
    ],
)
def test_test_credentials_now_during_a_knit_outage_keeps_the_integration_connected(
    client_in_workspace, knit_connected, account, status, cause, vendor_text
):
    sim_account_update(account["integration_id"], fail_next=[status])
    page = press_test_now(client_in_workspace, knit_connected).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED
    # Nothing was judged: the health banner does not go on about it once the outage is over.
    assert knit_connected.status_reason == ""
    flash = re.search(r'<li class="msg-warning">(.*?)</li>', page, re.S)
    assert flash, page
    assert flash[1].startswith(f"{UNREACHABLE}{cause}") and flash[1].endswith(NOT_JUDGED)
    assert vendor_text not in flash[1], "the vendor's own wording is for the log, not this sentence"
    assert "Needs re-authorization" not in page
    activity = IntegrationActivity.objects.filter(integration=knit_connected).latest("created_at")
    assert activity.kind == "credentials.unreachable" and activity.level == ActivityLevel.WARNING
    assert f"{UNREACHABLE}{cause}" in activity.message
    assert vendor_text in activity.data["vendor_message"]


@pytest.mark.django_db
def test_a_network_timeout_during_the_check_keeps_the_integration_connected(
    client_in_workspace, knit_connected, monkeypatch
):
    def timeout(self, integration):
        raise ATSAmbiguousError("Read timed out after 10 s.")

    monkeypatch.setattr(KnitProvider, "validate_credentials", timeout)
    page = press_test_now(client_in_workspace, knit_connected).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED
    assert f"{UNREACHABLE} could not be reached (no answer in time). {NOT_JUDGED}" in page


@pytest.mark.django_db
def test_a_knit_outage_during_setup_does_not_demote_a_connected_integration(
    client_in_workspace, knit_connected, monkeypatch
):
    def outage(self, integration):
        raise ATSServerError("Knit answered 502.", status_code=502)

    monkeypatch.setattr(KnitProvider, "on_connected", outage)
    page = press_test_now(client_in_workspace, knit_connected).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED and knit_connected.status_reason == ""
    assert (
        "The credentials work, but the setup could not finish: Knit answered 502 (a failure on its "
        "side). Try again in a few minutes."
    ) in page
    assert knit_connected.credentials_checked_at is not None


@pytest.mark.django_db
def test_a_refused_api_key_still_needs_reauthorization(client_in_workspace, knit_connected):
    knit_connected.credentials = {**knit_connected.credentials, "api_key": "knit_not_the_key"}
    knit_connected.save(update_fields=["credentials"])
    page = press_test_now(client_in_workspace, knit_connected).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.NEEDS_REAUTH
    assert "rejected the API key" in knit_connected.status_reason
    assert UNREACHABLE not in page


@pytest.mark.django_db
def test_first_check_during_an_outage_stays_pending_and_says_knit_was_unavailable(
    client_in_workspace, knit_pending, account
):
    sim_account_update(account["integration_id"], fail_next=["503"])
    response = client_in_workspace.post(
        reverse("integrations:integration-knit:setup", args=[knit_pending.pk]),
        {"api_key": account["api_key"], "integration_id": account["integration_id"], "use_simulator": "on"},
        follow=True,
    )
    knit_pending.refresh_from_db()
    assert knit_pending.status == IntegrationStatus.PENDING
    assert knit_pending.status_reason.startswith(f"{NOT_CHECKED} answered 503 (a failure on its side")
    assert NOT_CHECKED in response.content.decode()


def post_api_key(client, integration, api_key):
    return client.post(
        reverse("integrations:action", args=[integration.pk, "api-key"]), {"api_key": api_key}, follow=True
    )


@pytest.mark.django_db
def test_a_new_api_key_saved_during_an_outage_is_not_called_wrong_nor_valid(
    client_in_workspace, knit_connected, account
):
    # The customer made a new key in Knit's dashboard; Knit then goes down before we can check it.
    new_key = "knit_sandbox_a_new_key_0002"
    sim_account_register(api_key=new_key, integration_id=account["integration_id"])
    sim_account_update(account["integration_id"], fail_next=["503"])
    page = post_api_key(client_in_workspace, knit_connected, new_key).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.credential("api_key") == new_key
    # Knit never saw the new key: not "Connected, credentials valid", and not "wrong" either.
    assert knit_connected.status == IntegrationStatus.PENDING
    assert knit_connected.status_reason.startswith(f"{NOT_CHECKED} answered 503 (a failure on its side")
    assert knit_connected.status_reason.endswith("Try again in a few minutes.")
    assert NOT_CHECKED in page and 'class="msg-error"' not in page
    assert "rejected the API key" not in page and "Needs re-authorization" not in page
    assert knit_connected.credentials_checked_at is None

    # Knit is back: Test now judges the new key and connects.
    assert press_test_now(client_in_workspace, knit_connected).status_code == 200
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED and knit_connected.status_reason == ""


@pytest.mark.django_db
def test_the_same_api_key_saved_again_during_an_outage_keeps_the_integration_connected(
    client_in_workspace, knit_connected, account
):
    sim_account_update(account["integration_id"], fail_next=["503"])
    page = post_api_key(client_in_workspace, knit_connected, account["api_key"]).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED and knit_connected.status_reason == ""
    assert knit_connected.credentials_checked_at is not None
    assert f"{UNREACHABLE} answered 503" in page and NOT_CHECKED not in page


@pytest.mark.django_db
def test_the_checklists_test_now_during_an_outage_says_the_ats_was_unavailable(
    client_in_workspace, knit_connected, account
):
    sim_account_update(account["integration_id"], fail_next=["503"])
    page = client_in_workspace.post(
        reverse("integrations:checklist-action", args=[knit_connected.pk, "test"]), follow=True
    ).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED
    assert f"{UNREACHABLE} answered 503 (a failure on its side" in page
    assert "The check failed." not in page


@pytest.mark.django_db
def test_the_admins_test_credentials_action_during_an_outage_says_the_ats_was_unavailable(
    client, knit_connected, account, django_user_model
):
    staff = django_user_model.objects.create_superuser("ops@example.com", "ops@example.com", "x" * 16)
    client.force_login(staff)
    sim_account_update(account["integration_id"], fail_next=["503"])
    page = client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "test_credentials", "_selected_action": [knit_connected.pk]},
        follow=True,
    ).content.decode()
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED
    assert f"{UNREACHABLE} answered 503 (a failure on its side" in page
