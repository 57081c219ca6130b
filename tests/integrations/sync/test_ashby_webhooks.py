"""Ashby webhooks keep the synced copy current between runs: the application a stage-change
carries is stored at once (never older over newer), the record is re-read with a targeted
refresh, deletions and merges are applied, and the whole path works against the simulator."""

from __future__ import annotations

import json

import pytest

from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby import simulator_sync as sim_sync
from integrations.providers.ashby import simulator_sync_data as sim_data
from integrations.services.webhooks import webhook_event_process
from integrations.sync.models import Application, Candidate, DeletionReason, Job, SeenVia
from integrations.sync.services import sync_integration
from integrations.sync.tasks import sync_record_refresh_task
from tests.integrations.providers.ashby.helpers import ashby_integration, fixture, post_webhook, sign_real

APP_ID = "c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f"
CANDIDATE_ID = "8f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"
REFRESH = "integrations.sync.tasks.sync_record_refresh_task"


def deliver(client, integration, body: bytes, capture) -> WebhookEvent:
    post_webhook(client, integration, body, sign_real(body))
    event = WebhookEvent.objects.filter(integration=integration).order_by("-pk").first()
    with capture(execute=True):
        webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    return event


def refreshes(enqueued) -> list[tuple]:
    return [call[2:] for call in enqueued if call[0] == REFRESH]


@pytest.mark.django_db
def test_stage_change_stores_the_application_and_queues_a_targeted_refresh(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks)

    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.stage_title == "Assessment" and application.last_seen_via == SeenVia.WEBHOOK
    assert application.candidate_external_id == CANDIDATE_ID
    assert ("applications", APP_ID) in refreshes(enqueued)
    assert ("candidates", CANDIDATE_ID) in refreshes(enqueued), "the candidate we do not hold yet is fetched"


@pytest.mark.django_db
def test_an_older_application_event_does_not_overwrite_a_newer_copy(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("candidateHire"), django_capture_on_commit_callbacks)  # 2026-03-20
    deliver(
        client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks
    )  # 2026-03-04

    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.stage_title == "Hired" and application.status == "Hired"


@pytest.mark.django_db
def test_candidate_delete_removes_personal_data_and_applications(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("applicationSubmit"), django_capture_on_commit_callbacks)
    Candidate.objects.create(
        integration=integration,
        external_id=CANDIDATE_ID,
        name="Robin Sample",
        email="robin.sample@example.com",
    )

    deliver(client, integration, fixture("candidateDelete"), django_capture_on_commit_callbacks)

    candidate = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert candidate.deletion_reason == DeletionReason.DELETED and candidate.deleted_at
    assert candidate.name == "" and candidate.email == ""
    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.deleted_at and application.deletion_reason == DeletionReason.DELETED
    assert IntegrationActivity.objects.filter(integration=integration, kind="sync.record_removed").exists()


@pytest.mark.django_db
def test_candidate_merge_moves_applications_to_the_surviving_candidate(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    survivor_id = json.loads(fixture("candidateMerge"))["data"]["mergedCandidate"]["id"]
    survivor = Candidate.objects.create(integration=integration, external_id=survivor_id, name="Robin S.")
    deliver(client, integration, fixture("applicationSubmit"), django_capture_on_commit_callbacks)

    deliver(client, integration, fixture("candidateMerge"), django_capture_on_commit_callbacks)

    gone = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert gone.deletion_reason == DeletionReason.MERGED and gone.merged_into_external_id == survivor_id
    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.candidate == survivor and application.deleted_at is None
    assert ("candidates", survivor_id) in refreshes(enqueued)


@pytest.mark.django_db
def test_job_update_queues_a_job_refresh_instead_of_storing_the_unexpanded_job(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("jobUpdate"), django_capture_on_commit_callbacks)
    assert not Job.objects.filter(integration=integration).exists()
    assert ("jobs", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d") in refreshes(enqueued)


@pytest.mark.django_db
def test_turned_off_sync_keeps_no_copy(client, enqueued, django_capture_on_commit_callbacks):
    integration = ashby_integration(provider_settings={"sync_enabled": False})
    deliver(client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks)
    assert not Application.objects.filter(integration=integration).exists() and not refreshes(enqueued)


@pytest.mark.django_db
def test_targeted_refresh_reads_the_application_from_ashby(ashby):
    sync_integration(integration=ashby)
    application = sim.list_for("application", ashby.account)[0]
    sim_data.touch("application", application.key, status="Archived")

    assert sync_record_refresh_task(ashby.pk, "applications", application.key) == 1

    row = Application.objects.get(integration=ashby, external_id=application.key)
    assert row.status == "Archived" and row.last_seen_via == SeenVia.WEBHOOK


@pytest.mark.django_db
def test_targeted_refresh_of_a_record_ashby_no_longer_has_removes_it(ashby):
    sync_integration(integration=ashby)
    application = sim.list_for("application", ashby.account)[0]
    application.delete()

    sync_record_refresh_task(ashby.pk, "applications", application.key)

    row = Application.objects.get(integration=ashby, external_id=application.key)
    assert row.deletion_reason == DeletionReason.NOT_FOUND


@pytest.mark.django_db
def test_simulated_ashby_sends_delete_and_stage_change_webhooks_that_update_the_copy(
    ashby, enqueued, django_capture_on_commit_callbacks
):
    sync_integration(integration=ashby)
    url = f"http://testserver/webhooks/ashby/{ashby.public_id}/"
    for action in ("candidateDelete", "candidateStageChange"):
        sim.put(
            "webhook",
            f"wh-{action}",
            {
                "account": ashby.account,
                "webhookType": action,
                "requestUrl": url,
                "secretToken": "whsec_sync_test_0001",
                "enabled": True,
            },
        )
    target = ashby.candidates[0]
    moving = next(
        a for a in sim.list_for("application", ashby.account) if a.data["candidate_id"] != target.key
    )

    sim_sync.candidate_delete(ashby.account, target.key)
    sim_sync.application_move(ashby.account, moving.key, "Onsite")
    with django_capture_on_commit_callbacks(execute=True):
        for event in WebhookEvent.objects.filter(integration=ashby).order_by("pk"):
            webhook_event_process(event_id=event.pk)

    assert (
        Candidate.objects.get(integration=ashby, external_id=target.key).deletion_reason
        == DeletionReason.DELETED
    )
    assert Application.objects.get(integration=ashby, external_id=moving.key).stage_title == "Onsite"
