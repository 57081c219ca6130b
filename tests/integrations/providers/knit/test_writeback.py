"""Result submission to Knit with mocked HTTP: what is sent, and how Knit's answers are classified."""

import json
import re
from pathlib import Path

import pytest
import responses

from integrations.models import IntegrationStatus, OutboundCall, WritebackMessage, WritebackStatus
from integrations.providers.knit import constants
from integrations.providers.knit.reference import candidate_assessment_model
from integrations.registry import get_provider, provider_for
from integrations.services.writeback import writeback_deliver
from tests.factories import AssessmentRunFactory

from .helpers import API_KEY, INTEGRATION_ID, knit_integration, scored_run

UPDATE_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_ASSESSMENT_UPDATE}"))
PASSTHROUGH_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_PASSTHROUGH}"))
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "knit" / "api"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def update_api_integration():
    """An integration that chose Knit's own update API (the default is the passthrough)."""
    return knit_integration(provider_settings={"result_mode": constants.RESULT_MODE_UPDATE})


def deliver(integration, run, event: str = "completed") -> WritebackMessage:
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_ASSESSMENT_UPDATE,
        event=event,
        idempotency_key=f"t-{run.pk}-{event}",
    )
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    return message


@pytest.mark.django_db
def test_completed_run_is_submitted_with_both_knit_headers(mocked_responses):
    integration = update_api_integration()
    run = scored_run(integration)
    call = mocked_responses.post(UPDATE_URL, json={"success": True, "data": {}})
    message = deliver(integration, run)
    assert message.status == WritebackStatus.DELIVERED and message.external_ref == run.external_assessment_id
    request = call.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["X-Knit-Integration-Id"] == INTEGRATION_ID
    body = json.loads(request.body)
    # Only names of Knit's published Candidate Assessment model (transcribed from Knit's page, shipped
    # with the provider as package data).
    assert set(body) <= set(candidate_assessment_model()["fields"])
    assert body["id"] == run.external_assessment_id and body["status"] == "COMPLETED"
    assert body["metaData"]["assessment_result"]["value"] == 72


@pytest.mark.django_db
def test_an_integration_that_chose_nothing_sends_ashbys_update_through_the_passthrough(mocked_responses):
    integration = knit_integration()  # no result_mode saved
    unified = mocked_responses.post(UPDATE_URL, json={"success": True, "data": {}})
    call = mocked_responses.post(PASSTHROUGH_URL, json=fixture("passthrough.json"))

    message = deliver(integration, scored_run(integration))

    assert message.status == WritebackStatus.DELIVERED, message.last_error
    assert json.loads(call.calls[0].request.body)["path"] == "/assessment.update"
    assert not unified.calls


@pytest.mark.django_db
def test_knit_success_false_on_200_is_a_dead_letter_with_knits_message(mocked_responses):
    integration = update_api_integration()
    mocked_responses.post(UPDATE_URL, json={"success": False, "error": {"msg": "id is invalid"}})
    message = deliver(integration, scored_run(integration))
    assert message.status == WritebackStatus.DEAD
    assert message.last_error == "id is invalid"


@pytest.mark.django_db
def test_knit_401_asks_the_customer_to_check_the_knit_key(mocked_responses):
    integration = update_api_integration()
    mocked_responses.post(
        UPDATE_URL, status=401, json={"success": False, "error": {"msg": "Invalid API key"}}
    )
    message = deliver(integration, scored_run(integration))
    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert (
        integration.status == IntegrationStatus.NEEDS_REAUTH
        and "Invalid API key" in integration.status_reason
    )


@pytest.mark.django_db
def test_expired_run_is_reported_to_knit_as_expired_not_cancelled(mocked_responses):
    from django.utils import timezone

    integration = update_api_integration()
    run = AssessmentRunFactory(
        workspace=integration.workspace,
        integration=integration,
        provider="knit",
        external_assessment_id="ats_ass_expired",
        status="expired",
        expired_at=timezone.now(),
    )
    call = mocked_responses.post(UPDATE_URL, json={"success": True})
    deliver(integration, run, event="expired")
    body = json.loads(call.calls[0].request.body)
    assert body["status"] == "EXPIRED" and body["metaData"]["cancelled_reason"]["value"].startswith("Expired")


