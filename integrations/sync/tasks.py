"""django-q2 entry points for the ATS data sync: load by id, call one service.

The scheduler tick (every 5 minutes) enqueues one task per integration whose own interval
(provider_settings["sync_interval_minutes"], 15–60, default 30) has passed; overlapping runs are
impossible whatever the queue does (services.sync_run_start holds a per-resource lock)."""

from __future__ import annotations

from django.core.cache import cache

from integrations.models import Integration
from jobcannon.core import queue
from jobcannon.core.jobs import periodic_job

from .models import SyncStatus, SyncTrigger
from .refresh import sync_enabled, sync_record_refresh, sync_record_refresh_pending_clear
from .retention import synced_data_purge
from .selectors import integrations_due_for_sync, sync_interval_minutes
from .services import SyncAlreadyRunning, sync_integration, sync_run_start

TICK_MINUTES = 5


@periodic_job(every_minutes=TICK_MINUTES)
def sync_due_task() -> int:
    return sync_due_enqueue()


def sync_due_enqueue() -> int:
    """Enqueue the sync of every integration that is due. A task already queued for an
    integration is not queued again until half its interval has passed."""
    queued = 0
    for integration in integrations_due_for_sync():
        if cache.add(f"sync:queued:{integration.pk}", 1, timeout=sync_interval_minutes(integration) * 30):
            queue.enqueue("integrations.sync.tasks.sync_integration_task", integration.pk, group="sync")
            queued += 1
    return queued


def sync_integration_task(integration_id: int, full: bool = False) -> int:
    """Every resource of one integration; continues itself while a run is paused at its budget."""
    cache.delete(f"sync:queued:{integration_id}")
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None or not sync_enabled(integration):
        return 0
    runs = sync_integration(integration=integration, full=full)
    if any(run.status == SyncStatus.PAUSED for run in runs):
        queue.enqueue("integrations.sync.tasks.sync_integration_task", integration_id, full, group="sync")
    return sum(run.records_upserted for run in runs)


def sync_resource_task(
    integration_id: int, resource: str, full: bool = False, trigger: str = SyncTrigger.MANUAL
) -> int:
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None or not sync_enabled(integration):
        return 0
    try:
        run = sync_run_start(integration=integration, resource=resource, full=full, trigger=trigger)
    except SyncAlreadyRunning:
        return 0
    if run.status == SyncStatus.PAUSED:
        queue.enqueue(
            "integrations.sync.tasks.sync_resource_task",
            integration_id,
            resource,
            full,
            trigger,
            group="sync",
        )
    return run.records_upserted


def sync_record_refresh_task(integration_id: int, resource: str, external_id: str) -> int:
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        return 0
    sync_record_refresh_pending_clear(integration=integration, resource=resource, external_id=external_id)
    applied = sync_record_refresh(integration=integration, resource=resource, external_id=external_id)
    return applied.written + applied.deleted


@periodic_job(every_minutes=60)
def synced_data_purge_task() -> int:
    return sum(synced_data_purge().values())


SCHEDULES = [
    ("integrations.sync.tasks.sync_due_task", TICK_MINUTES),
    ("integrations.sync.tasks.synced_data_purge_task", 60),
]
