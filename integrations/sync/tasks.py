"""django-q2 entry points for the ATS data sync: load by id, call one service.

The scheduler tick (every 5 minutes) enqueues one task per integration whose own interval
(provider_settings["sync_interval_minutes"], 15–60, default 30) has passed; overlapping runs are
impossible whatever the queue does (services.sync_run_start holds a per-resource lock)."""

from __future__ import annotations

from django.core.cache import cache

from integrations.models import Integration
from jobcannon.core import queue
from jobcannon.core.jobs import periodic_job

from .models import SyncStatus

# The tasks integrations.sync.refresh enqueues are defined there (issue 22: it named this module
# by its dotted path while this module imports it, a cycle import-linter cannot see). Re-exported
# under their old names: tasks already in a broker say "integrations.sync.tasks.<name>", and
# django-q2 resolves that name when it runs them. Keep these until no such task can be left.
from .refresh import sync_enabled, sync_record_refresh_task, sync_resource_task  # noqa: F401 - old task names
from .retention import synced_data_purge
from .selectors import integrations_due_for_sync, sync_interval_minutes
from .services import sync_integration

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


@periodic_job(every_minutes=60)
def synced_data_purge_task() -> int:
    return sum(synced_data_purge().values())


SCHEDULES = [
    ("integrations.sync.tasks.sync_due_task", TICK_MINUTES),
    ("integrations.sync.tasks.synced_data_purge_task", 60),
]