@pytest.mark.django_db
def test_runs_not_ordered_through_knit_write_nothing_back():
    integration = knit_integration()
    provider = get_provider("knit")
    own = AssessmentRunFactory(
        workspace=integration.workspace, integration=integration, external_assessment_id=""
    )
    assert provider.on_run_event(integration, own, "completed") == []
    ordered = scored_run(integration)
    assert provider.on_run_event(integration, ordered, "completed") == [constants.KIND_ASSESSMENT_UPDATE]
    assert provider.on_run_event(integration, ordered, "reminded") == []


# --- passthrough: Knit's envelope wraps Ashby's answer ------------------------------------------


def passthrough_integration():
    return knit_integration(provider_settings={"result_mode": constants.RESULT_MODE_PASSTHROUGH})


@pytest.mark.django_db
def test_passthrough_sends_ashbys_body_as_a_json_string_and_succeeds_on_ashbys_success(mocked_responses):
    integration = passthrough_integration()
    run = scored_run(integration)
    call = mocked_responses.post(
        PASSTHROUGH_URL, json=fixture("passthrough.json"), headers={"X-Knit-Execution-Id": "exe_pt_1"}
    )

    message = deliver(integration, run)

    assert message.status == WritebackStatus.DELIVERED, message.last_error
    sent = json.loads(call.calls[0].request.body)
    assert (sent["method"], sent["path"]) == ("POST", "/assessment.update")
    assert isinstance(sent["body"], str)
    inner = json.loads(sent["body"])
    assert inner["assessment_id"] == run.external_assessment_id and inner["assessment_result"]["value"] == 72
    assert OutboundCall.objects.get(integration=integration).vendor_request_id == "exe_pt_1"


@pytest.mark.django_db
def test_ashby_refusing_inside_knits_success_envelope_is_a_failed_delivery(mocked_responses):
    integration = passthrough_integration()
    mocked_responses.post(
        PASSTHROUGH_URL,
        json=fixture("passthrough__ashby_refused.json"),
        headers={"X-Knit-Execution-Id": "exe_pt_2"},
    )

    message = deliver(integration, scored_run(integration))

    assert message.status == WritebackStatus.DEAD
    assert "Ashby refused" in message.last_error and "not found" in message.last_error
    logged = OutboundCall.objects.get(integration=integration)
    assert logged.error_class == "ATSValidationError" and logged.vendor_request_id == "exe_pt_2"


@pytest.mark.django_db
def test_ashby_403_through_knit_holds_the_result_and_asks_to_reconnect_ashby_inside_knit(mocked_responses):
    """Ashby's 403 missing_endpoint_permission wrapped in Knit's published passthrough shape (no
    status of its own): Ashby refuses Knit's Ashby connection, our Knit key is fine. Re-entering the
    Knit key would do nothing, so the integration stays connected and the result is held, retrying."""
    integration = passthrough_integration()
    mocked_responses.post(PASSTHROUGH_URL, json=fixture("passthrough__ashby_forbidden.json"))

    message = deliver(integration, scored_run(integration))

    integration.refresh_from_db()
    assert message.status == WritebackStatus.RETRYING and message.next_attempt_at is not None
    assert message.last_error_class == "AshbyConnectionRefused"
    assert "reconnect Ashby inside Knit" in message.last_error
    assert "candidatesWrite permission Ashby names" in message.last_error
    assert "not your Knit API key" in message.last_error
    assert integration.status == IntegrationStatus.CONNECTED and integration.status_reason == ""
    warnings = {w.key: w for w in provider_for(integration).health_warnings(integration)}
    assert "reconnect Ashby inside Knit" in warnings["knit_ashby_connection_refused"].message
    assert warnings["knit_ashby_connection_refused"].message.startswith("1 result write-back(s) are held")


@pytest.mark.django_db
def test_a_wrapped_status_code_403_is_read_when_knit_sends_one(mocked_responses):
    """Knit's published example has no wrapped status; one that carries `statusCode` is still read."""
    integration = passthrough_integration()
    mocked_responses.post(PASSTHROUGH_URL, json=fixture("passthrough__wrapped_status_code.json"))

    message = deliver(integration, scored_run(integration))

    integration.refresh_from_db()
    assert message.status == WritebackStatus.RETRYING and message.last_error_class == "AshbyConnectionRefused"
    assert "Ashby answered 403" in message.last_error and "candidatesWrite" in message.last_error
    assert integration.status == IntegrationStatus.CONNECTED


