"""Ashby → Knit simulator → our webhook → run → result → Knit simulator, all over (in-process) HTTP."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun, RunStatus
from assessments.services.candidate import answers_save, assessment_run_start, assessment_run_submit
from integrations.models import (
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.knit import constants
from integrations.providers.knit.services import knit_credentials_save
from integrations.providers.knit.simulator import (
    SIM_ASSESSMENT,
    SIM_SUBMISSION,
    sim_account_create,
    sim_account_update,
    sim_list,
)
from integrations.providers.knit.simulator_ashby import (
    WorkflowError,
    ashby_assessment_cancel,
    ashby_assessment_start,
)
from integrations.selectors import webhook_url_for
from integrations.services.integrations import integration_create
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from integrations.simulator_plugins.models import SimulatorObject

SEED = Path(__file__).parents[3] / "fixtures" / "knit" / "webhooks"


@pytest.fixture
def connected(simulators, workspace, user):
    """A sandbox Knit integration set up through the service, its Knit webhook registered."""
    account = sim_account_create("Acme")
    integration = integration_create(
        workspace=workspace, provider="knit", auth_kind="api_key", created_by=user
    )
    assert knit_credentials_save(
        integration=integration,
        api_key=account["api_key"],
        integration_id=account["integration_id"],
        use_simulator=True,
    )
    integration.refresh_from_db()
    sim_account_update(account["integration_id"], webhook_url=webhook_url_for(integration))
    secret = integration.credential("assessment_secrets")[0]["secret_key"]
    return integration, account, secret


def start(secret: str, email: str = "sam.lee@example.com", package: str = "big5") -> str:
    result = ashby_assessment_start(
        secret,
        {
            "application": {"ashby_id": f"app_{email}", "status": "IN_REVIEW"},
            "assessment_type_id": package,
            "candidate": {"ashby_id": "cand_1", "email": email, "first_name": "Sam", "last_name": "Lee"},
            "job": {"ashby_id": "job_1", "name": "Analyst"},
        },
        {"name": "Big Five", "type": "BEHAVIORAL"},
    )
    assert result["delivery"]["status"] == 200, result["delivery"]
    return result["assessment_id"]


def process_latest(integration) -> WebhookEvent:
    event = WebhookEvent.objects.filter(integration=integration).order_by("-id").first()
    return webhook_event_process(event_id=event.pk)


def complete(run: AssessmentRun) -> None:
    run = assessment_run_start(run=run)
    instrument = instrument_get(run.instrument, run.instrument_version)
    assert not answers_save(run=run, values={item.id: 4 for item in instrument.items})
    assessment_run_submit(run=run)


def deliver_pending(integration) -> list[WritebackMessage]:
    for message in WritebackMessage.objects.filter(integration=integration, status=WritebackStatus.PENDING):
        writeback_deliver(message_id=message.pk)
    return list(WritebackMessage.objects.filter(integration=integration).order_by("id"))


def keys_tree(value):
    if isinstance(value, dict):
        return {k: keys_tree(v) for k, v in value.items() if k != "originData"}
    return None


@pytest.mark.django_db
def test_simulated_events_have_exactly_the_seed_shape(connected):
    integration, account, secret = connected
    assessment_id = start(secret)
    ashby_assessment_cancel(secret, assessment_id)
    new, deleted = (json.loads(bytes(e.body)) for e in WebhookEvent.objects.order_by("id"))
    assert keys_tree(new) == keys_tree(json.loads((SEED / "record.new.json").read_bytes()))
    assert keys_tree(deleted) == keys_tree(json.loads((SEED / "record.deleted.json").read_bytes()))
    assert deleted["eventData"]["candidateAssessment"]["originData"] == {"assessment_id": assessment_id}


@pytest.mark.django_db
def test_ashby_start_complete_and_result_submission_through_knit(
    connected, django_capture_on_commit_callbacks
):
    """By default the result is Ashby's own assessment.update, through Knit's passthrough."""
    integration, account, secret = connected
    assessment_id = start(secret)
    event = process_latest(integration)
    assert event.status == WebhookStatus.PROCESSED and event.signature_scheme == constants.SCHEME_RAW
    run = AssessmentRun.objects.get(integration=integration, external_assessment_id=assessment_id)
    complete(run)
    messages = deliver_pending(integration)
    assert [(m.event, m.status) for m in messages] == [("started", "delivered"), ("completed", "delivered")]
    submissions = {s.data["status"]: s.data for s in sim_list(SIM_SUBMISSION)}
    assert {s["mode"] for s in submissions.values()} == {"passthrough"}
    completed = json.loads(submissions["COMPLETED"]["body"]["body"])
    assert completed["assessment_id"] == assessment_id
    assert completed["assessment_result"]["type"] == "numeric_score"
    assert completed["assessment_profile_url"]["value"].startswith("http://testserver/assessments/reports/")
    started = json.loads(submissions["STARTED"]["body"]["body"])
    assert started["assessment_status"]["value"] == "Started"
    run.refresh_from_db()
    assert run.status == RunStatus.DELIVERED
    # The simulator's page shows it.
    page = integration_client_get(reverse("integrations:sim-knit:submissions"))
    assert assessment_id in page and "numeric_score" in page


def use_knit_update_api(integration) -> None:
    integration.provider_settings = {
        **integration.provider_settings,
        "result_mode": constants.RESULT_MODE_UPDATE,
    }
    integration.save()


@pytest.mark.django_db
def test_knits_update_api_gets_the_published_candidate_assessment_fields(connected):
    """The simulator checks the body against Knit's published model (a fixture transcribed from
    Knit's page), not against the client's constant: only id, status and metaData reach it."""
    integration, account, secret = connected
    use_knit_update_api(integration)
    assessment_id = start(secret)
    process_latest(integration)
    complete(AssessmentRun.objects.get(integration=integration))
    messages = deliver_pending(integration)
    assert [m.status for m in messages] == ["delivered", "delivered"], [m.last_error for m in messages]
    submissions = {s.data["status"]: s.data for s in sim_list(SIM_SUBMISSION)}
    assert {s["mode"] for s in submissions.values()} == {constants.RESULT_MODE_UPDATE}
    body = submissions["COMPLETED"]["body"]
    assert set(body) == {"id", "status", "metaData"} and body["id"] == assessment_id
    assert body["metaData"]["assessment_result"]["type"] == "numeric_score"
    assert submissions["STARTED"]["body"]["metaData"]["assessment_status"]["value"] == "Started"


@pytest.mark.django_db
def test_a_client_body_outside_knits_published_model_is_refused(connected, monkeypatch):
    """Rename one field of the client's body (the guess of old: candidateAssessmentId) and Knit's
    simulated update refuses it, naming the published fields: the tests no longer pass whatever
    the client sends."""
    integration, account, secret = connected
    use_knit_update_api(integration)
    monkeypatch.setitem(constants.UPDATE_BODY_FIELDS, "assessment_id", "candidateAssessmentId")
    start(secret)
    process_latest(integration)
    assessment_run_start(run=AssessmentRun.objects.get(integration=integration))
    [message] = deliver_pending(integration)
    assert message.status == WritebackStatus.DEAD
    assert "Unknown field(s) candidateAssessmentId" in message.last_error
    assert "id, assessmentPackage, candidate" in message.last_error
    assert not sim_list(SIM_SUBMISSION)


def integration_client_get(url: str) -> str:
    from django.test import Client

    return Client().get(url).content.decode()


@pytest.mark.django_db
def test_simulated_passthrough_takes_a_string_body_and_wraps_ashbys_answer(connected, client):
    integration, account, secret = connected
    url = reverse("integrations:sim-knit:api-passthrough")
    headers = {
        "Authorization": f"Bearer {account['api_key']}",
        "X-Knit-Integration-Id": account["integration_id"],
    }
    update = {
        "assessment_id": "ats_ass_unknown",
        "timestamp": 1700000000000,
        "cancelled_reason": {"value": "x"},
    }
    as_object = {"method": "POST", "path": "/assessment.update", "body": update}
    refused = client.post(url, data=json.dumps(as_object), content_type="application/json", headers=headers)
    assert refused.status_code == 400 and "must be a string" in refused.json()["error"]["msg"]
    as_string = {**as_object, "body": json.dumps(update)}
    answer = client.post(url, data=json.dumps(as_string), content_type="application/json", headers=headers)
    # Knit delivered the call (its envelope says success); Ashby refused it (the wrapped answer).
    assert answer.status_code == 200 and answer.json()["success"] is True
    wrapped = answer.json()["data"]["response"]
    assert isinstance(wrapped["body"], str) and json.loads(wrapped["body"])["success"] is False
    assert answer.headers["X-Knit-Execution-Id"].startswith("exe_")


@pytest.mark.django_db
def test_ashby_cancel_through_knit_cancels_the_run(connected):
    integration, account, secret = connected
    assessment_id = start(secret)
    process_latest(integration)
    ashby_assessment_cancel(secret, assessment_id)
    assert process_latest(integration).status == WebhookStatus.PROCESSED
    run = AssessmentRun.objects.get(integration=integration)
    assert run.status == RunStatus.CANCELLED
    assert not WritebackMessage.objects.filter(integration=integration).exists()


@pytest.mark.django_db
def test_cancelling_in_jobcannon_tells_ashby_through_knit(connected):
    from assessments.services.runs import assessment_run_cancel

    integration, account, secret = connected
    start(secret)
    process_latest(integration)
    assessment_run_cancel(run=AssessmentRun.objects.get(integration=integration), reason="Position filled")
    [message] = deliver_pending(integration)
    assert message.status == WritebackStatus.DELIVERED
    [submission] = sim_list(SIM_SUBMISSION)
    assert submission.data["mode"] == "passthrough"
    assert json.loads(submission.data["body"]["body"])["cancelled_reason"]["value"] == "Position filled"


@pytest.mark.django_db
def test_json_stringify_signing_is_accepted_and_recorded(connected):
    integration, account, secret = connected
    sim_account_update(account["integration_id"], sign_mode="json_stringify")
    start(secret)
    event = WebhookEvent.objects.get(integration=integration)
    assert event.verified and event.signature_scheme == constants.SCHEME_RESERIALISED


@pytest.mark.django_db
def test_knit_outage_is_retried_and_an_unknown_assessment_is_a_dead_letter(connected):
    integration, account, secret = connected
    start(secret)
    process_latest(integration)
    run = assessment_run_start(run=AssessmentRun.objects.get(integration=integration))
    sim_account_update(account["integration_id"], fail_next=["503"])
    [message] = deliver_pending(integration)  # the "started" update
    assert message.status == WritebackStatus.RETRYING and message.last_error_class == "ATSServerError"
    SimulatorObject.objects.filter(kind=SIM_ASSESSMENT).delete()
    writeback_deliver(message_id=message.pk)  # the scheduled retry, run by hand
    message.refresh_from_db()
    # Ashby's refusal, wrapped in Knit's passthrough answer.
    assert message.status == WritebackStatus.DEAD and "Ashby refused" in message.last_error
    assert "not found" in message.last_error
    assert run.writebacks.get() == message


@pytest.mark.django_db
def test_knit_rejects_ashby_with_an_unknown_or_revoked_secret(connected):
    with pytest.raises(WorkflowError) as exc:
        start("knit_ashby_not_a_real_secret")
    assert exc.value.status == 401


@pytest.mark.django_db
def test_knit_workflow_endpoint_takes_ashby_basic_auth(connected, client):
    import base64

    integration, account, secret = connected
    body = {
        "assessment_type_id": "disc",
        "candidate": {
            "email": "kim.park@example.com",
            "first_name": "Kim",
            "last_name": "Park",
            "ashby_id": "c9",
        },
        "application": {"ashby_id": "a9", "status": "Active"},
        "job": {"ashby_id": "j9", "name": "PM"},
    }
    auth = "Basic " + base64.b64encode(f"{secret}:".encode()).decode()
    url = reverse("integrations:sim-knit:workflow", args=["assessment.start"])
    response = client.post(
        url, data=json.dumps(body), content_type="application/json", headers={"Authorization": auth}
    )
    assert response.status_code == 200 and response.json()["results"]["assessment_id"].startswith("ats_ass_")
    assert process_latest(integration).status == WebhookStatus.PROCESSED
    assert AssessmentRun.objects.get(integration=integration).instrument == "disc"
    bad = client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": "Basic " + base64.b64encode(b"nope:").decode()},
    )
    assert bad.status_code == 401


@pytest.mark.django_db
def test_simulator_api_checks_bearer_key_and_integration_id(connected, client):
    integration, account, secret = connected
    url = reverse("integrations:sim-knit:api-job-list")
    assert client.get(url).status_code == 401
    wrong = client.get(
        url, headers={"Authorization": "Bearer nope", "X-Knit-Integration-Id": account["integration_id"]}
    )
    assert wrong.status_code == 401 and wrong.json()["success"] is False
    ok = client.get(
        url,
        headers={
            "Authorization": f"Bearer {account['api_key']}",
            "X-Knit-Integration-Id": account["integration_id"],
        },
    )
    assert ok.status_code == 200 and ok.json()["success"] is True


def expire(integration, secret) -> str:
    import datetime as dt

    from django.utils import timezone

    from assessments.services.lifecycle import assessment_run_expire

    assessment_id = start(secret)
    process_latest(integration)
    run = AssessmentRun.objects.get(integration=integration)
    run.due_at = timezone.now() - dt.timedelta(minutes=1)
    run.save(update_fields=["due_at"])
    assert assessment_run_expire(run=run)
    return assessment_id


@pytest.mark.django_db
def test_a_run_that_expires_reaches_knit_as_expired_not_cancelled(connected):
    integration, account, secret = connected
    use_knit_update_api(integration)
    assessment_id = expire(integration, secret)
    [message] = deliver_pending(integration)

    assert (message.event, message.status) == ("expired", WritebackStatus.DELIVERED), message.last_error
    [submission] = sim_list(SIM_SUBMISSION)
    assert submission.data["status"] == "EXPIRED" and submission.data["assessment_id"] == assessment_id
    assert submission.data["body"]["metaData"]["cancelled_reason"]["label"] == "Expired"
    assert SimulatorObject.objects.get(kind=SIM_ASSESSMENT, key=assessment_id).data["status"] == "EXPIRED"


@pytest.mark.django_db
def test_through_the_passthrough_an_expired_run_closes_ashbys_assessment_labelled_expired(connected):
    """Ashby's assessment.update has no expiry: the default path says "Expired" in cancelled_reason."""
    integration, account, secret = connected
    assessment_id = expire(integration, secret)
    [message] = deliver_pending(integration)

    assert (message.event, message.status) == ("expired", WritebackStatus.DELIVERED), message.last_error
    [submission] = sim_list(SIM_SUBMISSION)
    inner = json.loads(submission.data["body"]["body"])
    assert inner["assessment_id"] == assessment_id and "assessment_status" not in inner
    assert inner["cancelled_reason"]["label"] == "Expired"
    # The sandbox records what the update means, Knit's EXPIRED, not CANCELLED: on its submissions
    # page and on the simulated candidate assessment.
    assert submission.data["status"] == "EXPIRED"
    assert SimulatorObject.objects.get(kind=SIM_ASSESSMENT, key=assessment_id).data["status"] == "EXPIRED"
    page = integration_client_get(reverse("integrations:sim-knit:submissions"))
    badge = re.search(r'class="badge sim-submission-status">([A-Z_]+)<', page)
    assert badge and badge.group(1) == "EXPIRED"


