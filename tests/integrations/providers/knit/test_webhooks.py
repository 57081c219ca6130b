import json
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun, RunStatus
from assessments.services.runs import candidate_url
from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.knit import constants
from integrations.providers.knit.webhooks import js_stringify, sign
from integrations.services.webhooks import webhook_event_process
from jobcannon.core.models import SentEmail

from .helpers import API_KEY, knit_headers, knit_integration

FIXTURES = Path(__file__).parents[3] / "fixtures" / "knit" / "webhooks"


def body_of(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def post(client, integration, body: bytes, headers: dict[str, str]):
    url = reverse("integrations:webhook", args=["knit", integration.public_id])
    return client.post(url, data=body, content_type="application/json", headers=headers)


def deliver(client, integration, body: bytes, key: str = API_KEY) -> WebhookEvent:
    response = post(client, integration, body, knit_headers(body, key))
    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.filter(integration=integration).order_by("-id").first()
    return webhook_event_process(event_id=event.pk) or event


def activity(integration, kind: str) -> IntegrationActivity:
    return IntegrationActivity.objects.get(integration=integration, kind=kind)


# --- signature --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signature_over_the_raw_body_is_verified_as_raw(client):
    integration = knit_integration()
    body = body_of("record.new")
    post(client, integration, body, knit_headers(body))
    event = WebhookEvent.objects.get(integration=integration)
    assert event.verified and event.signature_scheme == constants.SCHEME_RAW


@pytest.mark.django_db
def test_signature_over_json_stringify_is_accepted_as_fallback_and_recorded(client):
    integration = knit_integration()
    body = body_of("record.new")  # pretty-printed on the wire
    compact = js_stringify(json.loads(body))
    assert compact != body
    response = post(client, integration, body, {constants.SIGNATURE_HEADER: sign(API_KEY, compact)})
    assert response.status_code == 200
    event = WebhookEvent.objects.get(integration=integration)
    assert event.signature_scheme == constants.SCHEME_RESERIALISED


def test_js_stringify_matches_node_for_integral_floats_and_index_keys():
    assert (
        js_stringify({"b": 1.0, "2": "x", "10": "y", "a": [1.5, "é"]})
        == '{"2":"x","10":"y","b":1,"a":[1.5,"é"]}'.encode()
    )


@pytest.mark.django_db
def test_padded_signature_header_is_accepted(client):
    integration = knit_integration()
    body = body_of("record.new")
    signature = sign(API_KEY, body)
    response = post(client, integration, body, {constants.SIGNATURE_HEADER: signature + "="})
    assert response.status_code == 200


@pytest.mark.django_db
def test_hex_signature_is_rejected_with_a_reason(client):
    import hashlib
    import hmac

    integration = knit_integration()
    body = body_of("record.new")
    hex_signature = hmac.new(API_KEY.encode(), body, hashlib.sha256).hexdigest()
    response = post(client, integration, body, {constants.SIGNATURE_HEADER: hex_signature})
    assert response.status_code == 401
    assert "X-Knit-Signature does not match" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_production_rejects_a_webhook_signed_with_the_sandbox_key(client, workspace):
    knit_integration(workspace=workspace, environment="sandbox")
    production = knit_integration(
        workspace=workspace,
        environment="production",
        credentials={"api_key": "knit_production_key_0001", "integration_id": "int_prod"},
        webhook_secrets=[{"secret": "knit_production_key_0001", "created_at": "2026-01-01T00:00:00+00:00"}],
    )
    body = body_of("record.new")
    response = post(client, production, body, knit_headers(body, API_KEY))
    assert response.status_code == 401
    assert "sandbox vs production" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_without_a_saved_knit_api_key_the_reason_says_so(client):
    integration = knit_integration(credentials={}, webhook_secrets=[])
    body = body_of("record.new")
    response = post(client, integration, body, knit_headers(body))
    assert response.status_code == 401
    assert "No Knit API key" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_seed_path_finds_the_integration_by_the_key_that_verifies(client):
    other = knit_integration(
        credentials={"api_key": "knit_other_key_0001", "integration_id": "int_other"},
        webhook_secrets=[{"secret": "knit_other_key_0001", "created_at": "2026-01-01T00:00:00+00:00"}],
    )
    integration = knit_integration()
    body = body_of("record.new")
    response = client.post(
        "/knit/webhooks", data=body, content_type="application/json", headers=knit_headers(body)
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.get().integration == integration
    assert not WebhookEvent.objects.filter(integration=other).exists()


# --- record.new ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_new_creates_a_run_with_ashby_references_and_invites_the_candidate(client):
    integration = knit_integration()
    event = deliver(client, integration, body_of("record.new"))
    assert event.status == WebhookStatus.PROCESSED, event.error
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_assessment_id == "ats_ass_a1b2c3d4e5f6g7h8i9j0k"
    assert (run.external_candidate_id, run.external_application_id, run.external_job_id) == (
        "cand_789xyz",
        "app_123abc",
        "job_456def",
    )
    assert run.external_type_id == "pkg_456" and run.instrument == "big5"
    assert (run.candidate_first_name, run.candidate_last_name, run.candidate_email) == (
        "Alex",
        "Chen",
        "alex.chen@example.com",
    )
    assert run.ats_context["job_name"] == "Senior Frontend Engineer"
    assert run.ats_context["package_name"] == "Frontend Engineer Assessment"
    assert run.status == RunStatus.INVITED
    assert SentEmail.objects.filter(to__icontains="alex.chen@example.com").exists()
    assert "Alex Chen" in activity(integration, "knit.assessment_started").message


@pytest.mark.django_db
def test_record_new_redelivered_with_a_new_event_id_keeps_one_run(client):
    integration = knit_integration()
    deliver(client, integration, body_of("record.new"))
    again = json.loads(body_of("record.new"))
    again["eventId"] = "evt_retry_2"
    deliver(client, integration, json.dumps(again).encode())
    assert AssessmentRun.objects.filter(integration=integration).count() == 1
    assert activity(integration, "knit.assessment_repeated")


@pytest.mark.django_db
def test_record_new_uses_the_customers_package_mapping(client):
    integration = knit_integration(provider_settings={"package_map": {"pkg_456": "disc"}})
    deliver(client, integration, body_of("record.new"))
    assert AssessmentRun.objects.get(integration=integration).instrument == "disc"


@pytest.mark.django_db
def test_record_new_without_any_email_is_acknowledged_and_logged_as_an_error(client):
    integration = knit_integration()
    payload = json.loads(body_of("record.new"))
    payload["eventData"]["candidateAssessment"]["candidate"]["emails"] = None
    payload["eventData"]["candidateAssessment"]["originData"]["candidate"]["email"] = None
    event = deliver(client, integration, json.dumps(payload).encode())
    assert event.status == WebhookStatus.PROCESSED
    assert not AssessmentRun.objects.filter(integration=integration).exists()
    line = activity(integration, "knit.assessment_rejected")
    assert line.level == "error" and "email" in line.message


@pytest.mark.django_db
def test_record_new_for_another_sync_data_type_is_unsupported(client):
    integration = knit_integration()
    payload = json.loads(body_of("record.new"))
    payload["syncDataType"] = "ats_applications"
    event = deliver(client, integration, json.dumps(payload).encode())
    assert event.status == WebhookStatus.UNSUPPORTED
    assert not AssessmentRun.objects.exists()


@pytest.mark.django_db
def test_record_modified_is_ignored(client):
    integration = knit_integration()
    payload = json.loads(body_of("record.new"))
    payload["eventType"] = "record.modified"
    assert deliver(client, integration, json.dumps(payload).encode()).status == WebhookStatus.IGNORED


@pytest.mark.django_db
def test_body_without_event_type_is_rejected_as_malformed(client):
    integration = knit_integration()
    body = b'{"eventId": "evt_1"}'
    response = post(client, integration, body, knit_headers(body))
    assert response.status_code == 400
    assert "eventType" in response.json()["error"]["message"]


# --- record.deleted ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_deleted_cancels_the_run_and_revokes_the_candidate_link(client):
    integration = knit_integration()
    deliver(client, integration, body_of("record.new"))
    run = AssessmentRun.objects.get(integration=integration)
    link = candidate_url(run=run)
    assert client.get(link).status_code == 200
    deleted = json.loads(body_of("record.deleted"))
    for key in ("recordId",):
        deleted[key] = run.external_assessment_id
    deleted["eventData"]["candidateAssessment"]["id"] = run.external_assessment_id
    event = deliver(client, integration, json.dumps(deleted).encode())
    assert event.status == WebhookStatus.PROCESSED
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and "Ashby" in run.cancelled_reason
    assert client.get(link).status_code == 410
    # Ashby asked for it: nothing is written back.
    assert not run.writebacks.exists()
    assert activity(integration, "knit.assessment_cancelled")


def cancel_body(run: AssessmentRun) -> bytes:
    deleted = json.loads(body_of("record.deleted"))
    deleted["recordId"] = run.external_assessment_id
    deleted["eventData"]["candidateAssessment"]["id"] = run.external_assessment_id
    return json.dumps(deleted).encode()


@pytest.mark.django_db
@pytest.mark.parametrize("finished", [RunStatus.DELIVERED, RunStatus.COMPLETED, RunStatus.EXPIRED])
def test_record_deleted_for_a_finished_run_says_nothing_changed(client, finished):
    integration = knit_integration()
    deliver(client, integration, body_of("record.new"))
    run = AssessmentRun.objects.get(integration=integration)
    AssessmentRun.objects.filter(pk=run.pk).update(status=finished)
    event = deliver(client, integration, cancel_body(run))
    assert event.status == WebhookStatus.PROCESSED
    run.refresh_from_db()
    assert run.status == finished
    assert not IntegrationActivity.objects.filter(
        integration=integration, kind="knit.assessment_cancelled"
    ).exists()
    line = activity(integration, "knit.cancel_after_finish")
    assert line.level == "warning"
    assert f"run {run.pk} had already finished ({finished})" in line.message
    assert "nothing changed" in line.message


@pytest.mark.django_db
def test_record_deleted_redelivered_for_a_cancelled_run_says_it_was_already_cancelled(client):
    integration = knit_integration()
    deliver(client, integration, body_of("record.new"))
    run = AssessmentRun.objects.get(integration=integration)
    deliver(client, integration, cancel_body(run))
    # Ashby sends assessment.cancel again (a new Knit event id): one cancellation line, not two.
    deleted = json.loads(cancel_body(run))
    deleted["eventId"] = "evt_knit_cancel_again_0001"
    deliver(client, integration, json.dumps(deleted).encode())
    assert (
        IntegrationActivity.objects.filter(integration=integration, kind="knit.assessment_cancelled").count()
        == 1
    )
    line = activity(integration, "knit.cancel_repeated")
    assert f"run {run.pk} was already cancelled" in line.message


@pytest.mark.django_db
def test_record_deleted_for_an_unknown_assessment_is_acknowledged_and_logged(client):
    integration = knit_integration()
    event = deliver(client, integration, body_of("record.deleted"))
    assert event.status == WebhookStatus.PROCESSED
    line = activity(integration, "knit.cancel_unknown")
    assert line.level == "warning" and "ats_ass_x9y8z7w6v5u4t3s2r1q0p" in line.message


# --- demo_seed --json: its webhook_secret signs Knit's events ----------------------------------


def knit_documented_signature(key: str, body: bytes) -> str:
    """Written from Knit's webhook page, not from our code: HMAC-SHA256 of the payload keyed with the
    Knit API key, Base64 URL-safe, no padding (shared/reference/lever-smartrecruiters-knit.md §3)."""
    import base64
    import hashlib
    import hmac

    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@pytest.mark.django_db
def test_demo_seeds_webhook_secret_signs_knits_record_new_and_record_deleted(client, capsys):
    from django.core.management import call_command

    from integrations.models import Integration

    call_command("demo_seed", "--json")
    entry = json.loads(capsys.readouterr().out)["integrations"]["knit"]
    integration = Integration.objects.get(pk=entry["id"])
    assert entry["webhook_secret"] == integration.credential("api_key"), "Knit signs with its API key"

    def send(body: bytes, key: str):
        return client.post(
            entry["webhook_url"],
            data=body,
            content_type="application/json",
            headers={constants.SIGNATURE_HEADER: knit_documented_signature(key, body)},
        )

    new = body_of("record.new")
    assert send(new, "not-the-demo-key").status_code == 401
    assert send(new, entry["webhook_secret"]).status_code == 200
    event = WebhookEvent.objects.get(integration=integration, verified=True)
    assert event.signature_scheme == constants.SCHEME_RAW
    assert webhook_event_process(event_id=event.pk).status == WebhookStatus.PROCESSED
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_assessment_id == "ats_ass_a1b2c3d4e5f6g7h8i9j0k"

    # Seeding again keeps the key, so a script's saved webhook_secret keeps signing.
    call_command("demo_seed", "--json")
    assert (
        json.loads(capsys.readouterr().out)["integrations"]["knit"]["webhook_secret"]
        == entry["webhook_secret"]
    )
    deleted = json.loads(body_of("record.deleted"))
    deleted["recordId"] = deleted["eventData"]["candidateAssessment"]["id"] = run.external_assessment_id
    body = json.dumps(deleted).encode()
    assert send(body, entry["webhook_secret"]).status_code == 200
    latest = WebhookEvent.objects.filter(integration=integration).order_by("-id").first()
    assert webhook_event_process(event_id=latest.pk).status == WebhookStatus.PROCESSED
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
