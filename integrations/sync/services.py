"""The sync service: one engine for every ATS, driving the provider's `sync_page` hook.

A run is one logical sync of one resource of one integration:
- never two at once: the running row is unique per (integration, resource) (a partial unique
  constraint: the database is the lock, on PostgreSQL and SQLite alike); a running row whose
  heartbeat is older than the lease belongs to a dead worker and is marked interrupted;
- each page is stored in one transaction together with the cursor of the next page, so a run
  that fails or is killed continues (same row, next attempt) from the first page it had not
  stored: nothing lost, and pages fetched twice are upserts, so nothing duplicated;
- the checkpoint (Ashby's syncToken, Lever's timestamp...) is stored only when the whole run
  succeeded, then the next run is incremental from it; an ATS refusing the token turns the run
  into a full resync;
- the ATS's warnings (partial success) and every failure, with the vendor's request id, are kept
  on the run and written to the integration's activity log: the customer sees them.

Seed 002 §4 ("Practical sync design tips"), reference ashby-api.md §3.4."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.base import (
    ATSAuthError,
    ATSError,
    ATSNotFound,
    ATSPermissionError,
    SyncPage,
    SyncTokenExpired,
)
from integrations.models import ActivityLevel, Integration
from integrations.registry import provider_for
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ValidationFailed

from .claims import NO_INCREMENTAL, SyncAlreadyRunning, run_claim, run_error_note
from .models import (
    SyncCheckpoint,
    SyncedRecord,
    SyncMode,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    resource_label,
)
from .records import MODEL_FOR, RESOURCE_MODELS, records_apply, records_sweep_missing

logger = logging.getLogger(__name__)

# A task stops after this many seconds and the run continues in the next one (django-q2 kills a
# task at Q_CLUSTER["timeout"]).
TIME_BUDGET_SECONDS = float(getattr(settings, "SYNC_TIME_BUDGET_SECONDS", 90))
MAX_PAGES = 100_000  # a guard against an ATS that never says "no more data"
__all__ = ["SyncAlreadyRunning", "resource_label", "sync_integration", "sync_run_start"]


def sync_run_start(
    *,
    integration: Integration,
    resource: str,
    full: bool = False,
    trigger: str = SyncTrigger.SCHEDULE,
    time_budget_seconds: float | None = None,
) -> SyncRun:
    """Start (or continue) the sync of one resource and drive it until it finishes, fails, or
    the time budget runs out (then it is paused and the next call continues it). Raises
    SyncAlreadyRunning while another worker runs it. `full` asks for a full resync: the stored
    checkpoint is ignored (an unfinished full run is continued, not restarted)."""
    provider = provider_for(integration)
    if resource not in provider.sync_resources:
        raise ValidationFailed(
            f"{provider.name} has no {resource!r} to sync.", details={"resource": resource}
        )
    run = run_claim(integration=integration, resource=resource, full=full, trigger=trigger)
    budget = TIME_BUDGET_SECONDS if time_budget_seconds is None else time_budget_seconds
    return _drive(run=run, integration=integration, deadline=time.monotonic() + budget)


def sync_integration(
    *,
    integration: Integration,
    full: bool = False,
    trigger: str = SyncTrigger.SCHEDULE,
    time_budget_seconds: float | None = None,
) -> list[SyncRun]:
    """Every resource of one integration in the provider's order (jobs and stages before the
    candidates and applications that point at them). Each gets at least one page even when the
    budget is spent (then it pauses and the caller continues it). A resource another worker is
    syncing is skipped; the next scheduled run picks up anything left."""
    runs: list[SyncRun] = []
    deadline = time.monotonic() + (
        TIME_BUDGET_SECONDS if time_budget_seconds is None else time_budget_seconds
    )
    for resource in provider_for(integration).sync_resources:
        left = max(0.0, deadline - time.monotonic())
        try:
            runs.append(
                sync_run_start(
                    integration=integration,
                    resource=resource,
                    full=full,
                    trigger=trigger,
                    time_budget_seconds=left,
                )
            )
        except SyncAlreadyRunning:
            continue
    return runs


# --- driving pages ----------------------------------------------------------------------------


def _drive(*, run: SyncRun, integration: Integration, deadline: float) -> SyncRun:
    provider = provider_for(integration)
    carried_cursor = bool(run.cursor) and run.attempts > 1
    fetched = 0
    while True:
        if fetched and time.monotonic() > deadline:
            SyncRun.objects.filter(pk=run.pk).update(status=SyncStatus.PAUSED, heartbeat_at=timezone.now())
            run.status = SyncStatus.PAUSED
            return run
        page_no = run.pages + 1
        try:
            page = provider.sync_page(integration, run.resource, run.cursor, run.sync_token_in)
        except SyncTokenExpired as exc:
            if not run.sync_token_in:
                return _fail(run, exc, page_no=page_no)  # a full sync has no token to expire
            _restart_full(run, reason=exc.message)
            carried_cursor = False
            continue
        except ATSError as exc:
            return _fail(run, exc, page_no=page_no, carried_cursor=carried_cursor)
        except Exception as exc:
            _fail(run, exc, page_no=page_no)
            raise
        carried_cursor = False
        fetched += 1
        if page.more and (not page.next_cursor or page.next_cursor == run.cursor or page_no >= MAX_PAGES):
            return _fail(
                run,
                ATSError(
                    f"The ATS said more data was available but gave no new cursor after page {page_no}."
                ),
                page_no=page_no,
            )
        try:
            _store_page(run, page, page_no=page_no)
        except SyncAlreadyRunning:
            logger.warning("sync.claim_lost", extra={"run": run.pk, "resource": run.resource})
            run.refresh_from_db()
            return run
        if not page.more:
            return _finish(run, page)


def _store_page(run: SyncRun, page: SyncPage, *, page_no: int) -> None:
    """The page's records and the cursor of the next page, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        # Still ours? A worker that stalled past the lease may have been declared dead and the
        # run continued by another: then this one stops without writing anything.
        held = SyncRun.objects.select_for_update().filter(
            pk=run.pk, status=SyncStatus.RUNNING, attempts=run.attempts
        )
        if not held.exists():
            raise SyncAlreadyRunning(f"Sync run #{run.pk} was taken over by another worker.")
        applied = records_apply(integration=run.integration, records=page.records, run=run, now=now)
        notes = [{"page": page_no, "message": w, "request_id": page.request_id} for w in page.warnings]
        run.pages = page_no
        run.records_upserted += applied.written
        run.records_deleted += applied.deleted
        run.cursor = page.next_cursor if page.more else run.cursor
        run.heartbeat_at = now
        run.warnings = [*run.warnings, *notes]
        run.save(
            update_fields=[
                "pages",
                "records_upserted",
                "records_deleted",
                "cursor",
                "heartbeat_at",
                "warnings",
            ]
        )
    if page.warnings:
        # Ashby: "even when a request succeeds, you may see a warnings array" (seed 002 §6).
        activity_log(
            integration=run.integration,
            kind="sync.warning",
            level=ActivityLevel.WARNING,
            message=f"{resource_label(run.resource)} sync #{run.pk}, page {page_no}: the ATS reported a partial "
            f"success: {'; '.join(page.warnings)}"
            + (f" (request id {page.request_id})" if page.request_id else ""),
            data={
                "run": run.pk,
                "page": page_no,
                "warnings": list(page.warnings),
                "request_id": page.request_id,
            },
        )


