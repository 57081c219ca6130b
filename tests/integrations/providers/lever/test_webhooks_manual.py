"""POST /webhooks answered 403: Lever offers the Webhooks Subscription API on select packages only
(https://help.lever.co/hc/en-us/articles/4402565460237). The connect still finishes, the page says
why and what to do, and the paste-the-signature-token path carries the webhooks."""

import json
import re

import pytest
from django.urls import reverse

from integrations.models import (
    IntegrationActivity,
    IntegrationStatus,
    OutboundCall,
    WebhookEvent,
    WebhookStatus,
)
from integrations.providers.lever import client as lever_client
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever import simulator_webhooks as outbound
from integrations.providers.lever.provider import LeverProvider
from integrations.providers.lever.services import lever_stage_rule_add
from integrations.providers.lever.setup import lever_webhooks_register
from integrations.services.checklist_actions import checklist_action_run
from integrations.services.integrations import integration_credentials_check

from .helpers import lever_integration, sim_integration, sim_opportunity

pytestmark = pytest.mark.django_db
API = constants.API_BASE_SANDBOX
# LD "Responses and Errors" (https://hire.lever.co/developer/documentation) [F]: "403 Forbidden: Your
# Lever account settings don't authorize you to perform the requested operation. Talk to a Super
# Admin on your Lever account to update your API settings." The section prints no 403 body; its one
# "Example error response" is {"code": "ResourceNotFound", "message": ...}, so the shape is Lever's
# but the `code` value "Forbidden" is our assumption [I], as is the sandbox's "TooManyRequests".
LEVER_403 = {
    "code": "Forbidden",
    "message": (
        "Your Lever account settings don't authorize you to perform the requested operation. "
        "Talk to a Super Admin on your Lever account to update your API settings."
    ),
}


def test_plan_without_the_subscription_api_still_connects_and_the_page_explains_the_manual_path(
    simulators, client_in_workspace, workspace
):
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.provider_settings["feedback_template"]["id"], "the rest of the connect ran"
    assert integration.provider_settings["webhook_setup"] == "manual"
    reason = integration.provider_settings["webhook_setup_reason"]
    assert "Lever answered 403 to POST /webhooks" in reason and "Webhooks Subscription API" in reason
    assert IntegrationActivity.objects.filter(integration=integration, kind="lever.webhooks_manual").exists()
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    panel = page[page.index('id="lever-webhooks-manual"') :]
    assert "Settings → Integrations and API → Webhooks" in panel
    assert f"/webhooks/lever/{integration.public_id}/" in panel
    for label, event in constants.MANUAL_EVENTS:
        assert label in panel and event in panel
    assert "No signature token yet" in panel
    assert "Lever settings page" in panel and 'id="lever-credential-problem"' not in page
    steps = LeverProvider().setup_steps(integration)
    assert any(s.title == "Set up the Lever webhooks by hand" for s in steps)
    assert LeverProvider().registered_webhooks(integration) is None  # the checklist waits for a delivery


def test_manual_webhook_in_lever_delivers_once_the_token_is_pasted_and_levers_retry_gets_through(
    simulators, client_in_workspace, workspace
):
    """End to end on the sandbox: a Super Admin adds the webhook by hand; the first delivery is
    refused (no token yet), Lever retries it with the same token and triggeredAt, and the retry
    after the token is pasted is accepted."""
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    url = f"http://testserver/webhooks/lever/{integration.public_id}/"
    response = client_in_workspace.post(
        reverse("integrations:sim-lever:webhooks"),
        {"action": "add", "event": constants.EVENT_CANDIDATE_STAGE_CHANGE, "url": url},
    )
    assert response.status_code == 302
    opp = sim_opportunity()
    [delivery] = outbound.send_event(
        constants.EVENT_CANDIDATE_STAGE_CHANGE,
        {"opportunityId": opp["id"], "toStageId": sim.stage_id_by_name("Offer")},
    )
    assert delivery["status"] == 401 and delivery["next_attempt_at"]
    settings_page = client_in_workspace.get(
        reverse("integrations:integration-lever:settings", args=[integration.pk])
    ).content.decode()
    assert 'id="lever-settings-manual"' in settings_page
    client_in_workspace.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {
            "writeback_mode": "feedback",
            "signature_token": sim.rows("webhook")[0]["configuration"]["signatureToken"],
        },
    )
    [retry] = outbound.deliveries_retry_due(now_ms=delivery["next_attempt_at"])
    assert retry["status"] == 200 and retry["attempts"] == 2
    refused, accepted = WebhookEvent.objects.filter(integration=integration).order_by("id")
    assert refused.status == WebhookStatus.REJECTED and accepted.status == WebhookStatus.VERIFIED
    assert bytes(refused.body) == bytes(accepted.body), "Lever's retry is the same request"
    integration.refresh_from_db()
    checks = {c.key: c for c in LeverProvider().checklist_checks(integration)}
    assert checks["lever_signature_token"].ok is True
    assert checks["lever_webhook_groups"].ok is True, "a verified delivery: the group is on"
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Signature token stored" in page


