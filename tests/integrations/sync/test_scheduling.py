"""When syncs run: the scheduler tick, per-integration intervals (15–60 minutes), the lock that
keeps two runs of one resource apart, time budgets that pause and continue a run, and the
periodic full pass."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import Schedule

from integrations.models import IntegrationStatus
from integrations.sync.models import Candidate, SyncMode, SyncRun, SyncStatus
from integrations.sync.selectors import integrations_due_for_sync, sync_interval_minutes
from integrations.sync.services import SyncAlreadyRunning, sync_run_start
from integrations.sync.tasks import sync_due_enqueue, sync_due_task, sync_integration_task
from tests.factories import IntegrationFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _age(run: SyncRun, **delta) -> None:
    ago = timezone.now() - dt.timedelta(**delta)
    SyncRun.objects.filter(pk=run.pk).update(started_at=ago, pass_started_at=ago, heartbeat_at=ago)


@pytest.mark.django_db
def test_tick_queues_due_integrations_once_and_skips_the_others(ashby, enqueued):
    IntegrationFactory(provider="ashby", status=IntegrationStatus.DISCONNECTED)
    IntegrationFactory(
        provider="ashby", status=IntegrationStatus.CONNECTED, provider_settings={"sync_enabled": False}
    )
    IntegrationFactory(provider="fake", status=IntegrationStatus.CONNECTED)  # no data sync

    assert sync_due_task() == 1
    assert enqueued == [("integrations.sync.tasks.sync_integration_task", ashby.pk)]
    assert not sync_due_task(), "the tick itself never runs twice within half its period"
    assert sync_due_enqueue() == 0, "already queued: not queued again"


@pytest.mark.django_db
def test_an_integration_is_due_again_once_its_interval_has_passed(ashby):
    run = sync_run_start(integration=ashby, resource="jobs")
    assert ashby not in integrations_due_for_sync()
    _age(run, minutes=31)
    assert ashby in integrations_due_for_sync()
    ashby.provider_settings = {**ashby.provider_settings, "sync_interval_minutes": 45}
    ashby.save()
    assert ashby not in integrations_due_for_sync()


@pytest.mark.parametrize(
    ("configured", "used"), [(5, 15), (15, 15), (40, 40), (60, 60), (600, 60), ("x", 30)]
)
@pytest.mark.django_db
def test_interval_is_configurable_between_15_and_60_minutes(configured, used):
    integration = IntegrationFactory(
        provider="ashby", provider_settings={"sync_interval_minutes": configured}
    )
    assert sync_interval_minutes(integration) == used


@pytest.mark.django_db
def test_setup_schedules_registers_the_sync_tick_and_the_retention_purge():
    from django.core.management import call_command

    call_command("setup_schedules")
    names = set(Schedule.objects.values_list("func", flat=True))
    assert {
        "integrations.sync.tasks.sync_due_task",
        "integrations.sync.tasks.synced_data_purge_task",
    } <= names


@pytest.mark.django_db
def test_a_second_run_of_the_same_resource_is_refused_while_one_runs(ashby):
    SyncRun.objects.create(integration=ashby, resource="candidates", mode=SyncMode.FULL)
    with pytest.raises(SyncAlreadyRunning):
        sync_run_start(integration=ashby, resource="candidates")
    # Another resource of the same integration is not blocked.
    assert sync_run_start(integration=ashby, resource="jobs").status == SyncStatus.SUCCEEDED


@pytest.mark.django_db
def test_the_database_refuses_two_running_rows_for_one_resource(ashby):
    SyncRun.objects.create(integration=ashby, resource="candidates", mode=SyncMode.FULL)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(integration=ashby, resource="candidates", mode=SyncMode.INCREMENTAL)


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_marked_interrupted_and_continued(ashby):
    dead = SyncRun.objects.create(
        integration=ashby, resource="candidates", mode=SyncMode.FULL, pages=1, records_upserted=2
    )
    _age(dead, minutes=30)

    run = sync_run_start(integration=ashby, resource="candidates")

    assert run.pk == dead.pk and run.status == SyncStatus.SUCCEEDED and run.attempts == 2
    assert run.errors[0]["error_class"] == "WorkerLost"


@pytest.mark.django_db
def test_time_budget_pauses_the_run_and_the_task_continues_it(ashby, enqueued):
    paused = sync_run_start(integration=ashby, resource="candidates", time_budget_seconds=0)
    assert paused.status == SyncStatus.PAUSED and paused.pages == 1, "at least one page per call"
    assert ashby in integrations_due_for_sync(), "a paused run is continued at once"

    sync_integration_task(ashby.pk)

    paused.refresh_from_db()
    assert paused.status == SyncStatus.SUCCEEDED and paused.pages == 3
    assert Candidate.objects.filter(integration=ashby).count() == 5


@pytest.mark.django_db
def test_task_queues_itself_again_while_a_run_is_paused(ashby, enqueued, monkeypatch):
    monkeypatch.setattr("integrations.sync.services.TIME_BUDGET_SECONDS", 0.0)
    sync_integration_task(ashby.pk)
    assert ("integrations.sync.tasks.sync_integration_task", ashby.pk, False) in enqueued


@pytest.mark.django_db
def test_a_week_after_the_last_full_pass_the_run_is_full_again(ashby):
    first = sync_run_start(integration=ashby, resource="candidates")
    assert sync_run_start(integration=ashby, resource="candidates").mode == SyncMode.INCREMENTAL
    _age(first, days=8)
    SyncRun.objects.filter(integration=ashby, mode=SyncMode.INCREMENTAL).update(
        started_at=timezone.now() - dt.timedelta(days=1)
    )

    run = sync_run_start(integration=ashby, resource="candidates")

    assert run.mode == SyncMode.FULL and "periodic full pass" in run.full_reason


@pytest.mark.django_db
def test_an_unfinished_run_older_than_a_day_is_abandoned_for_a_fresh_one(ashby):
    from integrations.sync import simulator as faults

    faults.fault_set("ashby", "candidate.list", page=2)
    old = sync_run_start(integration=ashby, resource="candidates")
    _age(old, hours=25)

    fresh = sync_run_start(integration=ashby, resource="candidates")

    old.refresh_from_db()
    assert old.status == SyncStatus.ABANDONED and fresh.pk != old.pk and fresh.status == SyncStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_worker_whose_run_was_taken_over_stops_without_writing(ashby, monkeypatch):
    """A worker stalled past the lease: another continued the run; the first must not write."""
    from integrations.providers.ashby import sync as ashby_sync

    real = ashby_sync.sync_page

    def stall_then_lose_the_claim(client, resource, cursor, token):
        page = real(client, resource, cursor, token)
        if cursor:  # page 2: meanwhile the run was declared dead and continued elsewhere
            SyncRun.objects.filter(integration=ashby, resource=resource).update(attempts=99)
        return page

    monkeypatch.setattr(ashby_sync, "sync_page", stall_then_lose_the_claim)
    run = sync_run_start(integration=ashby, resource="candidates")

    assert run.attempts == 99 and run.pages == 1, "page 2 was not stored by the stalled worker"
    assert Candidate.objects.filter(integration=ashby).count() == 2