def _restart_full(run: SyncRun, *, reason: str) -> None:
    """The ATS refused the checkpoint: forget it and run this same run as a full sync."""
    now = timezone.now()
    with transaction.atomic():
        SyncCheckpoint.objects.filter(integration=run.integration, resource=run.resource).delete()
        run.mode = SyncMode.FULL
        run.full_reason = "the ATS refused the sync token (expired)"
        run.sync_token_in = ""
        run.cursor = ""
        run.pass_started_at = now
        run.heartbeat_at = now
        run.save(
            update_fields=[
                "mode",
                "full_reason",
                "sync_token_in",
                "cursor",
                "pass_started_at",
                "heartbeat_at",
            ]
        )
    activity_log(
        integration=run.integration,
        kind="sync.token_expired",
        level=ActivityLevel.WARNING,
        message=f"{resource_label(run.resource)} sync #{run.pk}: the ATS no longer accepts the stored sync "
        f"token ({reason}); running a full resync instead.",
        data={"run": run.pk, "resource": run.resource},
    )


def _finish(run: SyncRun, page: SyncPage) -> SyncRun:
    now = timezone.now()
    with transaction.atomic():
        swept = 0
        if run.mode == SyncMode.FULL and not run.warnings:
            # A complete full pass: what it did not see is gone from the ATS. Not after a partial
            # success, whose pages may have left records out.
            swept = records_sweep_missing(
                integration=run.integration, models=_models_of(run), before=run.pass_started_at, now=now
            )
        if page.sync_token:
            SyncCheckpoint.objects.update_or_create(
                integration=run.integration,
                resource=run.resource,
                defaults={"sync_token": page.sync_token, "run": run, "updated_at": now},
            )
        run.checkpoint_out = page.sync_token
        run.records_deleted += swept
        run.status = SyncStatus.PARTIAL if run.warnings else SyncStatus.SUCCEEDED
        run.finished_at = now
        run.heartbeat_at = now
        run.save(update_fields=["checkpoint_out", "records_deleted", "status", "finished_at", "heartbeat_at"])
    summary = (
        f"{resource_label(run.resource)} {run.get_mode_display().lower()} sync #{run.pk}: {run.pages} page(s), "
        f"{run.records_upserted} record(s) stored, {run.records_deleted} removed"
    )
    if run.warnings:
        activity_log(
            integration=run.integration,
            kind="sync.partial",
            level=ActivityLevel.WARNING,
            message=f"{summary}, completed with {len(run.warnings)} warning(s): not a full success.",
            data={"run": run.pk, "resource": run.resource},
        )
    elif run.attempts > 1 or (run.mode == SyncMode.FULL and run.full_reason != NO_INCREMENTAL):
        # Not every routine pass of a stream that is always read in full (Ashby's stages).
        activity_log(
            integration=run.integration,
            kind="sync.completed",
            message=summary + ".",
            data={"run": run.pk, "resource": run.resource},
        )
    return run


