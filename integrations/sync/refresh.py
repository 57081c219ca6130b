"""Targeted updates between scheduled runs: what webhook handlers call (a record the ATS just
sent, a targeted re-read of one record, a deletion or merge), and the staff "full resync".

Provider webhook handlers call these and never write the synced models themselves. The
scheduled incremental sync still runs: it catches whatever a webhook missed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from integrations.base import ATSNotFound, SyncedDeletion, SyncRecord
from integrations.models import Integration
from integrations.registry import provider_for
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ValidationFailed

from .claims import SyncAlreadyRunning
from .models import DeletionReason, SeenVia, SyncStatus, SyncTrigger
from .records import (
    FIELDS,
    MODEL_BY_NAME,
    MODEL_FOR,
    Applied,
    record_delete,
    records_apply,
    records_forget,
)
from .services import resource_label, sync_run_start

logger = logging.getLogger(__name__)

MODEL_OF_RESOURCE = {
    "jobs": "job",
    "stages": "stage",
    "candidates": "candidate",
    "applications": "application",
}


def sync_enabled(integration: Integration) -> bool:
    """Sync runs for an integration whose ATS supports it, unless the customer turned it off
    (provider_settings["sync_enabled"] = false: no copy of their candidates is kept)."""
    return (
        bool(provider_for(integration).sync_resources)
        and (integration.provider_settings or {}).get("sync_enabled", True) is not False
    )


def sync_records_receive(*, integration: Integration, records: Iterable[SyncRecord]) -> Applied:
    """Records a webhook carried (already mapped by the provider), applied as they are: older
    than what we hold → only marked seen. Inside `sync_records_batch` they are written when the
    batch ends (and an empty Applied is returned)."""
    if not sync_enabled(integration):
        return Applied()
    records = list(records)
    batch = _batch.get()
    if batch is not None:
        if not any(isinstance(record, SyncedDeletion) for record in records):
            batch.add(integration, records)
            return Applied()
        _flush(batch)  # a deletion: everything received before it first, in order
    return records_apply(integration=integration, records=records, via=SeenVia.WEBHOOK)


def sync_records_receive_missing(*, integration: Integration, records: Iterable[SyncRecord]) -> None:
    """Partial records a webhook carried (some fields missing, no `updated_at` to order them by):
    stored only where we hold no copy of the record, never over one (INSERT … ON CONFLICT DO
    NOTHING: a complete copy or a tombstone always wins, whichever commits first). The
    scheduled sync completes them: a stored record without `remote_updated_at` is always
    overwritten by the ATS's copy."""
    if not sync_enabled(integration):
        return
    batch = _batch.get()
    if batch is not None:
        batch.add(integration, list(records), missing=True)
        return
    _store_missing(integration, records)


def _store_missing(integration: Integration, records: Iterable[SyncRecord]) -> None:
    now = timezone.now()
    rows = [
        MODEL_FOR[type(record)](
            integration=integration,
            external_id=record.external_id,
            first_seen_at=now,
            last_seen_at=now,
            last_seen_via=SeenVia.WEBHOOK,
            **{name: getattr(record, name) for name in FIELDS[type(record)]},
        )
        for record in records
        if not isinstance(record, SyncedDeletion)
    ]
    for model in {type(row) for row in rows}:
        model.objects.bulk_create([row for row in rows if type(row) is model], ignore_conflicts=True)


# --- Webhook batches ----------------------------------------------------------------------------


@dataclass
class _ReceivedBatch:
    """What the webhook handlers of one batch received, per integration, in arrival order."""

    integrations: dict[int, Integration] = field(default_factory=dict)
    missing: dict[int, dict[tuple[type, str], SyncRecord]] = field(default_factory=dict)
    received: dict[int, dict[tuple[type, str], SyncRecord]] = field(default_factory=dict)

    def add(self, integration: Integration, records: list[Any], *, missing: bool = False) -> None:
        """Records without deletions (a deletion flushes the batch instead)."""
        self.integrations.setdefault(integration.pk, integration)
        into = (self.missing if missing else self.received).setdefault(integration.pk, {})
        for record in records:
            key = (type(record), record.external_id)
            # Two copies of one record in a batch: the newer by the ATS's updatedAt, else the later.
            held_at = getattr(into.get(key), "updated_at", None)
            if not (held_at and record.updated_at and held_at > record.updated_at):
                into[key] = record


