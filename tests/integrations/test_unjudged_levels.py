"""The same unjudged check (the ATS answered 429/5xx or was not reached) is a warning on every
page that ran it, never an error: the checklist's Test now (with and without htmx), the setup
page's credentials step, the reconnect link page. The checklist's "Credentials valid" item after
such a check waits for Test now instead of failing. And a needs-reauth integration that gets new
credentials during an outage still mails "Resolved" when Test now later connects it. Against the
built-in Knit sandbox with its fault injection (fail_next), as a customer would see it."""

# The Knit fixtures are imported from test_credentials_check_transient.py; tests name them as
# arguments, which ruff reads as redefining the import.
# ruff: noqa: F811

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from integrations.base import ATSServerError
from integrations.models import IntegrationStatus, ReconnectLink
from integrations.providers.knit.simulator import sim_account_register, sim_account_update
from integrations.services.checklist_actions import checklist_action_run
from integrations.services.integrations import integration_create
from integrations.services.reconnect import reconnect_link_create, reconnect_links_open_count
from integrations.services.status import integration_mark_needs_reauth
from tests.factories import MembershipFactory
from tests.integrations.test_credentials_check_transient import (  # noqa: F401 - fixtures
    account,
    knit_connected,
    knit_pending,
    no_shared_rate_limiter,
    post_api_key,
    press_test_now,
)

UNREACHABLE = "Could not check the credentials: Knit answered 503 (a failure on its side"
NOT_CHECKED = "New credentials saved but not checked: Knit answered 503 (a failure on its side"


def flashes(page: str) -> list[tuple[str, str]]:
    return [
        (level, re.sub(r"\s+", " ", text).strip())
        for level, text in re.findall(r'<li class="msg-(\w+)">(.*?)</li>', page, re.S)
    ]


def credentials_item(page: str) -> tuple[str, str]:
    item = re.search(
        r'<li class="check (\w+)" id="check-credentials".*?</li>\s*(?=<li class="check|</ol>)', page, re.S
    )
    assert item, page
    return item[1], re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item[0])).strip()


def checklist_page(client: Client, integration) -> str:
    return client.get(reverse("integrations:checklist", args=[integration.pk])).content.decode()


# --- the checklist's Test now -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_checklists_test_now_during_an_outage_is_a_warning_without_htmx(
    client_in_workspace, knit_connected, account
):
    sim_account_update(account["integration_id"], fail_next=["503"])
    page = client_in_workspace.post(
        reverse("integrations:checklist-action", args=[knit_connected.pk, "test"]), follow=True
    ).content.decode()
    shown = flashes(page)
    assert len(shown) == 1 and shown[0][0] == "warning", shown
    assert shown[0][1].startswith(UNREACHABLE)


