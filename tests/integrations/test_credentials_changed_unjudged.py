"""Credentials saved in the same request as a check the ATS could not answer (429, 5xx,
network): the ATS never saw them, so the integration is not left "Connected, credentials valid"
on the strength of the previous credentials' check. It waits, pending, with a sentence that says
the new credentials were saved but not checked. The same credentials saved again during an
outage keep the status (tests/integrations/test_credentials_check_transient.py). Also the Knit
setup page's flash when Knit could not judge, and the success flashes that must still name a
permission the key lacks."""

from __future__ import annotations

import re

import pytest
import requests
from django.urls import reverse

from integrations.models import IntegrationStatus
from integrations.providers.knit import constants as knit_constants
from integrations.providers.knit.services import knit_credentials_save
from integrations.providers.knit.simulator import sim_account_create, sim_account_register, sim_account_update
from integrations.services.integrations import integration_create
from tests.factories import IntegrationFactory

NOT_CHECKED = "New credentials saved but not checked:"


@pytest.fixture(autouse=True)
def no_shared_rate_limiter(monkeypatch):
    """As test_credentials_check_transient.py: these tests are about the check, not the limiter."""
    from integrations.services import ratelimit

    monkeypatch.setattr(ratelimit, "rate_limit_acquire", lambda **kwargs: None)


@pytest.fixture
def account(simulators):
    return sim_account_create("Acme (Ashby)")


@pytest.fixture
def knit(workspace, user, account):
    integration = integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )
    assert knit_credentials_save(
        integration=integration,
        api_key=account["api_key"],
        integration_id=account["integration_id"],
        use_simulator=True,
    )
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED and integration.credentials_checked_at
    return integration


def knit_setup_post(client, integration, **data):
    return client.post(
        reverse("integrations:integration-knit:setup", args=[integration.pk]),
        {"api_key": "", "use_simulator": "on", **data},
        follow=True,
    )


def flash(page: str, level: str) -> list[str]:
    return [re.sub(r"\s+", " ", m) for m in re.findall(rf'<li class="msg-{level}">(.*?)</li>', page, re.S)]


def credentials_item(client, integration) -> str:
    """The checklist's "Credentials valid" line, as the checklist page shows it."""
    page = client.get(reverse("integrations:checklist", args=[integration.pk])).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# --- Knit's setup page: a different integration id, or off the simulator -----------------------


@pytest.mark.django_db
def test_a_changed_knit_integration_id_saved_while_knit_fails_leaves_the_integration_pending(
    client_in_workspace, knit, account
):
    # The customer's Ashby integration in Knit under another id; Knit answers 503 to its check.
    other = sim_account_register(api_key=account["api_key"], integration_id="int_another_ashby_0002")
    sim_account_update(other["integration_id"], fail_next=["503"])

    page = knit_setup_post(client_in_workspace, knit, integration_id=other["integration_id"]).content.decode()

    knit.refresh_from_db()
    assert knit.credential("integration_id") == other["integration_id"]
    assert knit.status == IntegrationStatus.PENDING
    assert knit.status_reason.startswith(f"{NOT_CHECKED} Knit answered 503 (a failure on its side")
    assert knit.credentials_checked_at is None, "no check of these credentials has succeeded"
    warnings = flash(page, "warning")
    assert warnings and warnings[0].startswith(f"{NOT_CHECKED} Knit answered 503"), page
    assert "setup is not complete" not in page
    # The checklist does not call credentials Knit never saw valid.
    text = credentials_item(client_in_workspace, knit)
    assert "succeeded (last checked" not in text
    assert f"{NOT_CHECKED} Knit answered 503" in text


@pytest.mark.django_db
def test_unticking_the_simulator_while_knits_sandbox_host_cannot_be_reached_leaves_it_pending(
    knit, account, simulators
):
    """Round-2 audit's case: the check goes to api.sandbox.getknit.dev, which is not reached."""
    simulators.add(
        "GET",
        re.compile(re.escape(knit_constants.API_BASE_SANDBOX) + ".*"),
        body=requests.ConnectionError("connection refused"),
    )
    outcome = knit_credentials_save(
        integration=knit, api_key="", integration_id="int_some_other_id", use_simulator=False
    )
    knit.refresh_from_db()
    assert not outcome.ok and not outcome.judged
    assert knit.status == IntegrationStatus.PENDING
    assert knit.status_reason == f"{NOT_CHECKED} Knit could not be reached. Try again in a few minutes."
    assert outcome.message == knit.status_reason