_batch: ContextVar[_ReceivedBatch | None] = ContextVar("sync_received_batch", default=None)


@contextmanager
def sync_records_batch() -> Iterator[None]:
    """Records webhook handlers receive inside the block are written when it ends: one statement
    per table and integration for the whole batch instead of three to five per webhook (the
    webhook drain processes events in batches). The outcome is the one-by-one outcome: partial
    records first (never over a copy), then the rest through records_apply's ordering rules; of
    two copies of a record the newer wins; a deletion flushes what came before it. Handlers
    must not read back, inside the block, a synced record they just received (none does). If the
    block raises, nothing is written (the caller's transaction rolls back anyway)."""
    if _batch.get() is not None:  # nested: the outer batch writes
        yield
        return
    batch = _ReceivedBatch()
    token = _batch.set(batch)
    try:
        yield
        _flush(batch)
    finally:
        _batch.reset(token)


def _flush(batch: _ReceivedBatch) -> None:
    for pk, integration in batch.integrations.items():
        missing = batch.missing.pop(pk, None)
        if missing:
            _store_missing(integration, missing.values())
        received = batch.received.pop(pk, None)
        if received:
            records_apply(integration=integration, records=list(received.values()), via=SeenVia.WEBHOOK)
    batch.integrations.clear()


def sync_record_refresh(*, integration: Integration, resource: str, external_id: str) -> Applied:
    """Re-read one record from the ATS (provider.sync_fetch) and store it; gone → soft-deleted.
    ATS errors propagate so the caller (a task) is retried."""
    if not sync_enabled(integration):
        return Applied()
    try:
        page = provider_for(integration).sync_fetch(integration, resource, external_id)
    except ATSNotFound:
        model = MODEL_OF_RESOURCE[resource]
        deleted = record_delete(
            integration=integration, model=model, external_id=external_id, reason=DeletionReason.NOT_FOUND
        )
        return Applied(deleted=deleted)
    return records_apply(integration=integration, records=page.records, via=SeenVia.WEBHOOK)


# How long a queued targeted refresh keeps later webhooks for the same record from queueing
# another. The task clears the mark when it starts, so this only matters when the task is lost
# (broker restart): then refreshes of that record resume after it, and the scheduled sync
# covers the gap meanwhile.
REFRESH_PENDING_SECONDS = 600


def _refresh_pending_key(integration: Integration, resource: str, external_id: str) -> str:
    # Hashed: ATS ids are up to 255 characters, the database cache's keys too.
    digest = hashlib.sha256(external_id.encode()).hexdigest()[:32]
    return f"sync:refresh:{integration.public_id.hex}:{resource}:{digest}"


def sync_record_refresh_pending_clear(*, integration: Integration, resource: str, external_id: str) -> None:
    """The refresh task is starting: a webhook from now on may show a change the read below
    misses, so it queues a refresh of its own."""
    cache.delete(_refresh_pending_key(integration, resource, external_id))


# The queue's entry points this module enqueues are defined in it (end of file), so the names
# point at itself, not up at integrations.sync.tasks (which re-exports them under their old names).
RECORD_REFRESH_TASK = f"{__name__}.sync_record_refresh_task"
RESOURCE_TASK = f"{__name__}.sync_resource_task"


def sync_record_refresh_enqueue(
    *, integration: Integration, resource: str, external_id: str, only_if_missing: bool = False
) -> None:
    """A targeted refresh (re-read one record from the ATS) after the current transaction commits
    (a webhook handler's). `only_if_missing`: only when we hold no copy of the record yet.

    Coalesced: at most one refresh per record is waiting in the queue. A burst of webhooks for
    one record costs one read, and no change is missed: a refresh still waiting reads the record
    after every webhook that found it waiting, and the task clears the mark as it starts, so a
    webhook arriving during or after the read queues a new one. The mark is set on commit, so a
    handler that fails (and is retried) leaves none behind."""
    if not sync_enabled(integration) or not external_id:
        return
    model = MODEL_BY_NAME[MODEL_OF_RESOURCE[resource]]
    if only_if_missing and model.objects.filter(integration=integration, external_id=external_id).exists():
        return
    from jobcannon.core.queue import enqueue

    pk = integration.pk
    key = _refresh_pending_key(integration, resource, external_id)

    def send() -> None:
        try:
            first = cache.add(key, 1, timeout=REFRESH_PENDING_SECONDS)
        except Exception:  # noqa: BLE001 - cache down: one read too many rather than none
            logger.warning("sync.refresh_coalesce_unavailable", extra={"resource": resource})
            first = True
        if first:
            enqueue(RECORD_REFRESH_TASK, pk, resource, external_id, group="sync")

    transaction.on_commit(send)