@pytest.mark.django_db
def test_the_checklists_test_now_during_an_outage_is_a_warning_with_htmx(
    client_in_workspace, knit_connected, account
):
    sim_account_update(account["integration_id"], fail_next=["503"])
    fragment = client_in_workspace.post(
        reverse("integrations:checklist-action", args=[knit_connected.pk, "test"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    flash = re.search(
        r'<p class="flash ([\w -]+)" role="status" id="checklist-flash">(.*?)</p>', fragment, re.S
    )
    assert flash, fragment
    assert "warning" in flash[1].split() or "warning-warning" in flash[1].split(), flash[1]
    assert "error" not in flash[1].split()
    assert flash[2].startswith(UNREACHABLE)
    # The poll that follows shows the same remembered flash at the same level.
    polled = client_in_workspace.get(
        reverse("integrations:checklist", args=[knit_connected.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'<p class="flash {flash[1]}"' in polled


@pytest.mark.django_db
def test_a_refused_key_on_the_checklists_test_now_is_still_an_error(client_in_workspace, knit_connected):
    knit_connected.credentials = {**knit_connected.credentials, "api_key": "knit_not_the_key"}
    knit_connected.save(update_fields=["credentials"])
    fragment = client_in_workspace.post(
        reverse("integrations:checklist-action", args=[knit_connected.pk, "test"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<p class="flash error" role="status" id="checklist-flash">' in fragment, fragment


@pytest.mark.django_db
def test_checklist_action_run_says_whether_the_ats_judged(knit_connected, account):
    sim_account_update(account["integration_id"], fail_next=["503"])
    result = checklist_action_run(integration=knit_connected, action="test")
    ok, sentence = result  # still unpacks as the (ok, sentence) pair
    assert not ok and not result.judged and sentence.startswith(UNREACHABLE)
    passed = checklist_action_run(integration=knit_connected, action="test")
    assert passed.ok and passed.judged


# --- the credentials item after an unjudged check -----------------------------------------------


@pytest.mark.django_db
def test_new_credentials_saved_during_an_outage_wait_on_the_checklist_instead_of_failing(
    client_in_workspace, knit_connected, account
):
    new_key = "knit_sandbox_a_new_key_0004"
    sim_account_register(api_key=new_key, integration_id=account["integration_id"])
    sim_account_update(account["integration_id"], fail_next=["503"])
    post_api_key(client_in_workspace, knit_connected, new_key)
    state, text = credentials_item(checklist_page(client_in_workspace, knit_connected))
    assert state == "waiting", text
    assert NOT_CHECKED in text
    assert "Test now" in text
    # Knit is back: Test now judges them.
    press_test_now(client_in_workspace, knit_connected)
    state, text = credentials_item(checklist_page(client_in_workspace, knit_connected))
    assert state == "ok", text


@pytest.mark.django_db
def test_an_unjudged_check_of_a_pending_integration_waits_on_the_checklist(
    client_in_workspace, knit_pending, account, monkeypatch
):
    from integrations.providers.knit.provider import KnitProvider

    knit_pending.credentials = {"api_key": account["api_key"], "integration_id": account["integration_id"]}
    knit_pending.save(update_fields=["credentials"])

    def down(self, integration):
        raise ATSServerError("Knit answered 503.", status_code=503)

    monkeypatch.setattr(KnitProvider, "validate_credentials", down)
    press_test_now(client_in_workspace, knit_pending)
    knit_pending.refresh_from_db()
    assert knit_pending.status == IntegrationStatus.PENDING
    state, text = credentials_item(checklist_page(client_in_workspace, knit_pending))
    assert state == "waiting", text
    assert "Could not check the credentials: Knit answered 503 (a failure on its side)" in text


@pytest.mark.django_db
def test_a_refusal_after_an_unjudged_check_fails_on_the_checklist_again(
    client_in_workspace, knit_connected, account
):
    new_key = "knit_sandbox_a_new_key_0005"
    sim_account_register(api_key=new_key, integration_id=account["integration_id"])
    sim_account_update(account["integration_id"], fail_next=["503"])
    post_api_key(client_in_workspace, knit_connected, new_key)
    post_api_key(client_in_workspace, knit_connected, "knit_not_the_key_0005")
    state, text = credentials_item(checklist_page(client_in_workspace, knit_connected))
    assert state == "fail", text


# --- the setup page and the reconnect link page -------------------------------------------------


@pytest.mark.django_db
def test_save_and_check_on_the_setup_page_during_an_outage_is_a_warning_not_a_form_error(
    client_in_workspace, workspace, user, monkeypatch
):
    from integrations.providers.ashby.provider import AshbyProvider

    integration = integration_create(
        workspace=workspace, provider="ashby", environment="sandbox", auth_kind="api_key", created_by=user
    )

    def outage(self, integration):
        raise ATSServerError("Ashby answered 503.", status_code=503)

    monkeypatch.setattr(AshbyProvider, "validate_credentials", outage)
    page = client_in_workspace.post(
        reverse("integrations:setup", args=[integration.pk]),
        {"step": "credentials", "api_key": "ashby_key_example"},
        follow=True,
    ).content.decode()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING, "first credentials, never seen by Ashby"
    assert 'id="credentials-error"' not in page, "no red form error"
    shown = flashes(page)
    assert shown == [
        (
            "warning",
            "New credentials saved but not checked: Ashby answered 503 (a failure on its side). "
            "Try again in a few minutes.",
        )
    ], shown
    state, _ = credentials_item(page)
    assert state == "waiting"
    # Step 3 says the same, as a warning too, when the page is opened again.
    again = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    assert (
        '<div class="warning-warning" role="status" id="credentials-problem">New credentials saved' in again
    )


@pytest.mark.django_db
def test_a_reconnect_link_during_an_outage_shows_a_warning_and_is_spent(knit_connected, account):
    integration_mark_needs_reauth(integration=knit_connected, reason="Knit refused the API key.")
    new_key = "knit_sandbox_a_new_key_0006"
    sim_account_register(api_key=new_key, integration_id=account["integration_id"])
    sim_account_update(account["integration_id"], fail_next=["503"])
    url = reconnect_link_create(integration=knit_connected)

    page = (
        Client()
        .post(urlsplit(url).path, {"api_key": new_key, "integration_id": account["integration_id"]})
        .content.decode()
    )

    main = page[page.find("<main") : page.find("</main>")]
    assert 'role="alert"' not in main and "errorlist" not in main, main
    warning = re.search(r'<p class="warning-warning"[^>]*>(.*?)</p>', main, re.S)
    assert warning and warning[1].strip().startswith(NOT_CHECKED), main
    assert reconnect_links_open_count(integration=knit_connected) == 0, "the saved key spent the link"
    assert ReconnectLink.objects.filter(integration=knit_connected, used_at__isnull=False).exists()


# --- needs re-authorization, new credentials during an outage, then Test now -------------------


@pytest.mark.django_db
def test_a_needs_reauth_integration_fixed_through_an_unchecked_key_mails_resolved(
    client_in_workspace, knit_connected, account, django_capture_on_commit_callbacks, mailoutbox
):
    MembershipFactory(workspace=knit_connected.workspace, role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        integration_mark_needs_reauth(integration=knit_connected, reason="Knit refused the API key.")
    new_key = "knit_sandbox_a_new_key_0003"
    sim_account_register(api_key=new_key, integration_id=account["integration_id"])
    sim_account_update(account["integration_id"], fail_next=["503"])

    with django_capture_on_commit_callbacks(execute=True):
        page = post_api_key(client_in_workspace, knit_connected, new_key).content.decode()
    knit_connected.refresh_from_db()
    # Still waiting for a check of the new key, and the banner says so instead of the refusal.
    assert knit_connected.status == IntegrationStatus.NEEDS_REAUTH
    assert knit_connected.status_reason.startswith(NOT_CHECKED)
    assert [level for level, _ in flashes(page)] == ["warning"]

    with django_capture_on_commit_callbacks(execute=True):
        press_test_now(client_in_workspace, knit_connected)
    knit_connected.refresh_from_db()
    assert knit_connected.status == IntegrationStatus.CONNECTED
    subjects = [m.subject for m in mailoutbox]
    assert subjects == [
        "Action needed: Ashby via Knit (Sandbox) needs re-authorization",
        "Resolved: Ashby via Knit (Sandbox) is connected again",
    ], subjects
