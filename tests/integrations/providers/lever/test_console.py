"""Lever's console hooks: seed 004 as wizard steps and guided fixes, "test now" actions driven
through the sandbox, and read-after-write confirmation for the reconciler."""

import pytest

from assessments.models import AssessmentRun
from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever.provider import LeverProvider
from integrations.services.integrations import integration_credentials_check
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver, writeback_enqueue
from jobcannon.core.exceptions import ValidationFailed
from tests.factories import WorkspaceFactory

from .helpers import lever_integration, scored_run, sim_integration, sim_opportunity

pytestmark = pytest.mark.django_db
PROVIDER = LeverProvider()


def test_common_errors_are_the_three_of_seed_004():
    titles = [e.title for e in PROVIDER.common_errors]
    assert titles == [
        "Invalid API key or insufficient scopes",
        "Webhook signature validation failed",
        "Feedback form creation failed (404)",
    ]
    invalid_key = PROVIDER.common_errors[0]
    assert "Ensure scopes include `applications:write` and `feedback:write`" in invalid_key.fix


def test_each_common_error_matches_the_reason_we_record_for_it(connected):
    """The console shows a guided fix next to a failure whose reason matches: make sure ours do."""
    reasons = [
        "Invalid API key or insufficient scopes: Lever rejected the API key (401: no).",
        "Webhook signature validation failed: X-Lever-Signature is not the HMAC-SHA256 of the raw body…",
        constants.FEEDBACK_404_EXPLANATION,
    ]
    for error, reason in zip(PROVIDER.common_errors, reasons, strict=True):
        assert any(fragment in reason.lower() for fragment in error.match), error.title


def test_setup_steps_follow_the_seed_for_api_keys_and_oauth():
    api_key = PROVIDER.setup_steps(lever_integration())
    assert api_key[0].title == "Generate an API key in Lever"
    assert "Settings → Integrations → API Credentials" in api_key[0].body
    # Seed 004's scopes, each with the Lever endpoints a real key is generated with (a real Lever
    # key has no scopes: "Select the desired endpoints from the list of all our endpoints").
    items = " ".join(api_key[0].items)
    for scope in constants.SEED_SCOPES:
        assert scope in items
    assert "applications:write → “List Webhooks”, “Create Webhook”, “Create a note”" in api_key[0].items
    assert "feedback:write → “List all feedback templates”, “Create a feedback template”" in items
    assert "opportunities:read → “List all opportunities”, “Retrieve a single opportunity”" in items
    oauth = PROVIDER.setup_steps(lever_integration(auth_kind="oauth2"))
    assert "redirect_uri" in oauth[0].show and constants.AUDIENCE in oauth[0].body
    assert PROVIDER.required_scopes(lever_integration()) == constants.SEED_SCOPES
    assert "offline_access" in PROVIDER.required_scopes(lever_integration(auth_kind="oauth2"))


def test_registered_webhooks_are_read_from_what_on_connected_stored(connected):
    hooks = PROVIDER.registered_webhooks(connected)
    assert [h.event for h in hooks] == list(constants.REGISTERED_EVENTS)
    assert all(h.url.endswith(f"/webhooks/lever/{connected.public_id}/") and h.id for h in hooks)


def test_send_test_webhook_reaches_only_this_integration(connected):
    other = sim_integration(workspace=WorkspaceFactory())
    assert integration_credentials_check(integration=other)
    sentence = PROVIDER.send_test_webhook(connected)
    assert sentence == "The Lever sandbox sent applicationCreated → 200."
    assert WebhookEvent.objects.filter(integration=connected, status=WebhookStatus.VERIFIED).count() == 1
    assert not WebhookEvent.objects.filter(integration=other).exists()


def test_send_test_assessment_moves_a_test_candidate_into_the_auto_send_stage(connected):
    from integrations.providers.lever.services import lever_stage_rule_add

    lever_stage_rule_add(
        integration=connected,
        stage_id=sim.stage_id_by_name("Phone interview"),
        stage_name="Phone interview",
        instrument="disc",
    )
    connected.refresh_from_db()
    sentence = PROVIDER.send_test_assessment(connected)
    assert "candidateStageChange → 200" in sentence and "Phone interview" in sentence
    for event in WebhookEvent.objects.filter(integration=connected, status=WebhookStatus.VERIFIED):
        webhook_event_process(event_id=event.pk)
    assert AssessmentRun.objects.get(integration=connected).candidate_email == "test.candidate@example.com"


def test_send_test_assessment_without_an_auto_rule_says_what_to_do(connected):
    with pytest.raises(ValidationFailed, match="auto-send on stage entry"):
        PROVIDER.send_test_assessment(connected)


def test_send_test_webhook_with_the_webhook_group_switched_off_says_to_switch_it_on(simulators, workspace):
    """LD "Create a Webhook": nothing is sent until a Super Admin toggles the group on."""
    integration = sim_integration(workspace=workspace, webhook_groups_on=False)
    assert integration_credentials_check(integration=integration)
    with pytest.raises(ValidationFailed, match="applicationCreated webhook group is switched off"):
        PROVIDER.send_test_webhook(integration)
    assert not WebhookEvent.objects.filter(integration=integration).exists()


def test_send_test_webhook_before_connecting_says_what_to_do(simulators, workspace):
    with pytest.raises(ValidationFailed, match="Test credentials now"):
        PROVIDER.send_test_webhook(sim_integration(workspace=workspace))


def test_confirm_finds_the_feedback_form_we_wrote(connected):
    opp = sim_opportunity()
    run = scored_run(connected, opportunity_id=opp["id"])
    [message] = writeback_enqueue(run=run, event="completed")
    assert PROVIDER.confirm(connected, message) is False, "not written yet: safe to send"
    writeback_deliver(message_id=message.pk)
    message = WritebackMessage.objects.get(pk=message.pk)
    assert PROVIDER.confirm(connected, message) is True
    other_run = scored_run(connected, opportunity_id=opp["id"])
    other = WritebackMessage.objects.create(
        integration=connected,
        run=other_run,
        kind="feedback",
        event="completed",
        idempotency_key="confirm-other",
    )
    assert PROVIDER.confirm(connected, other) is False, "another run's form is not this one"


def test_confirm_cannot_read_back_notes(connected):
    run = scored_run(connected)
    note = WritebackMessage.objects.create(
        integration=connected, run=run, kind="note", event="completed", idempotency_key="confirm-note"
    )
    assert PROVIDER.confirm(connected, note) is None