def test_a_403_from_post_webhooks_is_explained_with_levers_own_words(mocked_responses):
    integration = lever_integration()
    mocked_responses.get(API + "/webhooks", status=403, json=LEVER_403)
    mocked_responses.post(API + "/webhooks", status=403, json=LEVER_403)
    assert lever_webhooks_register(integration=integration, client=LeverProvider().client(integration)) == []
    integration.refresh_from_db()
    reason = integration.provider_settings["webhook_setup_reason"]
    assert reason.startswith(constants.WEBHOOKS_API_FORBIDDEN)
    assert LEVER_403["message"] in reason
    # A real Lever key has no `applications:write` (seed 004's name): its permissions are Lever's
    # endpoints, chosen when the key is generated; the webhooks one is “Create Webhook” (LH).
    assert "“Create Webhook”" in reason and "lack the `applications:write` permission" not in reason
    assert "plan" in reason, "both causes a 403 can mean are named"
    # ...with the fix for the key's cause, not only the by-hand path:
    assert (
        "If your plan has the Webhooks Subscription API, generate a key that includes the webhooks "
        "endpoints and press “Test credentials now”" in reason
    )
    assert constants.WEBHOOKS_MANUAL_FIX in reason


def test_a_403_from_get_webhooks_is_not_logged_as_an_invalid_api_key(mocked_responses):
    """The key works (the connect's reads passed): a 403 on GET /webhooks is the same plan or
    webhooks-permission refusal, and the outbound-call log says so, not "Invalid API key"."""
    integration = lever_integration()
    mocked_responses.get(API + "/webhooks", status=403, json=LEVER_403)
    mocked_responses.post(API + "/webhooks", status=403, json=LEVER_403)
    lever_webhooks_register(integration=integration, client=LeverProvider().client(integration))
    listed = OutboundCall.objects.get(integration=integration, operation="webhooks.list")
    assert constants.INVALID_KEY_TITLE not in listed.error_message
    assert "“List Webhooks”" in listed.error_message and "plan" in listed.error_message


def test_the_403_of_an_oauth_connection_names_levers_webhooks_scope(mocked_responses, monkeypatch):
    """LD's OAuth scope list: creating webhooks needs `webhooks:write:admin`."""
    monkeypatch.setattr(lever_client, "token_get_access", lambda integration: "access-token-0001")
    integration = lever_integration(auth_kind="oauth2")
    mocked_responses.get(API + "/webhooks", status=403, json=LEVER_403)
    mocked_responses.post(API + "/webhooks", status=403, json=LEVER_403)
    lever_webhooks_register(integration=integration, client=LeverProvider().client(integration))
    integration.refresh_from_db()
    reason = integration.provider_settings["webhook_setup_reason"]
    assert "`webhooks:write:admin` scope" in reason and "applications:write" not in reason


def test_an_upgraded_plan_switches_back_to_registering_by_api(simulators, workspace):
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    integration_credentials_check(integration=integration)
    outbound.plan_set(webhooks_api=True)
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["webhook_setup"] == "api"
    assert integration.provider_settings["webhook_setup_reason"] == ""
    assert len(integration.provider_settings["webhooks"]) == len(constants.REGISTERED_EVENTS)


def test_levers_documented_201_with_nested_data_yields_the_signature_token(mocked_responses):
    """LD "Create a Webhook" shows the 201 body as {"data": {"data": {…, "signatureToken"}}}."""
    integration = lever_integration()
    mocked_responses.get(API + "/webhooks", json={"data": [], "hasNext": False})

    def create(request):
        event = json.loads(request.body).get("event")
        if event is None:  # seed 004's "triggers" body: real Lever refuses it
            return 400, {}, json.dumps({"code": "BadRequest", "message": "event is required"})
        inner = {
            "id": f"e2befaae-{event}",
            "event": event,
            "url": "https://lever.co/webhookHandler",
            "configuration": {"signatureToken": "73311ged32110cc40e00c672c2e03e1a42fa28a4fabde089"},
            "createdAt": 1407357447018,
            "updatedAt": 1407357447200,
        }
        return 201, {}, json.dumps({"data": {"data": inner}})

    mocked_responses.add_callback("POST", re.compile(re.escape(API) + "/webhooks$"), callback=create)
    hooks = lever_webhooks_register(integration=integration, client=LeverProvider().client(integration))
    assert all(h.id.startswith("e2befaae-") and h.signature_token for h in hooks)
    integration.refresh_from_db()
    assert "73311ged32110cc40e00c672c2e03e1a42fa28a4fabde089" in integration.secrets_for_verification()