@pytest.mark.django_db
def test_the_same_knit_credentials_saved_while_knit_fails_keep_the_integration_connected(
    client_in_workspace, knit, account
):
    sim_account_update(account["integration_id"], fail_next=["503"])
    page = knit_setup_post(
        client_in_workspace, knit, integration_id=account["integration_id"]
    ).content.decode()
    knit.refresh_from_db()
    assert knit.status == IntegrationStatus.CONNECTED and knit.status_reason == ""
    assert knit.credentials_checked_at is not None
    # Setup is complete; only this re-check could not run: a warning, not "not complete".
    warnings = flash(page, "warning")
    assert warnings and warnings[0].startswith("Could not check the credentials: Knit answered 503"), page
    assert warnings[0].endswith("The credentials were not judged; try again in a few minutes.")
    assert not flash(page, "error")
    assert "setup is not complete" not in page


@pytest.mark.django_db
def test_knit_credentials_knit_refuses_still_say_the_setup_is_not_complete(client_in_workspace, knit):
    page = knit_setup_post(
        client_in_workspace, knit, api_key="knit_not_the_key_0003", integration_id="int_unknown_0003"
    ).content.decode()
    errors = flash(page, "error")
    assert errors and errors[0].startswith("Knit setup is not complete:"), page


# --- The generic setup page's fields other than an API key (SmartRecruiters' client credentials)


@pytest.fixture
def smartrecruiters(workspace, mocked_responses):
    from integrations.providers.smartrecruiters import constants as sr

    mocked_responses.post(
        sr.CLIENT_CREDENTIALS_TOKEN_URL,
        json={"access_token": "sr-company-at", "expires_in": 1800, "token_type": "Bearer"},
    )
    mocked_responses.get(f"{sr.API_BASE}/jobs", status=503, json={"message": "busy"})
    return IntegrationFactory(
        workspace=workspace,
        provider="smartrecruiters",
        auth_kind="oauth2",
        region="us",
        status=IntegrationStatus.CONNECTED,
        credentials={
            "company_client_id": "sr-company-1",
            "company_client_secret": "sr-company-secret-1",
            sr.CUSTOMER_CLIENT_ID: "sr-customer-1",
            sr.CUSTOMER_CLIENT_SECRET: "sr-customer-secret-1",
        },
    )


def sr_credentials_post(client, integration, client_id: str, secret: str):
    from integrations.providers.smartrecruiters import constants as sr

    return client.post(
        reverse("integrations:setup", args=[integration.pk]),
        {"step": "credentials", sr.CUSTOMER_CLIENT_ID: client_id, sr.CUSTOMER_CLIENT_SECRET: secret},
    )


@pytest.mark.django_db
def test_new_client_credentials_on_the_setup_page_while_smartrecruiters_fails_leave_it_pending(
    client_in_workspace, smartrecruiters
):
    page = sr_credentials_post(
        client_in_workspace, smartrecruiters, "sr-customer-2", "sr-customer-secret-2"
    ).content.decode()
    smartrecruiters.refresh_from_db()
    assert smartrecruiters.status == IntegrationStatus.PENDING
    assert smartrecruiters.status_reason.startswith(f"{NOT_CHECKED} SmartRecruiters answered 503")
    assert NOT_CHECKED in page


@pytest.mark.django_db
def test_the_same_client_credentials_on_the_setup_page_while_smartrecruiters_fails_stay_connected(
    client_in_workspace, smartrecruiters
):
    page = sr_credentials_post(
        client_in_workspace, smartrecruiters, "sr-customer-1", "sr-customer-secret-1"
    ).content.decode()
    smartrecruiters.refresh_from_db()
    assert smartrecruiters.status == IntegrationStatus.CONNECTED
    assert "Could not check the credentials: SmartRecruiters answered 503" in page
    assert NOT_CHECKED not in page
