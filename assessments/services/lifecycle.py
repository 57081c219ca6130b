"""Time-driven run changes: reminders before the due date, expiry at the due date."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from assessments.models import AssessmentConfig, AssessmentRun, RunStatus
from assessments.services.hooks import RunEvent, run_event_announce, runs_purgeable

logger = logging.getLogger(__name__)

MAX_REMINDER_DAYS = 30  # AssessmentConfig.reminder_days_before's upper bound


def assessment_run_expire(*, run: AssessmentRun, now: dt.datetime | None = None) -> bool:
    """Expire one active run whose due date has passed; the ATS is told in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = AssessmentRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in AssessmentRun.ACTIVE_STATUSES or locked.due_at is None or locked.due_at > now:
            return False
        locked.status = RunStatus.EXPIRED
        locked.expired_at = now
        locked.save(update_fields=["status", "expired_at", "updated_at"])
        run_event_announce(run=locked, event=RunEvent.EXPIRED)
    logger.info("assessment.run_expired", extra={"run": run.pk})
    run.refresh_from_db()
    return True


def assessment_run_expire_if_due(*, run: AssessmentRun) -> None:
    """Expire a run the moment someone looks at it after its due date, without waiting for the
    periodic sweep, so a late candidate never answers into an expired run."""
    if (
        run.status in AssessmentRun.ACTIVE_STATUSES
        and run.due_at is not None
        and run.due_at <= timezone.now()
    ):
        assessment_run_expire(run=run)


def assessment_runs_expire_due(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    ids = list(
        AssessmentRun.objects.filter(status__in=AssessmentRun.ACTIVE_STATUSES, due_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    expired = 0
    for run in AssessmentRun.objects.filter(pk__in=ids):
        expired += assessment_run_expire(run=run, now=now)
    return expired


def assessment_reminders_send(*, now: dt.datetime | None = None) -> int:
    """One reminder per unfinished run, `reminder_days_before` days before its due date."""
    from assessments.services.emails import run_email_send
    from assessments.services.runs import candidate_url

    now = now or timezone.now()
    candidates = (
        AssessmentRun.objects.filter(
            status__in=[RunStatus.INVITED, RunStatus.STARTED],
            reminded_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + dt.timedelta(days=MAX_REMINDER_DAYS),
        )
        .select_related("workspace")
        .order_by("due_at")[:500]
    )
    days_by_workspace = dict(AssessmentConfig.objects.values_list("workspace_id", "reminder_days_before"))
    default_days = AssessmentConfig._meta.get_field("reminder_days_before").get_default()
    sent = 0
    for run in candidates:
        days = days_by_workspace.get(run.workspace_id, default_days)
        if not days or run.due_at is None or run.due_at > now + dt.timedelta(days=days):
            continue
        # Claim the reminder first so two workers never both send it.
        if not AssessmentRun.objects.filter(pk=run.pk, reminded_at__isnull=True).update(reminded_at=now):
            continue
        try:
            run_email_send(run=run, kind="reminder", url=candidate_url(run=run))
        except Exception:  # noqa: BLE001 - one bad address must not stop the batch
            # Not retried: a reminder is a courtesy, and retrying a bouncing address every
            # sweep would only make noise. The failure is in the logs.
            logger.exception("assessment.reminder_failed", extra={"run": run.pk})
            continue
        sent += 1
    return sent


TERMINAL_STATUSES = (RunStatus.SCORED, RunStatus.DELIVERED, RunStatus.CANCELLED, RunStatus.EXPIRED)


def assessment_runs_purge(*, now: dt.datetime | None = None, workspace: Any = None) -> int:
    """Delete finished runs (answers, result, candidate data) older than the workspace's
    retention period, as the candidate privacy notice promises. A run whose write-back to the
    ATS is still in flight is kept until that settles. `workspace`: only that workspace's runs
    (the purge a shortened retention window causes)."""
    from django.db.models.functions import Coalesce

    now = now or timezone.now()
    runs = AssessmentRun.objects.filter(status__in=TERMINAL_STATUSES)
    if workspace is not None:
        runs = runs.filter(workspace=workspace)
    finished = runs.annotate(
        finished=Coalesce("delivered_at", "scored_at", "cancelled_at", "expired_at", "updated_at")
    )
    # One query per distinct retention period (a handful), portable to SQLite and PostgreSQL.
    periods = set(finished.values_list("workspace__retention_days", flat=True).distinct())
    ids: list[int] = []
    for days in sorted(periods):
        # Subscribers keep some a while longer (integrations: a write-back still in flight).
        due = finished.filter(workspace__retention_days=days, finished__lt=now - dt.timedelta(days=days))
        ids.extend(runs_purgeable(due).values_list("pk", flat=True)[:500])
    if not ids:
        return 0
    AssessmentRun.objects.filter(pk__in=ids).delete()
    logger.info("assessment.runs_purged", extra={"count": len(ids)})
    return len(ids)
