"""A Lever plan without the Webhooks Subscription API (POST /webhooks answers 403): the connect
says the webhooks must be added by hand and where the tokens go, and the paste-the-token path
ends "All checks passed". The expected 403 of that path is a plan limit Lever explains, not a
missing permission: "Required scopes granted" does not fail on it, even after "Test credentials
now" asks Lever again."""

import re

import pytest
from django.urls import reverse

from integrations.models import (
    Integration,
    IntegrationActivity,
    OutboundCall,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever import simulator_webhooks as outbound
from integrations.providers.lever.services import lever_stage_rule_add
from integrations.services.checklist import integration_checklist
from integrations.services.checklist_actions import checklist_action_run
from tests.integrations.console.helpers import deliver_writebacks, process_webhooks
from tests.integrations.providers.ashby.test_connect_result import _flash, _step3_status

from .helpers import sim_integration

pytestmark = pytest.mark.django_db


def _check_item(html: str, key: str) -> tuple[str, str]:
    found = re.search(rf'id="check-{key}" data-state="(\w+)">(.*?)</li>', html, re.S)
    assert found, f"no checklist item {key}"
    return found.group(1), " ".join(re.sub(r"<[^>]+>", " ", found.group(2)).split())


def _connect(client, workspace) -> tuple[Integration, str]:
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    page = client.post(
        reverse("integrations:setup", args=[integration.pk]),
        {"step": "credentials", "api_key": integration.credential("api_key")},
        follow=True,
    )
    assert page.status_code == 200
    integration.refresh_from_db()
    return integration, page.content.decode()


def _add_the_webhooks_by_hand(client, integration: Integration) -> None:
    """A Lever Super Admin adds the five webhooks by hand (the sandbox's Webhooks page) and pastes
    their tokens on our settings page in one go."""
    url = f"http://testserver/webhooks/lever/{integration.public_id}/"
    for _, event in constants.MANUAL_EVENTS:
        added = client.post(
            reverse("integrations:sim-lever:webhooks"), {"action": "add", "event": event, "url": url}
        )
        assert added.status_code == 302
    tokens = " ".join(h["configuration"]["signatureToken"] for h in sim.rows("webhook"))
    saved = client.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {"writeback_mode": "feedback", "signature_token": tokens},
    )
    assert saved.status_code == 302


def test_the_connect_flash_and_step_3_say_the_webhooks_are_added_by_hand_and_where_the_tokens_go(
    simulators, client_in_workspace, workspace
):
    integration, html = _connect(client_in_workspace, workspace)
    flash = _flash(html)
    assert flash.startswith("Connected: Lever accepted the credentials.")
    for said in (flash, _step3_status(html)):
        assert "Lever answered 403 to POST /webhooks" in said
        assert "Settings → Integrations and API → Webhooks" in said  # where the webhooks are added
        assert "signature token" in said and "Lever settings page" in said  # where the tokens go


def test_the_manual_path_reaches_all_checks_passed(simulators, client_in_workspace, workspace):
    integration, _ = _connect(client_in_workspace, workspace)
    assert integration.provider_settings["webhook_setup"] == "manual"
    lever_stage_rule_add(
        integration=integration,
        stage_id=sim.stage_id_by_name("Phone interview"),
        stage_name="Phone interview",
        instrument="disc",
    )
    _add_the_webhooks_by_hand(client_in_workspace, integration)

    for action in ("assessment", "complete"):
        ok, sentence = checklist_action_run(integration=integration, action=action)
        assert ok, sentence
        process_webhooks(integration)
    deliver_writebacks(integration)
    assert WritebackMessage.objects.get(integration=integration, kind="feedback").status in (
        WritebackStatus.DELIVERED,
        WritebackStatus.CONFIRMED,
    )
    # "Test credentials now" asks Lever again (a plan upgrade would switch back to the API): the
    # same explained 403, which must not turn the scopes item red.
    ok, sentence = checklist_action_run(integration=integration, action="test")
    assert ok, sentence
    assert (
        OutboundCall.objects.filter(
            integration=integration, operation="webhooks.create", status_code=403
        ).count()
        == 2
    )

    checklist = integration_checklist(integration=Integration.objects.get(pk=integration.pk))
    assert checklist.all_ok, [(i.key, i.state, i.detail) for i in checklist.items if i.state != "ok"]
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="checklist-all-green"' in html
    state, text = _check_item(html, "scopes")
    assert state == "ok" and "Re-authorize" not in text
    assert "webhooks.create" in text and "set up by hand" in text  # the 403 is named, not hidden


def test_a_403_on_another_call_still_fails_the_scopes_item_in_manual_mode(
    simulators, client_in_workspace, workspace
):
    integration, _ = _connect(client_in_workspace, workspace)
    OutboundCall.objects.create(
        integration=integration,
        provider="lever",
        method="POST",
        path="/v1/opportunities/o1/feedback",
        operation="feedback.create",
        status_code=403,
        error_message="Lever refused feedback.create (403).",
    )
    scopes = {i.key: i for i in integration_checklist(integration=integration).items}["scopes"]
    assert scopes.state == "fail" and "feedback.create" in scopes.detail


