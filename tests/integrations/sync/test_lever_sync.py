"""The Lever sync against the built-in sandbox: offset/next paging, postings and stages read in
full, opportunities split into candidates and applications, the updated_at_start checkpoint
stored only after a whole run, and a run broken on page N resumed without loss or duplicates."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationStatus, OutboundCall
from integrations.providers.lever import simulator_state as sim
from integrations.registry import provider_for
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
from tests.integrations.providers.lever.helpers import sim_integration, sim_opportunity


@pytest.fixture
def lever(simulators, workspace):
    integration = sim_integration(
        status=IntegrationStatus.CONNECTED, workspace=workspace, provider_settings={"sync_page_size": 2}
    )
    integration.opportunities = [
        sim_opportunity(name=f"Candidate {n}", email=f"candidate{n}@example.com") for n in range(5)
    ]
    yield integration
    faults.fault_clear("lever")


@pytest.mark.django_db
def test_postings_stages_and_opportunities_are_synced_with_lever_paging(lever):
    runs = sync_integration(integration=lever)

    assert [r.resource for r in runs] == ["jobs", "stages", "applications"]
    assert all(r.status == SyncStatus.SUCCEEDED for r in runs)
    assert Job.objects.filter(integration=lever).count() == len(sim.POSTINGS)
    stages = InterviewStage.objects.filter(integration=lever).order_by("order")
    assert list(stages.values_list("title", flat=True)) == list(sim.STAGES), "account-wide, in pipeline order"
    job = Job.objects.filter(integration=lever).first()
    assert stage_list_for_job(job=job).count() == len(sim.STAGES)
    assert Candidate.objects.filter(integration=lever).count() == 5
    applications = Application.objects.filter(integration=lever)
    assert applications.count() == 5 and runs[2].pages == 3
    for application in applications:
        assert application.candidate and application.job and application.stage
        assert application.stage.title == application.stage_title == "New applicant"
    assert OutboundCall.objects.filter(integration=lever, operation="opportunities.list").count() == 3


@pytest.mark.django_db
def test_incremental_run_asks_lever_only_for_opportunities_updated_since_the_checkpoint(lever):
    first = sync_run_start(integration=lever, resource="applications")
    token = SyncCheckpoint.objects.get(integration=lever, resource="applications").sync_token
    assert token == first.checkpoint_out and int(token) > 0

    second = sync_run_start(integration=lever, resource="applications")

    assert second.mode == SyncMode.INCREMENTAL and second.sync_token_in == token
    # Only opportunities changed since the checkpoint (less the clock-skew overlap) come back.
    assert second.records_upserted <= first.records_upserted
    assert Application.objects.filter(integration=lever).count() == 5


@pytest.mark.django_db
def test_lever_run_broken_on_page_two_resumes_without_loss_or_duplicates(lever):
    faults.fault_set("lever", "opportunities.list", page=2, status=503)

    broken = sync_run_start(integration=lever, resource="applications")

    assert broken.status == SyncStatus.FAILED and broken.pages == 1
    assert broken.last_error["status_code"] == 503
    assert not SyncCheckpoint.objects.filter(integration=lever).exists()
    done = sync_run_start(integration=lever, resource="applications")
    assert done.pk == broken.pk and done.status == SyncStatus.SUCCEEDED and done.pages == 3
    ids = sorted(Application.objects.filter(integration=lever).values_list("external_id", flat=True))
    assert ids == sorted(o["id"] for o in lever.opportunities)


@pytest.mark.django_db
def test_targeted_refresh_reads_one_opportunity(lever):
    from integrations.providers.lever.simulator_pages import opportunity_advance

    sync_run_start(integration=lever, resource="applications")
    opp = sim.get("opportunity", lever.opportunities[0]["id"])
    opportunity_advance(opp, sim.stage_id_by_name("Phone interview"))
    sim.put("opportunity", opp["id"], opp)

    sync_record_refresh_task(lever.pk, "applications", opp["id"])

    application = Application.objects.get(integration=lever, external_id=opp["id"])
    assert application.stage_title == "Phone interview"


@pytest.mark.django_db
def test_lever_missing_scope_fails_the_run_with_the_scope_named(simulators, workspace):
    integration = sim_integration(
        status=IntegrationStatus.CONNECTED, workspace=workspace, scopes=("feedback:write",)
    )
    run = sync_run_start(integration=integration, resource="jobs")
    assert run.status == SyncStatus.FAILED and run.last_error["status_code"] == 403
    assert "opportunities:read" in run.last_error["message"]


@pytest.mark.django_db
def test_runs_page_counts_the_candidates_lever_opportunities_carry(lever, client_in_workspace):
    from django.urls import reverse

    sync_integration(integration=lever)

    html = client_in_workspace.get(reverse("sync:runs", args=[lever.pk])).content.decode()

    assert "5 candidates, 5 applications" in html


# -- webhooks trigger a targeted refresh of the opportunity they name ------------------------------

REFRESH = "integrations.sync.refresh.sync_record_refresh_task"


def _process_latest(integration, capture):
    from integrations.models import WebhookEvent, WebhookStatus
    from integrations.services.webhooks import webhook_event_process

    event = WebhookEvent.objects.filter(integration=integration).order_by("-pk").first()
    with capture(execute=True):
        webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    return event


def _deliver(client, integration, event: str, opportunity_id: str, capture):
    """A body signed the real Lever way (token + triggeredAt), as Lever delivers it."""
    from tests.integrations.providers.lever.helpers import post, sign_real

    body = sign_real(
        {"event": event, "data": {"opportunityId": opportunity_id, "candidateId": opportunity_id}}
    )
    assert post(client, integration, body).status_code == 200
    return _process_latest(integration, capture)


@pytest.mark.django_db
def test_stage_change_webhook_from_the_sandbox_refreshes_the_opportunity(
    lever, client, enqueued, django_capture_on_commit_callbacks
):
    from integrations.providers.lever.setup import lever_webhooks_register
    from integrations.providers.lever.simulator_pages import opportunity_advance

    sync_run_start(integration=lever, resource="applications")
    lever_webhooks_register(integration=lever, client=provider_for(lever).client(lever))
    opp = sim.get("opportunity", lever.opportunities[1]["id"])

    deliveries = opportunity_advance(opp, sim.stage_id_by_name("Phone interview"))  # signed, over HTTP

    assert [d["status"] for d in deliveries] == [200]
    _process_latest(lever, django_capture_on_commit_callbacks)
    queued = [call[1:] for call in enqueued if call[0] == REFRESH]
    assert queued == [(lever.pk, "applications", opp["id"])], "one targeted refresh, of that opportunity"
    sync_record_refresh_task(*queued[0])
    application = Application.objects.get(integration=lever, external_id=opp["id"])
    assert application.stage_title == "Phone interview" and application.last_seen_via == "webhook"


@pytest.mark.django_db
def test_archive_change_webhook_refreshes_the_application_status(
    lever, client, enqueued, django_capture_on_commit_callbacks
):
    sync_run_start(integration=lever, resource="applications")
    opp = sim.get("opportunity", lever.opportunities[2]["id"])
    opp["archived"] = {"archivedAt": sim.now_ms(), "reason": "sandbox"}
    sim.put("opportunity", opp["id"], opp)

    _deliver(client, lever, "candidateArchiveChange", opp["id"], django_capture_on_commit_callbacks)

    assert (REFRESH, lever.pk, "applications", opp["id"]) in enqueued
    sync_record_refresh_task(lever.pk, "applications", opp["id"])
    assert Application.objects.get(integration=lever, external_id=opp["id"]).status == "archived"


@pytest.mark.django_db
def test_candidate_deleted_webhook_removes_the_application_lever_no_longer_has(
    lever, client, enqueued, django_capture_on_commit_callbacks
):
    from integrations.simulator_plugins.models import SimulatorObject
    from integrations.sync.models import DeletionReason

    sync_run_start(integration=lever, resource="applications")
    gone = lever.opportunities[3]["id"]
    SimulatorObject.objects.filter(provider="lever", kind="opportunity", key=gone).delete()

    _deliver(client, lever, "candidateDeleted", gone, django_capture_on_commit_callbacks)
    sync_record_refresh_task(lever.pk, "applications", gone)

    application = Application.objects.get(integration=lever, external_id=gone)
    assert application.deleted_at is not None and application.deletion_reason == DeletionReason.NOT_FOUND
    live = Application.objects.filter(integration=lever, deleted_at__isnull=True).count()
    assert live == 4, "only the deleted opportunity's copy goes"


@pytest.mark.django_db
def test_lever_webhooks_queue_no_refresh_when_the_customer_turned_sync_off(
    lever, client, enqueued, django_capture_on_commit_callbacks
):
    lever.provider_settings = {**lever.provider_settings, "sync_enabled": False}
    lever.save()

    _deliver(
        client, lever, "candidateHired", lever.opportunities[0]["id"], django_capture_on_commit_callbacks
    )

    assert not [call for call in enqueued if call[0] == REFRESH]
