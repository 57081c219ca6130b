"""The Knit sync against the built-in Knit: jobs with their stages, and applications with the
candidates inside them, from Knit's unified lists in the published nested shapes, pageToken /
nextPageToken paging, every run a full read (Knit has no updatedAfter for Ashby), a run broken on
page N resumed without loss or duplicates, and a page token Knit no longer accepts making the pass
start over."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.models import IntegrationStatus, OutboundCall
from integrations.providers.knit import sync_simulator as sim
from integrations.providers.knit.simulator import sim_account_create
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
from tests.factories import IntegrationFactory


@pytest.fixture
def knit(simulators, workspace, monkeypatch):
    """A connected sandbox Knit integration on the simulator: 2 jobs, 5 candidates with one
    application each, pages of 2 records (Knit picks the page size: the simulator's, lowered)."""
    from integrations.services import ratelimit

    monkeypatch.setattr(sim, "PAGE_SIZE", 2)
    # As in tests/integrations/providers/knit/conftest.py: the shared SQLite limiter refuses a
    # call now and then on lock contention; these tests are about paging, not the limiter.
    monkeypatch.setattr(ratelimit, "rate_limit_acquire", lambda **kwargs: None)
    account = sim_account_create("Sync test")
    integration = IntegrationFactory(
        workspace=workspace,
        provider="knit",
        environment="sandbox",
        status=IntegrationStatus.CONNECTED,
        credentials={"api_key": account["api_key"], "integration_id": account["integration_id"]},
        provider_settings={"use_simulator": True},
    )
    integration.people = sim.sync_seed(account["integration_id"], jobs=2, candidates=5)
    yield integration
    faults.fault_clear("knit")


def _ids(model, integration) -> list[str]:
    return sorted(model.objects.filter(integration=integration).values_list("external_id", flat=True))


@pytest.mark.django_db
def test_jobs_stages_candidates_and_applications_are_synced_with_knit_paging(knit):
    runs = sync_integration(integration=knit)

    assert [r.resource for r in runs] == ["jobs", "applications"]
    assert all(r.status == SyncStatus.SUCCEEDED for r in runs), [r.errors for r in runs]
    assert [r.pages for r in runs] == [1, 3]
    assert Job.objects.filter(integration=knit).count() == 2
    job = Job.objects.get(integration=knit, external_id=f"job_{knit.credentials['integration_id']}_0")
    assert [s.title for s in stage_list_for_job(job=job)] == [s[1] for s in sim.STAGES]
    assert InterviewStage.objects.filter(integration=knit).count() == 2 * len(sim.STAGES), "stages per job"
    assert _ids(Candidate, knit) == sorted(p["id"] for p in knit.people)
    assert (
        Candidate.objects.get(integration=knit, external_id=knit.people[0]["id"]).email == "sam0@example.com"
    )
    assert _ids(Application, knit) == sorted(p["applicationId"] for p in knit.people)
    for application in Application.objects.filter(integration=knit):
        assert application.candidate and application.job and application.stage
        assert application.stage.title == application.stage_title == "Application Review"
    calls = OutboundCall.objects.filter(integration=knit, operation="ats.application.list")
    assert calls.count() == 3
    assert all(c.vendor_request_id.startswith("exe_") for c in calls), "Knit's execution id is stored"


@pytest.mark.django_db
def test_each_run_reads_knit_in_full_and_picks_up_changes(knit, simulators):
    first = sync_run_start(integration=knit, resource="applications")
    assert first.records_upserted == 10, "5 applications and their 5 candidates"
    moved = knit.people[3]["applicationId"]
    sim.sync_record_update("ats_application", moved, stageId="stg_assessment")
    sim.sync_record_update("ats_candidate", knit.people[1]["id"], firstName="Robin")

    second = sync_run_start(integration=knit, resource="applications")

    assert (
        second.mode == SyncMode.FULL and second.sync_token_in == "" and second.status == SyncStatus.SUCCEEDED
    )
    asked = [c.request.url for c in simulators.calls if "ats.application.list" in c.request.url]
    assert len(asked) == 6 and not any("updatedAfter" in url for url in asked)
    assert Application.objects.get(integration=knit, external_id=moved).stage_title == "Assessment"
    assert Candidate.objects.get(integration=knit, external_id=knit.people[1]["id"]).name == "Robin Example"
    assert Application.objects.filter(integration=knit).count() == 5
    assert not SyncCheckpoint.objects.filter(integration=knit).exists()


@pytest.mark.django_db
def test_a_failed_page_keeps_what_came_before_and_the_next_attempt_continues(knit):
    faults.fault_set("knit", "ats.application.list", page=3, status=503)

    broken = sync_run_start(integration=knit, resource="applications")

    assert broken.status == SyncStatus.FAILED and broken.pages == 2
    assert broken.last_error["request_id"].startswith("exe_"), "Knit's execution id is on the error"
    assert Application.objects.filter(integration=knit).count() == 4
    done = sync_run_start(integration=knit, resource="applications")
    assert done.pk == broken.pk and done.status == SyncStatus.SUCCEEDED
    assert _ids(Application, knit) == sorted(p["applicationId"] for p in knit.people)


@pytest.mark.django_db
def test_knit_run_broken_on_page_two_resumes_without_loss_or_duplicates(knit):
    faults.fault_set("knit", "ats.application.list", page=2, status=503)

    broken = sync_run_start(integration=knit, resource="applications")

    assert broken.status == SyncStatus.FAILED and broken.pages == 1
    assert broken.last_error["status_code"] == 503 and broken.cursor, "the page token of page 2 is kept"
    assert Candidate.objects.filter(integration=knit).count() == 2
    done = sync_run_start(integration=knit, resource="applications")
    assert done.pk == broken.pk and done.status == SyncStatus.SUCCEEDED and done.pages == 3
    assert _ids(Candidate, knit) == sorted(p["id"] for p in knit.people)


@pytest.mark.django_db
def test_a_cursor_knit_no_longer_accepts_starts_the_pass_over_without_duplicates(knit, monkeypatch):
    faults.fault_set("knit", "ats.application.list", page=2, status=503)
    broken = sync_run_start(integration=knit, resource="applications")
    assert broken.status == SyncStatus.FAILED and broken.cursor
    monkeypatch.setattr(sim, "TOKEN_TTL_SECONDS", -1)  # the saved page token has expired meanwhile

    refused = sync_run_start(integration=knit, resource="applications")

    assert refused.pk == broken.pk and refused.status == SyncStatus.FAILED
    assert refused.last_error["status_code"] == 400 and "expired pageToken" in refused.last_error["message"]
    assert "starts this pass over" in refused.last_error["message"] and not refused.cursor
    monkeypatch.setattr(sim, "TOKEN_TTL_SECONDS", 900)
    done = sync_run_start(integration=knit, resource="applications")
    assert done.pk == broken.pk and done.status == SyncStatus.SUCCEEDED
    assert _ids(Application, knit) == sorted(p["applicationId"] for p in knit.people)


@pytest.mark.django_db
def test_records_are_upserted_by_knit_id_not_by_position(knit, simulators):
    sync_run_start(integration=knit, resource="applications")
    before = dict(Application.objects.filter(integration=knit).values_list("external_id", "pk"))
    # A new application created first in Knit's order would shift every position by one.
    from integrations.simulator_plugins.models import SimulatorObject

    first = SimulatorObject.objects.filter(provider="knit", kind="ats_application").order_by(
        "created_at", "id"
    )[0]
    SimulatorObject.objects.create(provider="knit", kind="ats_application", key="app_new", data=first.data)
    SimulatorObject.objects.filter(key="app_new").update(
        created_at=first.created_at - dt.timedelta(seconds=1)
    )

    sync_run_start(integration=knit, resource="applications", full=True)

    asked = [c.request.url for c in simulators.calls if "ats.application.list" in c.request.url]
    assert len(asked) == 3 + 3, "six applications now: the new one first, everyone else a place later"
    after = dict(Application.objects.filter(integration=knit).values_list("external_id", "pk"))
    assert {k: after[k] for k in before} == before, "every known application kept its row"
    assert set(after) == set(before) | {"app_new"}


@pytest.mark.django_db
def test_runs_page_counts_what_knit_synced(knit, client_in_workspace):
    from django.urls import reverse

    sync_integration(integration=knit)

    html = client_in_workspace.get(reverse("sync:runs", args=[knit.pk])).content.decode()

    assert "5 candidates, 5 applications" in html
