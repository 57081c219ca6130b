"""The Ashby sync against the built-in simulator: cursor paging, syncToken checkpoints stored only
after a whole run, incremental runs, the expired-token full resync, a run broken on page N that
resumes without losing or duplicating records, warnings, and 401 vs 403."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationActivity, IntegrationStatus, OutboundCall
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby import simulator_sync_data as sim_data
from integrations.sync import simulator as faults
from integrations.sync.models import (
    Application,
    Candidate,
    DeletionReason,
    InterviewStage,
    Job,
    SyncCheckpoint,
    SyncMode,
    SyncRun,
    SyncStatus,
)
from integrations.sync.selectors import stage_list_for_job
from integrations.sync.services import sync_integration, sync_run_start


def _sim_ids(kind: str, account: str) -> set[str]:
    return {o.key for o in sim.list_for(kind, account)}


@pytest.mark.django_db
def test_first_sync_pages_through_every_candidate_and_stores_the_last_pages_sync_token(ashby):
    run = sync_run_start(integration=ashby, resource="candidates")

    assert run.status == SyncStatus.SUCCEEDED and run.mode == SyncMode.FULL
    assert run.pages == 3 and run.records_upserted == 5  # 5 candidates, pages of 2
    assert set(Candidate.objects.filter(integration=ashby).values_list("external_id", flat=True)) == _sim_ids(
        "candidate", ashby.account
    )
    checkpoint = SyncCheckpoint.objects.get(integration=ashby, resource="candidates")
    assert checkpoint.sync_token and checkpoint.sync_token == run.checkpoint_out and checkpoint.run == run
    calls = OutboundCall.objects.filter(integration=ashby, operation="candidate.list")
    assert calls.count() == 3 and all(c.vendor_request_id for c in calls)


@pytest.mark.django_db
def test_next_run_is_incremental_from_the_checkpoint_and_brings_only_what_changed(ashby):
    first = sync_run_start(integration=ashby, resource="candidates")
    changed = ashby.candidates[3]
    sim_data.touch("candidate", changed.key, name="Morgan Renamed")

    second = sync_run_start(integration=ashby, resource="candidates")

    assert second.mode == SyncMode.INCREMENTAL and second.sync_token_in == first.checkpoint_out
    assert second.records_upserted == 1 and second.pages == 1
    row = Candidate.objects.get(integration=ashby, external_id=changed.key)
    assert row.name == "Morgan Renamed" and row.last_seen_run == second
    assert (
        SyncCheckpoint.objects.get(integration=ashby, resource="candidates").sync_token
        == second.checkpoint_out
    )
    assert Candidate.objects.filter(integration=ashby).count() == 5


@pytest.mark.django_db
def test_expired_sync_token_turns_the_run_into_a_full_resync(ashby):
    sync_run_start(integration=ashby, resource="candidates")
    sim_data.sync_tokens_expire(ashby.account)

    run = sync_run_start(integration=ashby, resource="candidates")

    assert run.status == SyncStatus.SUCCEEDED and run.mode == SyncMode.FULL
    assert "expired" in run.full_reason and run.records_upserted == 5
    line = IntegrationActivity.objects.get(integration=ashby, kind="sync.token_expired")
    assert "full resync" in line.message
    new_token = SyncCheckpoint.objects.get(integration=ashby, resource="candidates").sync_token
    assert new_token == run.checkpoint_out
    # The fresh token works: the next run is incremental again.
    assert sync_run_start(integration=ashby, resource="candidates").mode == SyncMode.INCREMENTAL


@pytest.mark.django_db
def test_run_broken_on_page_two_resumes_from_there_without_losing_or_duplicating_records(ashby):
    faults.fault_set("ashby", "candidate.list", page=2, status=503)

    broken = sync_run_start(integration=ashby, resource="candidates")

    assert broken.status == SyncStatus.FAILED and broken.pages == 1 and broken.records_upserted == 2
    assert broken.cursor, "the cursor of page 2 is kept to resume from"
    error = broken.last_error
    assert error["page"] == 2 and error["status_code"] == 503 and error["request_id"]
    assert not SyncCheckpoint.objects.filter(integration=ashby).exists(), (
        "no checkpoint before the run succeeds"
    )
    failed = IntegrationActivity.objects.get(integration=ashby, kind="sync.failed")
    assert error["request_id"] in failed.message and "continues from page 2" in failed.message

    resumed = sync_run_start(integration=ashby, resource="candidates")

    assert resumed.pk == broken.pk and resumed.attempts == 2
    assert resumed.status == SyncStatus.SUCCEEDED and resumed.pages == 3 and resumed.records_upserted == 5
    stored = list(Candidate.objects.filter(integration=ashby).values_list("external_id", flat=True))
    assert sorted(stored) == sorted(_sim_ids("candidate", ashby.account)), "none lost, none twice"
    assert (
        SyncCheckpoint.objects.get(integration=ashby, resource="candidates").sync_token
        == resumed.checkpoint_out
    )
    assert IntegrationActivity.objects.filter(integration=ashby, kind="sync.resumed").exists()


@pytest.mark.django_db
def test_interrupted_incremental_run_keeps_the_old_checkpoint_until_it_completes(ashby):
    first = sync_run_start(integration=ashby, resource="candidates")
    for candidate in ashby.candidates:
        sim_data.touch("candidate", candidate.key, phone="+1 555 0100")
    faults.fault_set("ashby", "candidate.list", page=3)

    broken = sync_run_start(integration=ashby, resource="candidates")

    assert broken.status == SyncStatus.FAILED and broken.mode == SyncMode.INCREMENTAL
    assert (
        SyncCheckpoint.objects.get(integration=ashby, resource="candidates").sync_token
        == first.checkpoint_out
    )
    done = sync_run_start(integration=ashby, resource="candidates")
    assert done.pk == broken.pk and done.status == SyncStatus.SUCCEEDED
    assert Candidate.objects.filter(integration=ashby, phone="+1 555 0100").count() == 5
    assert (
        SyncCheckpoint.objects.get(integration=ashby, resource="candidates").sync_token == done.checkpoint_out
    )


@pytest.mark.django_db
def test_a_record_changed_while_the_run_pages_is_not_lost(ashby, monkeypatch):
    """Ashby-style keyset paging: a record edited mid-run moves behind the cursor and still comes."""
    from integrations.providers.ashby import sync as ashby_sync

    real = ashby_sync.sync_page
    edited = ashby.candidates[0]

    def page_then_edit(client, resource, cursor, token):
        page = real(client, resource, cursor, token)
        if not cursor:
            sim_data.touch("candidate", edited.key, name="Edited Mid Run")
        return page

    monkeypatch.setattr(ashby_sync, "sync_page", page_then_edit)
    run = sync_run_start(integration=ashby, resource="candidates")
    assert run.status == SyncStatus.SUCCEEDED
    assert Candidate.objects.get(integration=ashby, external_id=edited.key).name == "Edited Mid Run"
    assert Candidate.objects.filter(integration=ashby).count() == 5


@pytest.mark.django_db
def test_warnings_make_the_run_a_partial_success_shown_in_the_logs(ashby):
    sim_data.sync_warnings_set(ashby.account, "candidate.list", ["unable_to_load_custom_fields"])

    run = sync_run_start(integration=ashby, resource="candidates")

    assert run.status == SyncStatus.PARTIAL and run.get_status_display() == "Completed with warnings"
    assert run.warnings[0]["message"] == "unable_to_load_custom_fields" and run.warnings[0]["request_id"]
    lines = IntegrationActivity.objects.filter(integration=ashby, level="warning")
    assert lines.filter(kind="sync.warning", message__contains="unable_to_load_custom_fields").exists()
    assert lines.filter(kind="sync.partial", message__contains="not a full success").exists()


@pytest.mark.django_db
def test_missing_api_key_is_a_401_and_moves_the_integration_to_reauthorization(ashby):
    ashby.credentials = {"api_key": ""}
    ashby.save()

    run = sync_run_start(integration=ashby, resource="jobs")

    assert run.status == SyncStatus.FAILED
    error = run.last_error
    assert error["status_code"] == 401 and error["error_class"] == "ATSAuthError"
    assert "no API key reached Ashby" in error["message"]
    ashby.refresh_from_db()
    assert ashby.status == IntegrationStatus.NEEDS_REAUTH


@pytest.mark.django_db
def test_deactivated_key_is_a_403_told_apart_from_a_missing_key(ashby):
    key = sim.get("api_key", sim.digest(ashby.credentials["api_key"]))
    key.data = {**key.data, "active": False}
    key.save()

    run = sync_run_start(integration=ashby, resource="jobs")

    error = run.last_error
    assert error["status_code"] == 403 and error["error_class"] == "ATSPermissionError"
    assert "wrong or deactivated" in error["message"] and error["request_id"]


@pytest.mark.django_db
def test_key_without_the_jobs_permission_names_it(ashby):
    account = ashby.account
    ashby.credentials = {"api_key": sim.api_key_create(account, permissions=["candidatesRead"])}
    ashby.save()

    run = sync_run_start(integration=ashby, resource="jobs")

    error = run.last_error
    assert error["status_code"] == 403 and error["vendor_code"] == "missing_endpoint_permission"
    assert "give the key the jobsRead permission" in error["message"]
    ashby.refresh_from_db()
    assert ashby.status == IntegrationStatus.CONNECTED, "a missing read permission does not stop assessments"


@pytest.mark.django_db
def test_jobs_come_with_their_location_expanded_in_the_same_call(ashby):
    run = sync_run_start(integration=ashby, resource="jobs")

    assert run.status == SyncStatus.SUCCEEDED and run.records_upserted == 2
    assert set(Job.objects.filter(integration=ashby).values_list("location", flat=True)) == {"Remote (EU)"}
    operations = set(OutboundCall.objects.filter(integration=ashby).values_list("operation", flat=True))
    assert operations == {"job.list"}, "no location.info call per job"


@pytest.mark.django_db
def test_stages_are_read_per_interview_plan_in_order(ashby):
    sync_run_start(integration=ashby, resource="jobs")
    run = sync_run_start(integration=ashby, resource="stages")

    assert run.status == SyncStatus.SUCCEEDED and run.checkpoint_out == "", "interviewPlan.list only pages"
    job = Job.objects.filter(integration=ashby).first()
    titles = list(stage_list_for_job(job=job).values_list("title", flat=True))
    assert titles == ["Application Review", "Assessment", "Onsite", "Offer", "Hired"]
    assert InterviewStage.objects.filter(integration=ashby).count() == 10  # two jobs, one plan each


@pytest.mark.django_db
def test_whole_integration_sync_links_applications_to_their_candidate_job_and_stage(ashby):
    runs = sync_integration(integration=ashby)

    assert [r.resource for r in runs] == ["jobs", "stages", "candidates", "applications"]
    assert all(r.status == SyncStatus.SUCCEEDED for r in runs)
    applications = Application.objects.filter(integration=ashby)
    assert applications.count() == 5
    for application in applications:
        assert application.candidate and application.job and application.stage
        assert application.stage.title == application.stage_title == "Application Review"


@pytest.mark.django_db
def test_applications_synced_before_their_candidates_are_linked_when_the_candidates_arrive(ashby):
    sync_run_start(integration=ashby, resource="applications")
    assert not Application.objects.filter(integration=ashby, candidate__isnull=False).exists()

    sync_run_start(integration=ashby, resource="candidates")

    assert not Application.objects.filter(integration=ashby, candidate__isnull=True).exists()


@pytest.mark.django_db
def test_full_resync_removes_what_ashby_no_longer_lists(ashby):
    sync_run_start(integration=ashby, resource="candidates")
    gone = ashby.candidates[1]
    sim.get("candidate", gone.key).delete()  # deleted in Ashby, no webhook reached us

    run = sync_run_start(integration=ashby, resource="candidates", full=True)

    assert run.mode == SyncMode.FULL and run.records_deleted == 1
    row = Candidate.objects.get(integration=ashby, external_id=gone.key)
    assert row.deletion_reason == DeletionReason.MISSING and row.deleted_at
    assert Candidate.objects.filter(integration=ashby, deleted_at__isnull=True).count() == 4


@pytest.mark.django_db
def test_run_ids_are_unique_per_resource_and_counted_once(ashby):
    sync_run_start(integration=ashby, resource="candidates")
    sync_run_start(integration=ashby, resource="candidates", full=True)

    assert Candidate.objects.filter(integration=ashby).count() == 5
    assert SyncRun.objects.filter(integration=ashby, resource="candidates").count() == 2


@pytest.mark.django_db
def test_routine_full_reads_of_stages_do_not_flood_the_activity_log(ashby):
    sync_run_start(integration=ashby, resource="stages")
    again = sync_run_start(integration=ashby, resource="stages")

    assert again.mode == SyncMode.FULL and again.full_reason == "no incremental sync for this data"
    assert IntegrationActivity.objects.filter(integration=ashby, kind="sync.completed").count() == 1
