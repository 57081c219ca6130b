"""Retention as a policy: each workspace's window (Workspace.retention_days, 90 by default as the
seeds say). After it, raw webhook bodies and headers are deleted while the event row (status,
type, ids, reasons) and a SHA-256 + size of the body stay for the logs; finished runs go through
the assessments app's own purge (answers, result, candidate data); answers of a run still held
back by an in-flight write-back are deleted on their own.

It never blocks intake: everything runs in chunks, each its own short transaction touching only
old rows, under a time budget; what is left is picked up by the next scheduled run."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import Answer, AssessmentRun
from assessments.services.lifecycle import TERMINAL_STATUSES, assessment_runs_purge
from integrations.models import WebhookEvent, WebhookStatus
from jobcannon.audit.models import PurgeReason, RetentionSweep, WebhookBodyDigest
from jobcannon.audit.services import audit_record
from jobcannon.workspaces.models import Workspace

logger = logging.getLogger(__name__)

# Only settled events lose their body: a verified or failed one may still be processed.
SETTLED_WEBHOOK_STATUSES = (
    WebhookStatus.REJECTED,
    WebhookStatus.DUPLICATE,
    WebhookStatus.PROCESSED,
    WebhookStatus.DEAD,
    WebhookStatus.IGNORED,
    WebhookStatus.UNSUPPORTED,
)
WEBHOOK_CHUNK = 100  # bodies are up to 1 MiB each: a chunk is read into memory at once
ROW_CHUNK = 500
LOCK_KEY = "jobcannon:retention-purge"


def webhook_bodies_purge(*, event_ids: Iterable[int], reason: str = PurgeReason.RETENTION) -> int:
    """Replace the raw body and headers of these events by their digest. Idempotent."""
    ids = list(event_ids)
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookEvent.objects.filter(pk__in=ids, body_digest__isnull=True).values_list(
                "pk", "body", "headers"
            )
        )
        if not rows:
            return 0
        WebhookBodyDigest.objects.bulk_create(
            [
                WebhookBodyDigest(
                    event_id=pk,
                    body_sha256=hashlib.sha256(bytes(body)).hexdigest(),
                    body_bytes=len(body),
                    header_count=len(headers or {}),
                    purged_at=now,
                    reason=reason,
                )
                for pk, body, headers in rows
            ],
            ignore_conflicts=True,
        )
        WebhookEvent.objects.filter(pk__in=[r[0] for r in rows]).update(body=b"", headers={}, traceback="")
    return len(rows)


def _webhook_candidates(*, now: dt.datetime, days: int | None) -> list[int]:
    qs = WebhookEvent.objects.filter(status__in=SETTLED_WEBHOOK_STATUSES, body_digest__isnull=True)
    if days is None:
        # Deliveries no integration claimed (unknown id, wrong secret): the default window.
        qs = qs.filter(
            integration__isnull=True, received_at__lt=now - dt.timedelta(days=settings.RETENTION_DAYS_DEFAULT)
        )
    else:
        qs = qs.filter(
            integration__workspace__retention_days=days, received_at__lt=now - dt.timedelta(days=days)
        )
    return list(qs.order_by("pk").values_list("pk", flat=True)[:WEBHOOK_CHUNK])


def _answer_candidates(*, now: dt.datetime, days: int) -> list[int]:
    finished = AssessmentRun.objects.filter(
        status__in=TERMINAL_STATUSES, workspace__retention_days=days
    ).annotate(finished=Coalesce("delivered_at", "scored_at", "cancelled_at", "expired_at", "updated_at"))
    runs = finished.filter(finished__lt=now - dt.timedelta(days=days)).values("pk")
    return list(Answer.objects.filter(run__in=runs).values_list("pk", flat=True)[:ROW_CHUNK])


def retention_purge(
    *, now: dt.datetime | None = None, time_budget_seconds: float = 30.0
) -> RetentionSweep | None:
    """One bounded pass of the retention policy. Returns the sweep record (None when another
    sweep is still running)."""
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, timeout=int(time_budget_seconds) + 120):
        logger.info("retention.skipped_running")
        return None
    try:
        return _purge(now=now or timezone.now(), deadline=time.monotonic() + time_budget_seconds)
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _purge(*, now: dt.datetime, deadline: float) -> RetentionSweep:
    sweep = RetentionSweep.objects.create(started_at=now)
    periods: list[int] = sorted(set(Workspace.objects.values_list("retention_days", flat=True)))
    out_of_time = False

    windows: list[int | None] = [*periods, None]
    for days in windows:
        while not (out_of_time := time.monotonic() > deadline):
            ids = _webhook_candidates(now=now, days=days)
            if not ids:
                break
            sweep.webhook_bodies += webhook_bodies_purge(event_ids=ids)
        if out_of_time:
            break

    while not out_of_time and not (out_of_time := time.monotonic() > deadline):
        purged = assessment_runs_purge(now=now)
        sweep.runs += purged
        if not purged:
            break

    for days in periods:
        if out_of_time:
            break
        while not (out_of_time := time.monotonic() > deadline):
            ids = _answer_candidates(now=now, days=days)
            if not ids:
                break
            sweep.answers += Answer.objects.filter(pk__in=ids).delete()[0]

    sweep.complete = not out_of_time
    sweep.finished_at = timezone.now()
    sweep.save()
    if sweep.webhook_bodies or sweep.runs or sweep.answers:
        audit_record(
            action="retention.purged",
            message=(
                f"Retention purge: {sweep.webhook_bodies} webhook bodies, {sweep.runs} finished runs and "
                f"{sweep.answers} answers past their workspace's window deleted."
            ),
            actor_label="system",
            data={"webhook_bodies": sweep.webhook_bodies, "runs": sweep.runs, "answers": sweep.answers},
        )
    logger.info(
        "retention.purged",
        extra={"webhook_bodies": sweep.webhook_bodies, "runs": sweep.runs, "answers": sweep.answers},
    )
    return sweep
