import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    IntegrationStatus,
    OutboundCall,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.checklist import integration_checklist
from integrations.services.checklist_actions import checklist_action_run
from jobcannon.workspaces.models import Role
from tests.factories import AssessmentRunFactory, IntegrationFactory, MembershipFactory
from tests.integrations.console.helpers import deliver_writebacks, process_webhooks, sim_integration

pytestmark = pytest.mark.django_db


def states(integration) -> dict[str, str]:
    return {item.key: item.state for item in integration_checklist(integration=integration).items}


def test_new_integration_checklist_waits_for_credentials_and_nothing_is_green(consolesim, workspace):
    integration = sim_integration(workspace=workspace, connect=False)
    assert states(integration) == {
        "credentials": "waiting",
        "scopes": "waiting",
        "webhooks": "waiting",
        "webhook_received": "waiting",
        "test_assessment": "waiting",
        "writeback": "waiting",
    }


def test_simulator_takes_an_integration_from_empty_to_all_green(consolesim, simulators, workspace):
    integration = sim_integration(workspace=workspace)
    assert states(integration)["credentials"] == "ok"
    assert states(integration)["scopes"] == "ok"
    assert states(integration)["webhooks"] == "ok"

    ok, message = checklist_action_run(integration=integration, action="webhook")
    assert ok and "answered 200" in message
    assert states(integration)["webhook_received"] == "ok"

    ok, _ = checklist_action_run(integration=integration, action="assessment")
    assert ok
    process_webhooks(integration)
    assert states(integration)["test_assessment"] == "ok"
    assert states(integration)["writeback"] == "waiting"

    ok, message = checklist_action_run(integration=integration, action="complete")
    assert ok, message
    assert WritebackMessage.objects.get(integration=integration).status == WritebackStatus.PENDING
    deliver_writebacks(integration)
    checklist = integration_checklist(integration=integration)
    assert checklist.all_ok, [(i.key, i.state, i.detail) for i in checklist.items]
    assert "confirmed by reading it back" in {i.key: i for i in checklist.items}["writeback"].detail


def test_rejected_webhook_fails_the_item_with_its_reason_and_the_guided_fix(consolesim, client, workspace):
    integration = sim_integration(workspace=workspace, connect=False)
    url = reverse("integrations:webhook", args=["consolesim", integration.public_id])
    client.post(
        url,
        data=b'{"type":"ping","id":"1"}',
        content_type="application/json",
        headers={"X-Sim-Signature": "sha256=00"},
    )
    item = {i.key: i for i in integration_checklist(integration=integration).items}["webhook_received"]
    assert item.state == "fail"
    assert "Signature does not match" in item.detail
    assert item.fixes[0].title == "Webhook signature validation failed"
    assert item.link == reverse(
        "integrations:webhook-event", args=[integration.pk, WebhookEvent.objects.get().pk]
    )


def test_wrong_api_key_fails_credentials_with_the_providers_common_error(consolesim, simulators, workspace):
    from integrations.services.integrations import integration_connect_api_key

    integration = sim_integration(workspace=workspace, connect=False)
    assert not integration_connect_api_key(integration=integration, api_key="not-a-key")
    integration.refresh_from_db()
    item = {i.key: i for i in integration_checklist(integration=integration).items}["credentials"]
    assert item.state == "fail" and "Invalid API key" in item.detail
    assert item.fixes[0].title == "Invalid API key or insufficient scopes"
    assert item.action == "test"


def test_oauth_scopes_item_names_the_scopes_that_were_not_granted(consolesim, workspace):
    integration = sim_integration(workspace=workspace, auth_kind="oauth2", connect=False)
    Token.objects.create(
        integration=integration,
        access_token="at",
        scopes_requested=["candidates:read", "results:write"],
        scopes_granted=["candidates:read"],
    )
    item = {i.key: i for i in integration_checklist(integration=integration).items}["scopes"]
    assert item.state == "fail"
    assert "Missing: results:write" in item.detail
    assert "Granted: candidates:read" in item.detail


def test_api_key_scopes_fail_on_a_recent_403_and_recover_after_a_later_success(workspace):
    integration = IntegrationFactory(workspace=workspace)
    OutboundCall.objects.create(
        integration=integration, provider="fake", method="POST", path="/results", operation="results.create",
        status_code=403, error_class="ATSPermissionError", error_message="Missing permission results:write",
    )  # fmt: skip
    item = {i.key: i for i in integration_checklist(integration=integration).items}["scopes"]
    assert item.state == "fail" and "results:write" in item.detail
    assert any("permission" in f.title.lower() for f in item.fixes)
    OutboundCall.objects.create(
        integration=integration, provider="fake", method="POST", path="/results", operation="results.create",
        status_code=201,
    )  # fmt: skip
    assert states(integration)["scopes"] == "ok"