@pytest.mark.django_db
def test_through_the_passthrough_a_cancellation_is_still_recorded_cancelled(connected):
    from assessments.services.runs import assessment_run_cancel

    integration, account, secret = connected
    assessment_id = start(secret)
    process_latest(integration)
    assessment_run_cancel(run=AssessmentRun.objects.get(integration=integration), reason="Expired role")
    deliver_pending(integration)
    [submission] = sim_list(SIM_SUBMISSION)
    assert submission.data["status"] == "CANCELLED"
    assert SimulatorObject.objects.get(kind=SIM_ASSESSMENT, key=assessment_id).data["status"] == "CANCELLED"


@pytest.mark.django_db
def test_the_simulated_update_api_takes_only_knits_published_model(connected, client):
    integration, account, secret = connected
    assessment_id = start(secret)
    url = reverse("integrations:sim-knit:api-assessment-update")
    headers = {
        "Authorization": f"Bearer {account['api_key']}",
        "X-Knit-Integration-Id": account["integration_id"],
    }

    def send(body: dict):
        return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)

    refused = send({"id": assessment_id, "status": "SCORED"})
    assert refused.status_code == 422 and "EXPIRED" in refused.json()["error"]["msg"]
    assert refused.headers["X-Knit-Execution-Id"].startswith("exe_")
    for status in ("STARTED", "IN_PROGRESS", "PENDING", "REJECTED", "EXPIRED"):
        assert send({"id": assessment_id, "status": status, "metaData": {}}).status_code == 200, status
    # Names Knit does not publish for a candidate assessment are refused, whatever the client thinks.
    invented = send({"candidateAssessmentId": assessment_id, "status": "COMPLETED", "timestamp": 1})
    assert invented.status_code == 422
    message = invented.json()["error"]["msg"]
    assert "candidateAssessmentId, timestamp" in message and "id (the candidate assessment id)" in message
    wrong_type = send({"id": assessment_id, "status": "COMPLETED", "metaData": "score 72"})
    assert (
        wrong_type.status_code == 422 and "metaData must be a JsonObject" in wrong_type.json()["error"]["msg"]
    )