def _health_reason(html: str) -> str:
    card = html[html.index('id="health"') : html.index("</section>", html.index('id="health"'))]
    found = re.search(r'<span id="status-reason">(.*?)</span>', card, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_the_health_card_drops_the_paste_the_tokens_instruction_once_a_token_is_pasted(
    simulators, client_in_workspace, workspace
):
    """The instruction is what the connect left to do (connected_reason): pasting the tokens on
    the Lever settings page does it, so the health card stops asking, without another "Test
    credentials now"."""
    integration, _ = _connect(client_in_workspace, workspace)
    detail = reverse("integrations:detail", args=[integration.pk])
    before = _health_reason(client_in_workspace.get(detail).content.decode())
    assert constants.WEBHOOKS_API_FORBIDDEN in before and "Lever settings page" in before

    url = f"http://testserver/webhooks/lever/{integration.public_id}/"
    client_in_workspace.post(
        reverse("integrations:sim-lever:webhooks"),
        {"action": "add", "event": constants.EVENT_CANDIDATE_STAGE_CHANGE, "url": url},
    )
    [hook] = sim.rows("webhook")
    saved = client_in_workspace.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {"writeback_mode": "feedback", "signature_token": hook["configuration"]["signatureToken"]},
    )
    assert saved.status_code == 302
    after = _health_reason(client_in_workspace.get(detail).content.decode())
    assert constants.WEBHOOKS_API_FORBIDDEN not in after and "signature token" not in after, after
    integration.refresh_from_db()
    assert integration.status == "connected" and integration.status_reason == ""


def test_the_by_hand_step_names_both_causes_of_the_403_as_every_other_page_does(
    simulators, client_in_workspace, workspace
):
    """A 403 cannot tell a plan without the Webhooks Subscription API from a key without the
    webhooks permission: the wizard's by-hand step says either, like the flash and health card."""
    integration, _ = _connect(client_in_workspace, workspace)
    html = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    found = re.search(r"<h3>Set up the Lever webhooks by hand</h3>\s*<p>(.*?)</p>", html, re.S)
    assert found, "no by-hand step"
    step = " ".join(found.group(1).split())
    assert "this Lever plan has no Webhooks Subscription API." not in step
    assert "Webhooks Subscription API" in step and "“Create Webhook”" in step
    assert "Settings → Integrations and API → Webhooks" in step


def test_after_a_plan_upgrade_the_hand_made_webhooks_are_reused_and_the_scopes_item_stays_green(
    simulators, client_in_workspace, workspace
):
    """Manual path first, then Lever enables the Subscription API: "Test credentials now" lists
    the hand-made webhooks (all five events covered, so nothing is created) and switches back to
    the API. The 403s from before the upgrade are history, not a missing permission: the key
    works and the webhooks are registered."""
    integration, _ = _connect(client_in_workspace, workspace)
    _add_the_webhooks_by_hand(client_in_workspace, integration)
    outbound.plan_set(webhooks_api=True)
    ok, sentence = checklist_action_run(integration=integration, action="test")
    assert ok, sentence
    integration.refresh_from_db()
    assert integration.provider_settings["webhook_setup"] == "api"
    assert not OutboundCall.objects.filter(
        integration=integration, operation="webhooks.create", status_code__lt=400
    ).exists(), "the hand-made webhooks are reused, none is created"
    assert OutboundCall.objects.filter(
        integration=integration, operation="webhooks.create", status_code=403
    ).exists(), "the pre-upgrade 403 is still in the 7-day window"

    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = _check_item(html, "scopes")
    assert state == "ok", text
    assert "webhooks.create" in text and "before" in text  # the old 403 is named, not hidden
    assert _check_item(html, "webhooks")[0] == "ok"
    assert "Lever signature tokens pasted" not in html  # the manual path's item is gone with it


def test_a_webhooks_403_after_the_switch_back_to_the_api_still_fails_the_scopes_item(
    simulators, client_in_workspace, workspace
):
    """Only the refusals from before the upgrade are explained: a key that cannot list webhooks
    afterwards is a real missing permission."""
    integration, _ = _connect(client_in_workspace, workspace)
    _add_the_webhooks_by_hand(client_in_workspace, integration)
    outbound.plan_set(webhooks_api=True)
    assert checklist_action_run(integration=integration, action="test")[0]
    OutboundCall.objects.create(
        integration=integration,
        provider="lever",
        method="GET",
        path="/v1/webhooks",
        operation="webhooks.list",
        status_code=403,
        error_message="Lever did not let JobCannon list its webhooks: Lever answered 403 to GET /webhooks.",
    )
    scopes = {i.key: i for i in integration_checklist(integration=integration).items}["scopes"]
    assert scopes.state == "fail" and "webhooks.list" in scopes.detail


def test_pasting_five_tokens_logs_one_line_and_no_status_change(simulators, client_in_workspace, workspace):
    """The paste clears the connect's instruction from the reason; the status stays "connected",
    so the activity shows no "Status connected → connected", and the five tokens pasted together
    are one line, not five identical ones."""
    integration, _ = _connect(client_in_workspace, workspace)
    changed_at = integration.status_changed_at
    before = IntegrationActivity.objects.filter(integration=integration).count()
    _add_the_webhooks_by_hand(client_in_workspace, integration)

    integration.refresh_from_db()
    assert integration.status == "connected" and integration.status_reason == ""
    assert integration.status_changed_at == changed_at
    logged = list(IntegrationActivity.objects.filter(integration=integration).order_by("id")[before:])
    assert [a.kind for a in logged] == ["lever.signature_token_added"], [(a.kind, a.message) for a in logged]
    assert "5 Lever signature tokens stored" in logged[0].message
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "connected → connected" not in html