def test_checklist_page_of_a_manual_setup_says_what_to_do(simulators, client_in_workspace, workspace):
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    integration_credentials_check(integration=integration)
    checklist = client_in_workspace.get(reverse("integrations:checklist", args=[integration.pk]))
    assert checklist.status_code == 200
    text = checklist.content.decode()
    assert "Lever signature tokens pasted" in text and "Paste the webhook URL" in text


def test_each_hand_made_webhook_has_its_own_token_and_pasting_them_together_verifies_every_one(
    simulators, client_in_workspace, workspace
):
    """Lever's help centre ("UI Changes"): "A Webhook signature token for each created Webhook".
    End to end on the sandbox: a Super Admin adds two webhooks by hand and copies the tokens the
    sandbox's webhooks page shows for them. With only the stage-change token pasted, that webhook's
    delivery verifies and the application-created one is refused (wrong signature); once both are
    pasted in one go on JobCannon's Lever settings page, Lever's retry of the refused delivery gets
    through and new deliveries of both webhooks verify."""
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    url = f"http://testserver/webhooks/lever/{integration.public_id}/"
    events = (constants.EVENT_CANDIDATE_STAGE_CHANGE, constants.EVENT_APPLICATION_CREATED)
    for event in events:
        added = client_in_workspace.post(
            reverse("integrations:sim-lever:webhooks"), {"action": "add", "event": event, "url": url}
        )
        assert added.status_code == 302
    sandbox_page = client_in_workspace.get(reverse("integrations:sim-lever:webhooks")).content.decode()
    shown = dict(
        re.findall(r'id="sim-webhook-token-([^"]+)">([0-9a-f]{48})</code>', sandbox_page)
    )  # webhook id -> the token the page shows for it
    hooks = {h["event"]: h for h in sim.rows("webhook")}
    token = {event: shown[hooks[event]["id"]] for event in events}
    assert token[events[0]] != token[events[1]], "one token per webhook"
    settings_url = reverse("integrations:integration-lever:settings", args=[integration.pk])

    client_in_workspace.post(
        settings_url,
        {"writeback_mode": "feedback", "signature_token": token[constants.EVENT_CANDIDATE_STAGE_CHANGE]},
    )
    opp = sim_opportunity()  # "Add Candidate": applicationCreated
    [created] = sim.rows("delivery", webhook=hooks[constants.EVENT_APPLICATION_CREATED]["id"])
    assert created["status"] == 401 and created["next_attempt_at"], "its token is not pasted yet"
    [stage] = outbound.send_event(
        constants.EVENT_CANDIDATE_STAGE_CHANGE,
        {"opportunityId": opp["id"], "toStageId": sim.stage_id_by_name("Offer")},
    )
    assert stage["status"] == 200

    both = f"{token[constants.EVENT_CANDIDATE_STAGE_CHANGE]} {token[constants.EVENT_APPLICATION_CREATED]}"
    assert (
        client_in_workspace.post(
            settings_url, {"writeback_mode": "feedback", "signature_token": both}
        ).status_code
        == 302
    )
    [retry] = outbound.deliveries_retry_due(now_ms=created["next_attempt_at"])
    assert retry["webhook"] == created["webhook"] and retry["status"] == 200 and retry["attempts"] == 2
    again = sim_opportunity(name="Sam Second", email="sam.second@example.com")
    [created_again] = [
        d
        for d in sim.rows("delivery", webhook=hooks[constants.EVENT_APPLICATION_CREATED]["id"])
        if d["opportunity"] == again["id"]
    ]
    assert created_again["status"] == 200
    integration.refresh_from_db()
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="lever-signature-tokens-count">2<' in page
    verified = WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED)
    assert verified.count() == 3, "the stage change, the retried and the new application"


def test_sandbox_test_actions_on_the_manual_path_say_to_add_the_webhooks_by_hand_not_to_test_again(
    simulators, workspace
):
    """Right after a connect on a plan without the Subscription API, "Send a test webhook" and
    "Send a test assessment" find no webhook: pressing "Test credentials now" would only meet
    the same 403, so they say where the webhooks are added and where their tokens go."""
    outbound.plan_set(webhooks_api=False)
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    lever_stage_rule_add(
        integration=integration,
        stage_id=sim.stage_id_by_name("Phone interview"),
        stage_name="Phone interview",
        instrument="disc",
    )
    for action in ("webhook", "assessment"):
        ok, sentence = checklist_action_run(integration=integration, action=action)
        assert not ok, sentence
        assert "Test credentials now" not in sentence
        assert "by hand" in sentence and "sandbox's Webhooks page" in sentence
        assert "signature token" in sentence and "Lever settings page" in sentence
