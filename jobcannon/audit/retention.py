"""Retention as a policy: each workspace's window (Workspace.retention_days, 90 by default as the
seeds say). After it, raw webhook bodies and headers are deleted while the event row (status,
type, ids, reasons) and a SHA-256 + size of the body stay for the logs; finished runs go through
the assessments app's own purge (answers, result, candidate data); answers of a run still held
back by an in-flight write-back are deleted on their own; rejected-partner-call log rows, spent
reconnect links and spent workspace invitations go too (retention_logs.py). Rejected deliveries
no integration claimed (junk on the seeds' shared route that matched no secret, made-up
integration ids) are deleted, row and body, after WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS: no
customer's log shows them, and at the rate rejected rows may be stored
(WEBHOOK_REJECTED_STORE_BUDGET, 16 KiB each) 90 days of them were ~1.4 GB a day per provider.
Rejected deliveries an integration claimed but that did not verify (a wrong or stale secret, or
anyone's junk sent to the integration's own URL, which is no secret) are deleted, row and body,
after WEBHOOK_REJECTED_RETENTION_DAYS: they kept their body for the workspace's window and the row
for ever, so whoever knew one URL could keep writing into that customer's log (issue 21). Until
then the row says why it was rejected; a shorter workspace window takes the body first, as for any
settled row. Verified deliveries, signed but malformed ones included, follow the workspace window.

It never blocks intake: everything runs in chunks, each its own short transaction touching only
old rows, under a time budget; what is left is picked up by the next scheduled run."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BinaryField, CharField, Func, IntegerField, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import Answer, AssessmentRun
from assessments.services.lifecycle import TERMINAL_STATUSES, assessment_runs_purge
from integrations.models import WebhookEvent, WebhookStatus
from jobcannon.audit.models import PurgeReason, RetentionSweep, WebhookBodyDigest
from jobcannon.audit.retention_logs import SPENT_ROWS, log_lines_purge, spent_rows_purge
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
# The sweep walks the table by primary key, WEBHOOK_RANGE ids at a time: each step reads only its
# own ids, so it costs the same at the end of a million rows as at the start (re-selecting "the
# first N not yet purged" re-read every purged row each time: quadratic). A step is one short
# transaction on PostgreSQL, where the bodies never leave the server.
WEBHOOK_RANGE = 5_000
WEBHOOK_CHUNK = 100  # other databases: bodies are up to 1 MiB each and a chunk is read into memory
# After each step the sweep sleeps this fraction of the step's duration, so a busy server (slower
# steps) gets proportionally longer breaks. On 2 cores that intake alone keeps busy, the purge's
# CPU is taken from intake (benchmarks section 6, a million rows, threaded web workers): at 0.5
# intake kept 84–95 % of its rate and the purge took 47–49 s; at 0.75 84–93 % but 49–60+ s; at
# 1.0 86–90 % and 58–60 s; at 0.1 (sync workers) 52–60 % and 27 s. Production sweeps are bounded
# to 30 s each anyway; a sweep out of time resumes where it stopped.
WEBHOOK_YIELD = 0.5
ROW_CHUNK = 500
LOCK_KEY = "jobcannon:retention-purge"
RESUME_KEY = "jobcannon:retention-purge:webhooks-after"
RESUME_SECONDS = 24 * 3600


def webhook_bodies_purge(*, event_ids: Iterable[int], reason: str = PurgeReason.RETENTION) -> int:
    """Replace the raw body and headers of these events by their digest. Idempotent."""
    ids = list(event_ids)
    if not ids:
        return 0
    events = WebhookEvent.objects.filter(pk__in=ids)
    if connection.vendor == "postgresql":
        return _bodies_purge_in_sql(events=events, reason=reason)
    return _bodies_purge_in_python(events=events, reason=reason)


def _bodies_purge_in_python(*, events: QuerySet[WebhookEvent], reason: str) -> int:
    now = timezone.now()
    with transaction.atomic():
        rows = list(events.filter(body_digest__isnull=True).values_list("pk", "body", "headers"))
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


# The Python path's digest, computed by PostgreSQL: SHA-256 hex of the body bytes, their length,
# and len(headers or {}) (keys of an object, items of an array).
_DIGEST = {
    "sha256": Func(
        Func("body", function="sha256", output_field=BinaryField()),
        Value("hex"),
        function="encode",
        output_field=CharField(),
    ),
    "size": Func("body", function="octet_length", output_field=IntegerField()),
    "header_count": Func(
        "headers",
        template="""CASE jsonb_typeof(%(expressions)s)
            WHEN 'object' THEN (SELECT count(*) FROM jsonb_object_keys(%(expressions)s))
            WHEN 'array' THEN jsonb_array_length(%(expressions)s)
            WHEN 'string' THEN char_length(%(expressions)s #>> '{}')
            ELSE 0 END""",
        output_field=IntegerField(),
    ),
}


def _bodies_purge_in_sql(*, events: QuerySet[WebhookEvent], reason: str, settled_only: bool = False) -> int:
    """PostgreSQL: one statement, so no body travels to Python. The UPDATE comes first and
    re-checks the status on the row it locks (a staff reprocess committed meanwhile keeps its
    body); the digest is then written for exactly the rows it emptied, hashed as the statement's
    snapshot saw them. A digest written concurrently (privacy request) wins: ON CONFLICT."""
    old = events.filter(body_digest__isnull=True).order_by().annotate(**_DIGEST)
    picked, params = old.values_list("pk", *_DIGEST).query.sql_with_params()
    table = WebhookEvent._meta.db_table
    recheck = ""
    if settled_only:
        recheck = "AND e.status IN (" + ", ".join(["%s"] * len(SETTLED_WEBHOOK_STATUSES)) + ")"
        params = (*params, *SETTLED_WEBHOOK_STATUSES)
    # Only table names and the ORM's own compiled SQL are interpolated; every value is a parameter.
    sql = f"""
        WITH old (id, sha256, size, header_count) AS ({picked}),
        emptied AS (
            UPDATE {table} e SET body = ''::bytea, headers = '{{}}'::jsonb, traceback = ''
            FROM old WHERE e.id = old.id {recheck}
            RETURNING e.id, old.sha256, old.size, old.header_count
        )
        INSERT INTO {WebhookBodyDigest._meta.db_table}
            (event_id, body_sha256, body_bytes, header_count, purged_at, reason)
        SELECT id, sha256, size, header_count, %s, %s FROM emptied
        ON CONFLICT (event_id) DO NOTHING"""  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, timezone.now(), reason])
        return cursor.rowcount


def _eligible_webhooks(*, now: dt.datetime, periods: Iterable[int]) -> QuerySet[WebhookEvent]:
    """Settled events past their workspace's window, not purged yet; deliveries no integration
    claimed (unknown id, wrong secret) have the default window."""
    default = now - dt.timedelta(days=settings.RETENTION_DAYS_DEFAULT)
    past = Q(integration__isnull=True, received_at__lt=default)
    for days in periods:
        past |= Q(integration__workspace__retention_days=days, received_at__lt=now - dt.timedelta(days=days))
    return WebhookEvent.objects.filter(past, status__in=SETTLED_WEBHOOK_STATUSES, body_digest__isnull=True)


def _webhook_candidates(*, now: dt.datetime, days: int | None, after: int = 0) -> list[int]:
    """Ids of the next events (after the id `after`) the sweep purges in one step, for one window
    (None: the integration-less deliveries'). For inspection; the sweep covers every window at once."""
    eligible = _eligible_webhooks(now=now, periods=[] if days is None else [days])
    if days is not None:
        eligible = eligible.filter(integration__isnull=False)
    ids = eligible.filter(pk__gt=after, pk__lte=after + WEBHOOK_RANGE).order_by("pk")
    return list(ids.values_list("pk", flat=True))


def _webhooks_purge(*, now: dt.datetime, periods: list[int], deadline: float) -> tuple[int, bool]:
    """Walk the ids up to the newest at the start (newer rows are left to the next sweep), one
    range per step. Returns (bodies purged, finished before the deadline).

    A sweep out of time leaves the id it reached in the cache and the next one goes on from there
    rather than re-reading what was just done; the one after that starts from the first id again
    (rows below the mark that have since settled or aged past their window are purged then)."""
    eligible = _eligible_webhooks(now=now, periods=periods)
    top = WebhookEvent.objects.aggregate(top=Max("pk"))["top"] or 0
    in_sql = connection.vendor == "postgresql"
    purged = 0
    last = cache.get(RESUME_KEY) or 0
    while time.monotonic() <= deadline:
        # From the next id that exists: a gap in the ids (rows deleted with their integration) is
        # stepped over at once rather than range by empty range.
        first = WebhookEvent.objects.filter(pk__gt=last, pk__lte=top).aggregate(first=Min("pk"))["first"]
        if first is None:
            cache.delete(RESUME_KEY)
            return purged, True
        last = min(first - 1 + WEBHOOK_RANGE, top)
        step = eligible.filter(pk__gte=first, pk__lte=last)
        started = time.monotonic()
        if in_sql:
            purged += _bodies_purge_in_sql(events=step, reason=PurgeReason.RETENTION, settled_only=True)
        else:
            ids = list(step.order_by("pk").values_list("pk", flat=True))
            for i in range(0, len(ids), WEBHOOK_CHUNK):
                purged += webhook_bodies_purge(event_ids=ids[i : i + WEBHOOK_CHUNK])
        pause = (time.monotonic() - started) * WEBHOOK_YIELD
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
    if last:
        cache.set(RESUME_KEY, last, timeout=RESUME_SECONDS)
    return purged, False


def _unmatched_rejected_purge(*, now: dt.datetime, deadline: float) -> tuple[int, bool]:
    """Delete rejected deliveries no integration claimed once older than
    WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS, ROW_CHUNK at a time: (deleted, finished)."""
    cutoff = now - dt.timedelta(days=settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS)
    # The (status, received_at) index finds them; only rows with no integration qualify.
    return _rejected_rows_delete(
        WebhookEvent.objects.filter(
            status=WebhookStatus.REJECTED, received_at__lt=cutoff, integration__isnull=True
        ),
        deadline=deadline,
    )


def _unverified_rejected_purge(*, now: dt.datetime, deadline: float) -> tuple[int, bool]:
    """Delete rejected deliveries an integration claimed that did not verify once older than
    WEBHOOK_REJECTED_RETENTION_DAYS: (deleted, finished). A signed but malformed delivery
    (verified, rejected by the parser) is the ATS's own and keeps the workspace's window."""
    cutoff = now - dt.timedelta(days=settings.WEBHOOK_REJECTED_RETENTION_DAYS)
    return _rejected_rows_delete(
        WebhookEvent.objects.filter(
            status=WebhookStatus.REJECTED, received_at__lt=cutoff, integration__isnull=False, verified=False
        ),
        deadline=deadline,
    )


def _rejected_rows_delete(old: QuerySet[WebhookEvent], *, deadline: float) -> tuple[int, bool]:
    """Delete these rows (and so their bodies and any digest), ROW_CHUNK at a time."""
    deleted = 0
    while time.monotonic() <= deadline:
        ids = list(old.order_by().values_list("pk", flat=True)[:ROW_CHUNK])
        if not ids:
            return deleted, True
        deleted += WebhookEvent.objects.filter(pk__in=ids).delete()[1].get(WebhookEvent._meta.label, 0)
    return deleted, False


def _answer_candidates(*, now: dt.datetime, days: int, workspace: Workspace | None = None) -> list[int]:
    runs = AssessmentRun.objects.filter(status__in=TERMINAL_STATUSES, workspace__retention_days=days)
    if workspace is not None:
        runs = runs.filter(workspace=workspace)
    finished = runs.annotate(
        finished=Coalesce("delivered_at", "scored_at", "cancelled_at", "expired_at", "updated_at")
    )
    old = finished.filter(finished__lt=now - dt.timedelta(days=days)).values("pk")
    return list(Answer.objects.filter(run__in=old).values_list("pk", flat=True)[:ROW_CHUNK])


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


def _workspace_webhooks_purge(*, now: dt.datetime, workspace: Workspace, deadline: float) -> tuple[int, bool]:
    """One workspace's settled deliveries past its window, first ids first (a purge that a
    shortened window causes: no walk of the whole table)."""
    eligible = _eligible_webhooks(now=now, periods=[workspace.retention_days]).filter(
        integration__workspace=workspace
    )
    purged = 0
    while time.monotonic() <= deadline:
        ids = list(eligible.order_by("pk").values_list("pk", flat=True)[:WEBHOOK_CHUNK])
        if not ids:
            return purged, True
        if connection.vendor == "postgresql":
            step = WebhookEvent.objects.filter(pk__in=ids)
            purged += _bodies_purge_in_sql(events=step, reason=PurgeReason.RETENTION, settled_only=True)
        else:
            purged += webhook_bodies_purge(event_ids=ids)
    return purged, False


def _purge_steps(
    *, now: dt.datetime, deadline: float, workspace: Workspace | None = None
) -> tuple[dict[str, int], bool]:
    """Every part of the policy, for all workspaces or one: (counts, finished within the budget)."""
    if workspace is None:
        periods: list[int] = sorted(set(Workspace.objects.values_list("retention_days", flat=True)))
        bodies, finished = _webhooks_purge(now=now, periods=periods, deadline=deadline)
    else:
        periods = [workspace.retention_days]
        bodies, finished = _workspace_webhooks_purge(now=now, workspace=workspace, deadline=deadline)
    counts = {
        "webhook_bodies": bodies,
        "runs": 0,
        "answers": 0,
        "audit_events": 0,
        "activity_lines": 0,
        "reconnect_links": 0,
        "invitations": 0,
        "unmatched_webhooks": 0,  # the global sweep only: these rows have no workspace
        "rejected_webhooks": 0,  # the global sweep only, as the unmatched ones
    }
    out_of_time = not finished

    while not out_of_time and not (out_of_time := time.monotonic() > deadline):
        purged = assessment_runs_purge(now=now, workspace=workspace)
        counts["runs"] += purged
        if not purged:
            break

    for days in periods:
        if out_of_time:
            break
        while not (out_of_time := time.monotonic() > deadline):
            ids = _answer_candidates(now=now, days=days, workspace=workspace)
            if not ids:
                break
            counts["answers"] += Answer.objects.filter(pk__in=ids).delete()[0]

    if not out_of_time:
        counts["audit_events"], counts["activity_lines"], finished = log_lines_purge(
            now=now, periods=periods, deadline=deadline, workspace=workspace
        )
        out_of_time = not finished

    for name, spent_rows in SPENT_ROWS.items():
        if out_of_time:
            break
        counts[name], finished = spent_rows_purge(
            spent_rows, now=now, periods=periods, deadline=deadline, workspace=workspace
        )
        out_of_time = not finished

    if workspace is None and not out_of_time:
        # Last: junk, however much of it, never holds up the purge of candidate data above.
        counts["unmatched_webhooks"], finished = _unmatched_rejected_purge(now=now, deadline=deadline)
        out_of_time = not finished
    if workspace is None and not out_of_time:
        counts["rejected_webhooks"], finished = _unverified_rejected_purge(now=now, deadline=deadline)
        out_of_time = not finished
    return counts, not out_of_time


def _purge_message(counts: dict[str, int]) -> str:
    return (
        f"{counts['webhook_bodies']} webhook bodies, {counts['runs']} finished runs, {counts['answers']} "
        f"answers, {counts['audit_events'] + counts['activity_lines']} rejected-call log rows, "
        f"{counts['reconnect_links']} spent reconnect links and {counts['invitations']} spent invitations "
        "past the window deleted"
        + (
            f", and {counts['unmatched_webhooks']} rejected deliveries no integration claimed past "
            f"{settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS} days"
            if counts.get("unmatched_webhooks")
            else ""
        )
        + (
            f", and {counts['rejected_webhooks']} rejected deliveries that did not verify past "
            f"{settings.WEBHOOK_REJECTED_RETENTION_DAYS} days"
            if counts.get("rejected_webhooks")
            else ""
        )
    )


# Counts with no RetentionSweep column: the audit event and the log line say them.
_NO_COLUMN = frozenset({"unmatched_webhooks", "rejected_webhooks"})


def _purge(*, now: dt.datetime, deadline: float) -> RetentionSweep:
    sweep = RetentionSweep.objects.create(started_at=now)
    counts, sweep.complete = _purge_steps(now=now, deadline=deadline)
    for field, value in counts.items():
        if field not in _NO_COLUMN:
            setattr(sweep, field, value)
    sweep.finished_at = timezone.now()
    sweep.save()
    if any(counts.values()):
        audit_record(
            action="retention.purged",
            message=f"Retention purge: {_purge_message(counts)}.",
            actor_label="system",
            data=counts,
        )
    logger.info("retention.purged", extra=counts)
    return sweep


def _purge_audit(
    action: str,
    outcome: str,
    *,
    workspace: Workspace,
    requested_by: Any,
    previous_days: int | None,
    data: dict[str, Any],
) -> None:
    """The audit event of a window change's purge, with the workspace, the person and the change:
    "Retention purge[ after the window was shortened from X to Y days]" + `outcome`."""
    change = (
        f" after the window was shortened from {previous_days} to {workspace.retention_days} days"
        if previous_days is not None
        else ""
    )
    audit_record(
        action=action,
        message=f"Retention purge{change}{outcome}",
        workspace=workspace,
        target=workspace,
        actor=requested_by,
        data={**data, "from_days": previous_days, "to_days": workspace.retention_days},
    )


# The queue's entry point is defined in this module (end of file), so the name it schedules points
# at itself, not up at jobcannon.audit.tasks (which imports this module and re-exports it).
WORKSPACE_PURGE_TASK = f"{__name__}.retention_purge_workspace_task"
# A window change's purge that finds another purge of its workspace running is tried again
# this much later, at most DEFERRALS_MAX times (the lock expires after the budget + 120 s, so
# it is free by then unless purges keep following each other); after that the hourly sweep
# covers what is left, and the audit log says so.
DEFERRAL_SECONDS = 180
DEFERRALS_MAX = 5


def _purge_deferred(
    *, workspace: Workspace, requested_by: Any, previous_days: int | None, deferrals: int, now: dt.datetime
) -> None:
    """Audit that the purge of this window change waits, with the person who changed the window,
    and schedule it again (one pending schedule per workspace, person and change)."""
    from integrations.services.queue import queue_schedule_retry

    user_id = getattr(requested_by, "pk", None)
    retry = deferrals < DEFERRALS_MAX
    when = now + dt.timedelta(seconds=DEFERRAL_SECONDS)
    _purge_audit(
        "retention.purge_deferred",
        " waits: another purge of this workspace is running; "
        + (f"it runs again at {when:%Y-%m-%d %H:%M} UTC." if retry else "the hourly sweep takes it over."),
        workspace=workspace,
        requested_by=requested_by,
        previous_days=previous_days,
        data={"deferrals": deferrals + 1, "retry_at": when.isoformat() if retry else None},
    )
    if retry:
        queue_schedule_retry(
            name=f"retention-purge:{workspace.pk}:{user_id}:{previous_days}",
            func=WORKSPACE_PURGE_TASK,
            arg=(workspace.pk, user_id, previous_days, deferrals + 1),
            when=when,
        )


def retention_purge_for_workspace(
    *,
    workspace: Workspace,
    requested_by: Any = None,
    previous_days: int | None = None,
    now: dt.datetime | None = None,
    time_budget_seconds: float = 30.0,
    deferrals: int = 0,
) -> dict[str, int] | None:
    """The purge a change of the workspace's window causes, run at once for that workspace and
    audited with the workspace and the person who changed it (what the budget leaves is taken
    by the hourly sweep). When a purge of this workspace is already running: None, the deferral
    is audited with that person and the purge scheduled again (`_purge_deferred`), so the
    change's own purge is audited with them when it runs."""
    lock = f"{LOCK_KEY}:workspace:{workspace.pk}"
    token = uuid.uuid4().hex
    if not cache.add(lock, token, timeout=int(time_budget_seconds) + 120):
        _purge_deferred(
            workspace=workspace,
            requested_by=requested_by,
            previous_days=previous_days,
            deferrals=deferrals,
            now=timezone.now(),
        )
        return None
    try:
        counts, complete = _purge_steps(
            now=now or timezone.now(), deadline=time.monotonic() + time_budget_seconds, workspace=workspace
        )
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)
    _purge_audit(
        "retention.purged",
        f": {_purge_message(counts)}"
        + ("." if complete else "; the rest follows with the next hourly sweep."),
        workspace=workspace,
        requested_by=requested_by,
        previous_days=previous_days,
        data={**counts, "complete": complete},
    )
    return counts


# --- Queue entry point -----------------------------------------------------------------------------
# django-q2 runs it by WORKSPACE_PURGE_TASK. Until issue 22 it lived in jobcannon.audit.tasks,
# which imports this module: tasks already in a broker and deferral Schedule rows written before
# carry the old name, so jobcannon.audit.tasks re-exports it and it still resolves.


def retention_purge_workspace_task(
    workspace_id: int, user_id: int | None, previous_days: int, deferrals: int = 0
) -> int:
    """The purge a shortened retention window causes (jobcannon.workspaces.services); run again
    by a schedule when it found another purge of the workspace running (`deferrals`)."""
    from django.contrib.auth import get_user_model

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    counts = retention_purge_for_workspace(
        workspace=workspace, requested_by=user, previous_days=previous_days, deferrals=deferrals
    )
    return sum((counts or {}).values())
