"""Claiming a sync run: the per-(integration, resource) lock, continuing an unfinished run, or
starting a new one (full or incremental). The database is the lock: a running SyncRun row is
unique per (integration, resource) (a partial unique constraint), so two workers, processes or
machines can never both run it; a running row whose heartbeat is older than the lease belongs to
a dead worker and is marked interrupted, then continued from its cursor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations.base import ATSError
from integrations.models import Integration
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import Conflict

from .models import FINISHED, UNFINISHED, SyncCheckpoint, SyncMode, SyncRun, SyncStatus, resource_label

# A running row silent for longer than this is a dead worker (django-q2 kills a task at its timeout).
LEASE_SECONDS = int(getattr(settings, "SYNC_LEASE_SECONDS", getattr(settings, "WORKER_LEASE_SECONDS", 240)))
# An unfinished run older than this starts over (cursors do not live forever).
RESUME_WINDOW = dt.timedelta(hours=int(getattr(settings, "SYNC_RESUME_WINDOW_HOURS", 24)))
FULL_EVERY_DAYS = 7
MAX_ERRORS_KEPT = 20
NO_INCREMENTAL = "no incremental sync for this data"


class SyncAlreadyRunning(Conflict):
    code = "sync_already_running"


def run_claim(*, integration: Integration, resource: str, full: bool, trigger: str) -> SyncRun:
    now = timezone.now()
    with transaction.atomic():
        _interrupt_stale(integration=integration, resource=resource, now=now)
        last = (
            SyncRun.objects.filter(integration=integration, resource=resource)
            .order_by("-started_at", "-pk")
            .first()
        )
        if last is not None and last.status == SyncStatus.RUNNING:
            raise SyncAlreadyRunning(
                f"The {resource} sync of this integration is already running (run #{last.pk})."
            )
        if last is not None and last.status in UNFINISHED:
            if now - last.started_at < RESUME_WINDOW and (not full or last.mode == SyncMode.FULL):
                return _resume(last, now=now, trigger=trigger)
            SyncRun.objects.filter(pk=last.pk, status=last.status).update(
                status=SyncStatus.ABANDONED, finished_at=now
            )
        checkpoint = SyncCheckpoint.objects.filter(integration=integration, resource=resource).first()
        reason = "full resync requested" if full else ""
        if not full and checkpoint is None:
            finished_before = SyncRun.objects.filter(
                integration=integration, resource=resource, status__in=FINISHED
            ).exists()
            reason = NO_INCREMENTAL if finished_before else "first sync"
        if not reason and _full_pass_due(integration=integration, resource=resource, now=now):
            reason = "periodic full pass (finds records deleted in the ATS that no webhook reported)"
        incremental = not reason
        try:
            with transaction.atomic():
                run = SyncRun.objects.create(
                    integration=integration,
                    resource=resource,
                    mode=SyncMode.INCREMENTAL if incremental else SyncMode.FULL,
                    trigger=trigger,
                    full_reason=reason,
                    sync_token_in=checkpoint.sync_token if incremental and checkpoint else "",
                    started_at=now,
                    pass_started_at=now,
                    heartbeat_at=now,
                )
        except IntegrityError as exc:
            raise SyncAlreadyRunning(f"The {resource} sync of this integration is already running.") from exc
    return run


def _full_pass_due(*, integration: Integration, resource: str, now: dt.datetime) -> bool:
    """provider_settings["sync_full_every_days"] (default 7, 0 = never) after the last full pass."""
    try:
        days = int((integration.provider_settings or {}).get("sync_full_every_days", FULL_EVERY_DAYS))
    except (TypeError, ValueError):
        days = FULL_EVERY_DAYS
    if days <= 0:
        return False
    last = (
        SyncRun.objects.filter(
            integration=integration, resource=resource, mode=SyncMode.FULL, status__in=FINISHED
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return last is None or now - last >= dt.timedelta(days=days)


def _interrupt_stale(*, integration: Integration, resource: str, now: dt.datetime) -> None:
    stale = SyncRun.objects.filter(
        integration=integration,
        resource=resource,
        status=SyncStatus.RUNNING,
        heartbeat_at__lt=now - dt.timedelta(seconds=LEASE_SECONDS),
    )
    for run in stale:
        run_error_note(
            run,
            page=run.pages + 1,
            message="The worker running this sync stopped (no heartbeat).",
            error_class="WorkerLost",
        )
        run.status = SyncStatus.INTERRUPTED
        run.save(update_fields=["status", "errors"])


def _resume(run: SyncRun, *, now: dt.datetime, trigger: str) -> SyncRun:
    previous = run.status
    try:
        with transaction.atomic():
            taken = SyncRun.objects.filter(pk=run.pk, status=previous).update(
                status=SyncStatus.RUNNING, attempts=F("attempts") + 1, heartbeat_at=now, finished_at=None
            )
    except IntegrityError as exc:
        raise SyncAlreadyRunning("Another worker is already continuing this sync.") from exc
    if not taken:
        raise SyncAlreadyRunning("Another worker is already continuing this sync.")
    run.refresh_from_db()
    if previous != SyncStatus.PAUSED:
        activity_log(
            integration=run.integration,
            kind="sync.resumed",
            message=f"{resource_label(run.resource)} sync #{run.pk} resumes at page {run.pages + 1} "
            f"({run.records_upserted} records already stored) after: "
            f"{(run.last_error or {}).get('message', previous)}",
            data={"run": run.pk, "resource": run.resource, "page": run.pages + 1, "trigger": trigger},
        )
    return run


def run_error_note(
    run: SyncRun, *, page: int, message: str, error_class: str, exc: ATSError | None = None
) -> dict[str, Any]:
    entry = {
        "at": timezone.now().isoformat(),
        "page": page,
        "error_class": error_class,
        "message": message[:1000],
        "status_code": getattr(exc, "status_code", None),
        "vendor_code": getattr(exc, "vendor_code", "") or "",
        "request_id": getattr(exc, "request_id", "") or "",
    }
    run.errors = [*run.errors, entry][-MAX_ERRORS_KEPT:]
    return entry