@pytest.mark.django_db
def test_test_credentials_after_reconnecting_ashby_sends_the_held_result_at_once(mocked_responses):
    from integrations.services.integrations import integration_credentials_check

    integration = passthrough_integration()
    integration.credentials = {
        **integration.credentials,
        "assessment_secrets": [{"secret_key": "knit_ashby_k", "base_url": "https://x.example.com"}],
    }
    integration.save(update_fields=["credentials"])
    mocked_responses.post(PASSTHROUGH_URL, json=fixture("passthrough__ashby_forbidden.json"))
    held = deliver(integration, scored_run(integration))
    assert held.status == WritebackStatus.RETRYING

    # The customer reconnects Ashby inside Knit, then presses "Test credentials now".
    mocked_responses.replace(responses.POST, PASSTHROUGH_URL, json=fixture("passthrough.json"))
    mocked_responses.get(
        re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_JOB_LIST}")),
        json=fixture("ats.job.list__last_page.json"),
    )
    assert integration_credentials_check(integration=integration).ok is True

    held.refresh_from_db()
    assert held.status == WritebackStatus.PENDING and held.next_attempt_at is None
    writeback_deliver(message_id=held.pk)
    held.refresh_from_db()
    assert held.status == WritebackStatus.DELIVERED, held.last_error
    integration.refresh_from_db()
    assert not [w for w in provider_for(integration).health_warnings(integration)]


@pytest.mark.django_db
def test_knit_success_without_a_wrapped_ashby_answer_is_not_taken_as_delivered(mocked_responses):
    integration = passthrough_integration()
    mocked_responses.post(PASSTHROUGH_URL, json={"success": True, "data": {}})

    message = deliver(integration, scored_run(integration))

    assert message.status != WritebackStatus.DELIVERED
    assert "no Ashby response" in message.last_error


@pytest.mark.django_db
def test_knits_execution_id_is_stored_with_the_unified_update_call(mocked_responses):
    integration = update_api_integration()
    mocked_responses.post(
        UPDATE_URL, json={"success": True, "data": {}}, headers={"X-Knit-Execution-Id": "exe_u_1"}
    )

    deliver(integration, scored_run(integration))

    assert OutboundCall.objects.get(integration=integration).vendor_request_id == "exe_u_1"


@pytest.mark.django_db
def test_ashbys_answer_is_judged_even_when_knit_passes_ashbys_status_through_as_its_own(mocked_responses):
    """Public Knit passthrough clients read Knit's HTTP status as the app's: a Knit 401 that wraps
    Ashby's answer is Ashby refusing Knit's Ashby key, not Knit refusing ours."""
    integration = passthrough_integration()
    mocked_responses.post(
        PASSTHROUGH_URL,
        status=401,
        json=fixture("passthrough__ashby_unauthorized_mirrored.json"),
        headers={"X-Knit-Execution-Id": "exe_pt_401"},
    )

    message = deliver(integration, scored_run(integration))

    integration.refresh_from_db()
    assert message.status == WritebackStatus.RETRYING
    assert "Ashby answered 401" in message.last_error and "Invalid API key" in message.last_error
    # Ashby named no permission: the message says which one assessment.update needs.
    assert "reconnect Ashby inside Knit" in message.last_error and "candidatesWrite" in message.last_error
    assert integration.status == IntegrationStatus.CONNECTED
    assert OutboundCall.objects.get(integration=integration).vendor_request_id == "exe_pt_401"


@pytest.mark.django_db
def test_knits_own_refusal_of_a_passthrough_call_is_still_knits(mocked_responses):
    integration = passthrough_integration()
    mocked_responses.post(
        PASSTHROUGH_URL, status=401, json={"success": False, "error": {"msg": "Invalid API key"}}
    )

    message = deliver(integration, scored_run(integration))

    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert "Invalid API key" in integration.status_reason and "Ashby" not in message.last_error


@pytest.mark.django_db
def test_ashbys_rate_limit_through_the_passthrough_waits_as_ashby_asks(mocked_responses):
    integration = passthrough_integration()
    mocked_responses.post(PASSTHROUGH_URL, json=fixture("passthrough__ashby_rate_limited.json"))

    message = deliver(integration, scored_run(integration))

    assert message.status == WritebackStatus.RETRYING and message.last_error_class == "ATSRateLimited"
    # Ashby's Retry-After (17 s, wrapped by Knit) sets the next attempt, not our 5 s first backoff.
    from django.utils import timezone

    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 10 < wait <= 17