def _models_of(run: SyncRun) -> set[type[SyncedRecord]]:
    """The models a resource stream lists completely: its own, and any other type its pages
    carried (Lever's opportunities carry candidates too)."""
    models = set(RESOURCE_MODELS.get(run.resource, ()))
    for model in MODEL_FOR.values():
        if (
            model not in models
            and model.objects.filter(integration=run.integration, last_seen_run=run).exists()
        ):
            models.add(model)
    return models


def _fail(run: SyncRun, exc: Exception, *, page_no: int, carried_cursor: bool = False) -> SyncRun:
    ats = exc if isinstance(exc, ATSError) else None
    message = ats.message if ats else f"{type(exc).__name__}: {exc}"
    entry = run_error_note(run, page=page_no, message=message, error_class=type(exc).__name__, exc=ats)
    now = timezone.now()
    run.status = SyncStatus.FAILED
    run.finished_at = now
    run.heartbeat_at = now
    if (
        carried_cursor
        and ats is not None
        and not ats.retryable
        and not isinstance(exc, ATSAuthError | ATSPermissionError | ATSNotFound)
    ):
        # The saved cursor of an earlier attempt was refused (cursors expire): this pass starts
        # over from page 1. Upserts make the re-read pages harmless.
        run.cursor = ""
        run.pass_started_at = now
        entry["message"] += " (the saved cursor was refused: the next attempt starts this pass over)"
    run.save(update_fields=["status", "finished_at", "heartbeat_at", "errors", "cursor", "pass_started_at"])
    request = f" {entry['request_id']}" if entry["request_id"] else ""
    activity_log(
        integration=run.integration,
        kind="sync.failed",
        level=ActivityLevel.ERROR,
        message=f"{resource_label(run.resource)} sync #{run.pk} failed on page {page_no}: {message}"
        + (f" (ATS request id{request})" if request else "")
        + f". {run.records_upserted} record(s) from earlier pages are kept; the next run continues from page {run.pages + 1}.",
        data={"run": run.pk, "resource": run.resource, **{k: v for k, v in entry.items() if k != "message"}},
    )
    if isinstance(exc, ATSAuthError):
        from integrations.services.status import integration_mark_needs_reauth

        integration_mark_needs_reauth(integration=run.integration, reason=message)
    logger.warning(
        "sync.failed", extra={"run": run.pk, "resource": run.resource, "error_class": type(exc).__name__}
    )
    return run


def sync_checkpoint_get(*, integration: Integration, resource: str) -> SyncCheckpoint | None:
    return SyncCheckpoint.objects.filter(integration=integration, resource=resource).first()