def sync_record_remove(
    *, integration: Integration, model: str, external_id: str, merged_into: str = ""
) -> int:
    """The ATS deleted (or merged away) a record: soft-delete it, with a customer-visible line."""
    count = record_delete(
        integration=integration, model=model, external_id=external_id, merged_into=merged_into
    )
    if merged_into:
        message = f"The ATS merged {model} {external_id} into {merged_into}: its copy is removed and its applications moved."
    else:
        message = f"The ATS deleted {model} {external_id}: its synced copy is removed ({count} row(s))."
    activity_log(
        integration=integration,
        kind="sync.record_removed",
        message=message,
        data={"model": model, "external_id": external_id, "merged_into": merged_into},
    )
    return count


def sync_full_resync_request(
    *, integration: Integration, resource: str = "", requested_by: str = ""
) -> list[str]:
    """Staff: sync these resources from scratch in the background (ignoring the checkpoint; an
    unfinished incremental run is abandoned). Returns the resources queued."""
    provider = provider_for(integration)
    resources = [resource] if resource else list(provider.sync_resources)
    unknown = [r for r in resources if r not in provider.sync_resources]
    if unknown or not resources:
        raise ValidationFailed(f"{provider.name} cannot sync {', '.join(unknown) or 'anything'}.")
    # sync_run_start(full=True) abandons an unfinished incremental run and continues an
    # unfinished full one.
    from jobcannon.core.queue import enqueue

    for name in resources:
        enqueue(
            RESOURCE_TASK,
            integration.pk,
            name,
            True,
            SyncTrigger.STAFF,
            group="sync",
        )
    activity_log(
        integration=integration,
        kind="sync.full_resync_requested",
        message=f"Full resync of {', '.join(resource_label(r).lower() for r in resources)} requested"
        + (f" by {requested_by}" if requested_by else "")
        + ".",
        data={"resources": resources},
    )
    return resources


@transaction.atomic
def sync_settings_update(
    *, integration: Integration, enabled: bool, interval_minutes: int, changed_by: str = ""
) -> Integration:
    """The customer's sync settings (provider_settings sync_enabled / sync_interval_minutes).
    Turning sync off deletes the copy at once: no candidate data is kept for an ATS we no
    longer sync (run logs stay until the retention window)."""
    from .selectors import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES

    if not MIN_INTERVAL_MINUTES <= interval_minutes <= MAX_INTERVAL_MINUTES:
        raise ValidationFailed(
            f"Choose a sync interval from {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes.",
            details={"interval_minutes": interval_minutes},
        )
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    was_on = (locked.provider_settings or {}).get("sync_enabled", True) is not False
    locked.provider_settings = {
        **(locked.provider_settings or {}),
        "sync_enabled": enabled,
        "sync_interval_minutes": interval_minutes,
    }
    locked.save(update_fields=["provider_settings", "updated_at"])
    removed = 0
    if was_on and not enabled:
        removed = records_forget(integration=locked)
    activity_log(
        integration=locked,
        kind="sync.settings_changed",
        message=(
            f"Data sync every {interval_minutes} minutes."
            if enabled
            else f"Data sync turned off; {removed} synced record(s) deleted."
        )
        + (f" Changed by {changed_by}." if changed_by else ""),
        data={"enabled": enabled, "interval_minutes": interval_minutes, "removed": removed},
    )
    return locked


# --- Queue entry points ----------------------------------------------------------------------------
# django-q2 runs these by RECORD_REFRESH_TASK and RESOURCE_TASK. Until issue 22 they lived in
# integrations.sync.tasks, which imports this module: tasks already in a broker written before
# carry those old names, so integrations.sync.tasks re-exports both and they still resolve.


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
        from jobcannon.core.queue import enqueue

        enqueue(RESOURCE_TASK, integration_id, resource, full, trigger, group="sync")
    return run.records_upserted


def sync_record_refresh_task(integration_id: int, resource: str, external_id: str) -> int:
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        return 0
    sync_record_refresh_pending_clear(integration=integration, resource=resource, external_id=external_id)
    applied = sync_record_refresh(integration=integration, resource=resource, external_id=external_id)
    return applied.written + applied.deleted
