"""The SmartRecruiters sync against the built-in sandbox: jobs with SR's candidate statuses as stages,
candidates with their job assignments as applications, pageId/nextPageId paging, the
updatedAfter checkpoint, and a run broken on page N resumed without loss or duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from integrations.models import IntegrationStatus, Token
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.integrations import integration_create
from integrations.sync import simulator as faults
from integrations.sync.models import (
    Application,
    Candidate,
    InterviewStage,
    Job,
    SyncCheckpoint,
    SyncMode,
    SyncStatus,
)
from integrations.sync.selectors import stage_list_for_job
from integrations.sync.services import sync_integration, sync_run_start
from integrations.sync.tasks import sync_record_refresh_task


@pytest.fixture
def sr(simulators, workspace, user):
    integration = integration_create(
        workspace=workspace,
        provider="smartrecruiters",
        environment="sandbox",
        auth_kind="oauth2",
        region="us",
        created_by=user,
        provider_settings={"use_simulator": True, "sync_page_size": 2},
    )
    get_provider("smartrecruiters").demo_setup(integration)
    integration.refresh_from_db()
    company = "co-" + integration.public_id.hex[:12]
    tokens = sim.tokens_issue(company_id=company, scopes=list(constants.SCOPES))
    Token.objects.create(
        integration=integration,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
        access_expires_at=timezone.now() + dt.timedelta(hours=1),
        scopes_granted=list(constants.SCOPES),
    )
    integration.status = IntegrationStatus.CONNECTED
    integration.save()
    job = sim.jobs(company)[0]
    integration.job = job
    integration.people = [
        sim.candidate_create(
            company_id=company,
            job_id=job["id"],
            first_name=f"Pat{n}",
            last_name="Example",
            email=f"pat{n}@example.com",
        )
        for n in range(5)
    ]
    yield integration
    faults.fault_clear("smartrecruiters")


@pytest.mark.django_db
def test_jobs_with_stages_and_candidates_with_applications_are_synced(sr):
    runs = sync_integration(integration=sr)

    assert [r.resource for r in runs] == ["jobs", "candidates"]
    assert all(r.status == SyncStatus.SUCCEEDED for r in runs)
    job = Job.objects.get(integration=sr, external_id=sr.job["id"])
    assert [s.external_id for s in stage_list_for_job(job=job)] == [
        f"{job.external_id}:{status}" for status in constants.CANDIDATE_STATUSES
    ]
    assert Candidate.objects.filter(integration=sr).count() == 5 and runs[1].pages == 3
    for application in Application.objects.filter(integration=sr):
        assert application.job == job and application.candidate and application.stage.title == "New"
    assert InterviewStage.objects.filter(integration=sr).count() == len(constants.CANDIDATE_STATUSES)


@pytest.mark.django_db
def test_next_candidates_run_is_incremental_with_updated_after(sr):
    first = sync_run_start(integration=sr, resource="candidates")
    assert (
        SyncCheckpoint.objects.get(integration=sr, resource="candidates").sync_token == first.checkpoint_out
    )

    second = sync_run_start(integration=sr, resource="candidates")

    assert second.mode == SyncMode.INCREMENTAL and second.sync_token_in == first.checkpoint_out
    assert Candidate.objects.filter(integration=sr).count() == 5


@pytest.mark.django_db
def test_smartrecruiters_run_broken_on_page_two_resumes_without_loss_or_duplicates(sr):
    faults.fault_set("smartrecruiters", "candidates.list", page=2, status=503)

    broken = sync_run_start(integration=sr, resource="candidates")
    assert (
        broken.status == SyncStatus.FAILED and broken.pages == 1 and broken.last_error["status_code"] == 503
    )

    done = sync_run_start(integration=sr, resource="candidates")
    assert done.pk == broken.pk and done.status == SyncStatus.SUCCEEDED and done.pages == 3
    ids = sorted(Candidate.objects.filter(integration=sr).values_list("external_id", flat=True))
    assert ids == sorted(p["id"] for p in sr.people)
    assert Application.objects.filter(integration=sr).count() == 5


@pytest.mark.django_db
def test_targeted_refresh_reads_one_candidate(sr):
    sync_run_start(integration=sr, resource="jobs")
    sync_run_start(integration=sr, resource="candidates")
    person = sr.people[0]
    sim.put("candidate", person["id"], {**sim.get("candidate", person["id"]), "stageId": "assessment"})

    sync_record_refresh_task(sr.pk, "candidates", person["id"])

    application = Application.objects.get(integration=sr, external_id=f"{person['id']}:{sr.job['id']}")
    assert (application.stage.title, application.stage_title) == ("In review", "In review: Assessment")


# -- webhooks trigger a targeted refresh of the candidate they name ------------------------------

REFRESH = "integrations.sync.refresh.sync_record_refresh_task"


def _deliver(client, integration, event: str, data: dict, capture):
    """A seed-signed delivery (X-SmartRecruiters-Signature over the raw body), then processed."""
    import json

    from django.urls import reverse

    from integrations.base import hmac_sha256_hex
    from integrations.models import WebhookEvent, WebhookStatus
    from integrations.services.webhooks import webhook_event_process

    body = json.dumps({"id": f"evt-{event}-{data.get('candidateId')}", "event": event, "data": data}).encode()
    secret = integration.webhook_secrets[0]["secret"]
    response = client.post(
        reverse("integrations:webhook", args=["smartrecruiters", integration.public_id]),
        data=body,
        content_type="application/json",
        headers={constants.SEED_SIGNATURE_HEADER: hmac_sha256_hex(secret, body)},
    )
    assert response.status_code == 202
    event_row = WebhookEvent.objects.filter(integration=integration).order_by("-pk").first()
    with capture(execute=True):
        webhook_event_process(event_id=event_row.pk)
    event_row.refresh_from_db()
    assert event_row.status == WebhookStatus.PROCESSED, event_row.error


@pytest.mark.django_db
def test_assessment_completed_webhook_refreshes_the_candidate_it_names(
    sr, client, enqueued, django_capture_on_commit_callbacks
):
    sync_run_start(integration=sr, resource="jobs")
    sync_run_start(integration=sr, resource="candidates")
    person = sr.people[1]
    sim.put("candidate", person["id"], {**sim.get("candidate", person["id"]), "stageId": "assessment"})

    _deliver(
        client,
        sr,
        constants.EVENT_ASSESSMENT_COMPLETED,
        {"orderId": "ord-unknown", "candidateId": person["id"], "jobId": sr.job["id"]},
        django_capture_on_commit_callbacks,
    )

    queued = [call[1:] for call in enqueued if call[0] == REFRESH]
    assert queued == [(sr.pk, "candidates", person["id"])]
    sync_record_refresh_task(*queued[0])
    application = Application.objects.get(integration=sr, external_id=f"{person['id']}:{sr.job['id']}")
    assert application.stage_title == "In review: Assessment" and application.last_seen_via == "webhook"


@pytest.mark.django_db
def test_refresh_of_a_candidate_smartrecruiters_no_longer_has_removes_the_copy(
    sr, client, enqueued, django_capture_on_commit_callbacks
):
    from integrations.simulator_plugins.models import SimulatorObject
    from integrations.sync.models import DeletionReason

    sync_run_start(integration=sr, resource="candidates")
    gone = sr.people[2]["id"]
    SimulatorObject.objects.filter(provider=sim.P, kind="candidate", key=gone).delete()

    _deliver(
        client,
        sr,
        constants.EVENT_ASSESSMENT_COMPLETED,
        {"orderId": "ord-unknown", "candidateId": gone, "jobId": sr.job["id"]},
        django_capture_on_commit_callbacks,
    )
    sync_record_refresh_task(sr.pk, "candidates", gone)

    candidate = Candidate.objects.get(integration=sr, external_id=gone)
    assert candidate.deletion_reason == DeletionReason.NOT_FOUND
    assert Candidate.objects.filter(integration=sr, deleted_at__isnull=True).count() == 4


@pytest.mark.django_db
def test_application_status_updated_event_refreshes_the_candidate_it_names(
    sr, client, enqueued, django_capture_on_commit_callbacks
):
    """The Webhooks API's own event: IDs only, signed with the v1 scheme, the name in a header."""
    import hashlib
    import hmac
    import json
    import time

    from django.urls import reverse

    from integrations.models import WebhookEvent, WebhookStatus
    from integrations.services.webhooks import webhook_event_process

    person = sr.people[4]
    body = json.dumps({"job_id": sr.job["id"], "candidate_id": person["id"]}).encode()
    headers = {
        "event-name": constants.EVENT_APPLICATION_STATUS_UPDATED,
        "event-id": "evt-status-1",
        "event-version": "v201910",  # the version SR reports (read-only; SRD signature example)
        "link": f"<https://api.smartrecruiters.com/candidates/{person['id']}>; rel=self",
        "smartrecruiters-timestamp": str(int(time.time())),
    }
    message = b".".join(
        [headers["smartrecruiters-timestamp"].encode(), body]
        + [headers[h].encode() for h in ("event-id", "event-name", "event-version", "link")]
    )
    secret = sr.webhook_secrets[0]["secret"].encode()
    headers["smartrecruiters-signature"] = "v1=" + hmac.new(secret, message, hashlib.sha256).hexdigest()
    response = client.post(
        reverse("integrations:webhook", args=["smartrecruiters", sr.public_id]),
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 202
    event = WebhookEvent.objects.get(integration=sr, external_id="evt-status-1")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    assert (REFRESH, sr.pk, "candidates", person["id"]) in enqueued
