"""The reconciler: finds drift between what JobCannon knows and what the ATS shows, and repairs
it or reports it. Scheduled every few minutes (under a lease, see tasks.py).

1. Write-backs whose worker died mid-call (lease expired) become halted, like a timeout.
2. Halted write-backs (outcome unknown) are read back from the ATS (`provider.confirm`):
   there → confirmed, never resent; definitely absent → sent again; cannot be read back → sent
   again only if the ATS dedupes on our idempotency key, else left for a human (reported once).
3. Delivered-but-unconfirmed write-backs are read back a while later: absent → the ATS lost
   it ("scored here, still pending in the ATS") → sent again.
4. Runs scored here whose result was never queued for their ATS get their write-back queued;
   runs whose write-back was confirmed but that are not marked delivered are marked; dead
   letters are counted in the report (a human replays them)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.models import ActivityLevel, IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.registry import provider_for
from integrations.services.activity import activity_log
from integrations.services.writeback import (
    RunEvent,
    writeback_enqueue,
    writeback_mark_confirmed,
    writeback_read_back,
    writeback_recover_stale,
    writeback_requeue,
    writeback_resend_is_safe,
)

logger = logging.getLogger(__name__)

# Give the ATS a moment to finish what a timed-out call may still be doing before reading back.
HALT_SETTLE = timedelta(minutes=2)
# Read delivered-but-unconfirmed writes back after this long, then at most every RECHECK_EVERY.
RECHECK_DELIVERED_AFTER = timedelta(minutes=10)
RECHECK_EVERY = timedelta(hours=6)
# A run scored this long ago without a queued write-back is drift.
DRIFT_AFTER = timedelta(minutes=15)
DRIFT_LOOKBACK = timedelta(days=7)


@dataclass
class ReconcileReport:
    recovered_stale: int = 0
    confirmed: int = 0
    resent: int = 0
    halted_unresolved: int = 0
    drift_queued: int = 0
    runs_marked_delivered: int = 0
    dead_letters: int = 0
    read_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def writeback_reconcile(*, now=None, limit: int = 200, settle: timedelta = HALT_SETTLE) -> ReconcileReport:
    now = now or timezone.now()
    report = ReconcileReport()
    report.recovered_stale = writeback_recover_stale(now=now)
    _resolve_halted(report, now=now, limit=limit, settle=settle)
    _recheck_delivered(report, now=now, limit=limit)
    _repair_runs(report, now=now, limit=limit)
    if any(report.as_dict().values()):
        logger.info("writeback.reconciled", extra=report.as_dict())
    return report


def _resolve_halted(report: ReconcileReport, *, now, limit: int, settle: timedelta) -> None:
    halted = (
        WritebackMessage.objects.filter(status=WritebackStatus.HALTED, updated_at__lte=now - settle)
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lte=now - settle))
        .select_related("integration", "run")
        .order_by("updated_at")[:limit]
    )
    for message in halted:
        if message.integration.status != IntegrationStatus.CONNECTED:
            continue  # reading back needs working credentials; resumed with the integration
        first_check = message.checked_at is None
        verdict = writeback_read_back(message=message)
        if verdict is True:
            writeback_mark_confirmed(message=message, note="found by the reconciler after an unknown outcome")
            report.confirmed += 1
        elif verdict is False or writeback_resend_is_safe(integration=message.integration):
            why = (
                "not found in the ATS after an unknown outcome"
                if verdict is False
                else "outcome unknown; the ATS dedupes on the idempotency key"
            )
            writeback_requeue(message=message, reason=f"Sending again: {why}.")
            report.resent += 1
        else:
            report.halted_unresolved += 1
            if first_check:
                activity_log(
                    integration=message.integration,
                    kind="writeback.halted",
                    level=ActivityLevel.ERROR,
                    message=f"The outcome of write-back {message.kind} for run {message.run_id} is unknown and "
                    f"{provider_for(message.integration).name} cannot be read back. Check the ATS, then replay it "
                    "(or mark it done) from the dead letters.",
                    data={"run": message.run_id, "outbox": message.pk},
                )


def _recheck_delivered(report: ReconcileReport, *, now, limit: int) -> None:
    delivered = (
        WritebackMessage.objects.filter(
            status=WritebackStatus.DELIVERED,
            delivered_at__lte=now - RECHECK_DELIVERED_AFTER,
            integration__status=IntegrationStatus.CONNECTED,
        )
        .filter(
            # never read back, or only right after the write (the ATS may have lagged), or long ago
            Q(checked_at__isnull=True)
            | Q(checked_at__lt=F("delivered_at") + RECHECK_DELIVERED_AFTER)
            | Q(checked_at__lte=now - RECHECK_EVERY)
        )
        .select_related("integration", "run")
        .order_by("checked_at", "delivered_at")[:limit]
    )
    for message in delivered:
        verdict = writeback_read_back(message=message)
        if verdict is True:
            writeback_mark_confirmed(message=message, note="read back")
            report.confirmed += 1
        elif verdict is False:
            writeback_requeue(
                message=message, reason="The ATS no longer shows this write-back (drift): sending again."
            )
            activity_log(
                integration=message.integration,
                kind="writeback.drift",
                level=ActivityLevel.WARNING,
                message=f"{provider_for(message.integration).name} does not show {message.kind} for run "
                f"{message.run_id} although it accepted it: sent again.",
                data={"run": message.run_id, "outbox": message.pk},
            )
            report.resent += 1


def _repair_runs(report: ReconcileReport, *, now, limit: int) -> None:
    from assessments.models import AssessmentRun, RunStatus
    from assessments.services.hooks import run_writeback_delivered

    finished = (
        AssessmentRun.objects.filter(
            status__in=[RunStatus.COMPLETED, RunStatus.SCORED],
            integration__status=IntegrationStatus.CONNECTED,
        )
        .annotate(finished_at=Coalesce("scored_at", "completed_at", "updated_at"))
        .filter(finished_at__gte=now - DRIFT_LOOKBACK, finished_at__lte=now - DRIFT_AFTER)
        .select_related("integration")
    )
    completed = WritebackMessage.objects.filter(run=OuterRef("pk"), event=RunEvent.COMPLETED)
    # Scored here, never queued for the ATS (an enqueue that failed, or a provider bug fixed
    # since). Newest first: runs of a provider that writes nothing back for them stay here.
    for run in finished.filter(~Exists(completed)).order_by("-finished_at")[:limit]:
        created = writeback_enqueue(run=run, event=RunEvent.COMPLETED)
        if created and run.integration is not None:
            report.drift_queued += len(created)
            activity_log(
                integration=run.integration,
                kind="writeback.drift",
                level=ActivityLevel.WARNING,
                message=f"Run {run.pk} was scored but its result was never queued for "
                f"{provider_for(run.integration).name}: queued now.",
                data={"run": run.pk},
            )
    # Delivered and confirmed, but the run did not hear about it (the hook failed).
    done = completed.filter(status__in=[WritebackStatus.CONFIRMED, WritebackStatus.DELIVERED])
    for run in finished.filter(Exists(done))[:limit]:
        run_writeback_delivered(run=run, event=RunEvent.COMPLETED)
        report.runs_marked_delivered += 1
    report.dead_letters = WritebackMessage.objects.filter(status=WritebackStatus.DEAD).count()