def test_dead_writeback_fails_with_its_error_and_offers_a_replay(workspace):
    integration = IntegrationFactory(workspace=workspace)
    run = AssessmentRunFactory(workspace=workspace, integration=integration, provider="fake")
    WritebackMessage.objects.create(
        integration=integration, run=run, kind="result", event="completed", idempotency_key="k1",
        status=WritebackStatus.DEAD, last_error="The ATS says the record does not exist (404).",
    )  # fmt: skip
    item = {i.key: i for i in integration_checklist(integration=integration).items}["writeback"]
    assert item.state == "fail" and "404" in item.detail
    assert item.action == "replay" and item.fixes[0].title == "Record not found in the ATS"
    ok, _ = checklist_action_run(integration=integration, action="replay")
    assert ok and WritebackMessage.objects.get().status == WritebackStatus.PENDING


def test_webhook_older_than_a_week_is_no_longer_recent(workspace):
    integration = IntegrationFactory(workspace=workspace)
    # With its event id, as intake stores every event (a verified row without one is a handshake).
    WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        body=b"{}",
        verified=True,
        status=WebhookStatus.PROCESSED,
        external_id="evt-old",
        received_at=timezone.now() - dt.timedelta(days=8),
    )
    item = {i.key: i for i in integration_checklist(integration=integration).items}["webhook_received"]
    assert item.state == "waiting" and "last 7 days" in item.detail


def test_checklist_page_polls_until_green_and_htmx_gets_the_fragment(
    consolesim, client_in_workspace, workspace
):
    integration = sim_integration(workspace=workspace, connect=False)
    url = reverse("integrations:checklist", args=[integration.pk])
    page = client_in_workspace.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<html" in page
    fragment = client_in_workspace.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<section id="checklist"') and "<html" not in fragment


def test_test_now_answers_htmx_with_the_updated_checklist_and_a_message(
    consolesim, simulators, client_in_workspace, workspace
):
    integration = sim_integration(workspace=workspace)
    response = client_in_workspace.post(
        reverse("integrations:checklist-action", args=[integration.pk, "test"]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert (
        'id="checklist-flash"' in response.content.decode()
        and "Credentials valid." in response.content.decode()
    )


def test_members_see_the_checklist_but_cannot_run_its_actions(client, workspace):
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    integration = IntegrationFactory(workspace=workspace, status=IntegrationStatus.CONNECTED)
    page = client.get(reverse("integrations:checklist", args=[integration.pk])).content.decode()
    assert "Verification checklist" in page and "Test now" not in page
    response = client.post(reverse("integrations:checklist-action", args=[integration.pk, "test"]))
    assert response.status_code == 403


def test_another_workspaces_checklist_is_not_found(client_in_workspace, other_workspace):
    foreign = IntegrationFactory(workspace=other_workspace)
    assert client_in_workspace.get(reverse("integrations:checklist", args=[foreign.pk])).status_code == 404
    response = client_in_workspace.post(reverse("integrations:checklist-action", args=[foreign.pk, "test"]))
    assert response.status_code == 404


def test_the_checklists_own_polls_keep_an_actions_message_on_screen(
    consolesim, simulators, client_in_workspace, workspace, monkeypatch
):
    """The fragment re-renders every few seconds: the message of the button just pressed must
    survive the next polls (it used to vanish one poll after the click), then expire."""
    from integrations import console_views

    integration = sim_integration(workspace=workspace)
    client_in_workspace.post(
        reverse("integrations:checklist-action", args=[integration.pk, "test"]),
        headers={"HX-Request": "true"},
    )
    poll = reverse("integrations:checklist", args=[integration.pk])
    fragment = client_in_workspace.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert 'id="checklist-flash"' in fragment and "Credentials valid." in fragment

    later = console_views.time.time() + console_views.FLASH_SECONDS + 1
    monkeypatch.setattr(console_views.time, "time", lambda: later)
    fragment = client_in_workspace.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert 'id="checklist-flash"' not in fragment


def test_the_test_assessment_item_names_the_instrument_as_customers_know_it(workspace):
    integration = IntegrationFactory(workspace=workspace)
    AssessmentRunFactory(workspace=workspace, integration=integration, instrument="big5", provider="fake")
    item = next(i for i in integration_checklist(integration=integration).items if i.key == "test_assessment")
    assert item.state == "ok" and "ordered Big Five personality for " in item.detail, item.detail
