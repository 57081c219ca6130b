"""The webhook inbox (STYLE.md §3): store, dedupe, enqueue; process in a task. (Receiving and
verifying a delivery: webhook_intake.py.)

Intake costs one durable commit: the row is written once, already carrying its outcome
(rejected with a reason, duplicate, or verified). After the commit the intake nudges a drain, which processes fresh
events in batches ("Draining the inbox" below); `webhook_event_sweep` re-enqueues any row a crash
left behind. The response is sent only after the commit."""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, UniqueConstraint
from django.utils import timezone

from integrations.base import (
    ATSAuthError,
    ATSError,
    ATSPermissionError,
    WebhookContext,
    backoff_delay,
)
from integrations.models import WebhookEvent, WebhookStatus
from integrations.services.group_insert import GroupInsert

logger = logging.getLogger(__name__)

# What no text column can hold: NUL (PostgreSQL refuses it in text and jsonb) and lone UTF-16
# surrogates, which JSON may spell ("\ud800") and json.loads returns as is, but which no UTF-8
# encoder accepts. A UTF-8 body can carry them only as \u escapes (raw, they are not valid JSON
# or UTF-8): the cheap probe finds those, and only then is the payload walked.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _enqueue(event_id: int) -> None:
    from jobcannon.core.queue import enqueue

    enqueue(
        PROCESS_TASK,
        event_id,
        task_name=f"webhook-{event_id}",
        group="webhooks",
    )


def _store_verified(event: WebhookEvent) -> bool:
    """Insert a verified event and get it processed; False when it is a duplicate.

    One durable commit either way: with the ORM broker the event row and the drain's nudge share
    one transaction; with Redis (autocommit) the INSERT is a single-statement transaction,
    acknowledged only after it returns, then the drain is nudged — a crash in between leaves a
    VERIFIED row that `webhook_event_sweep` re-enqueues."""
    event.dedupe_key = event.external_id or None
    event.status = WebhookStatus.VERIFIED
    event.enqueued_at = timezone.now()
    if settings.QUEUE_IN_DATABASE:
        with transaction.atomic():
            if not _insert_unless_duplicate(event):
                _store_duplicate(event)
                return False
            _nudge_or_leave_to_sweep(event.pk, savepoint=True)
        return True
    if not _insert_unless_duplicate(event):
        _store_duplicate(event)
        return False
    event_pk: int = event.pk
    # At once, unless a caller's transaction is open.
    transaction.on_commit(lambda: _nudge_or_leave_to_sweep(event_pk, savepoint=False))
    return True


def _nudge_or_leave_to_sweep(event_pk: int, *, savepoint: bool) -> None:
    """The nudge only makes processing prompt; the committed VERIFIED row is what guarantees it
    (`webhook_event_sweep` enqueues it). So a cache or broker that is down (Redis unreachable, no
    cache table) must not fail the delivery: its row is, or will be, committed. In the ORM
    broker's transaction the nudge runs in a savepoint, so a failed statement (PostgreSQL aborts
    the transaction on any error) takes only the nudge back, never the event's row."""
    try:
        if savepoint:
            with transaction.atomic():
                _nudge(event_pk)
        else:
            _nudge(event_pk)
    except Exception as exc:  # noqa: BLE001 - any cache/broker failure: the sweep takes over
        logger.warning("webhook.nudge_failed", extra={"event": event_pk, "error_class": type(exc).__name__})


_insert_sql_cache: dict[str, tuple[str, tuple]] = {}
# Columns whose Python value (str, int, bool or None) is already what the database adapter takes:
# their values skip the per-field prep. Dates, JSON, bytes and addresses always go through it.
_PLAIN_FIELD_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "BooleanField",
        "IntegerField",
        "SmallIntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "ForeignKey",
    }
)
_PLAIN_VALUES = (str, int, bool)


def _insert_sql(connection) -> tuple[str, tuple]:
    cached = _insert_sql_cache.get(connection.vendor)
    if cached:
        return cached
    fields = tuple(
        (f, f.get_internal_type() in _PLAIN_FIELD_TYPES)
        for f in WebhookEvent._meta.concrete_fields
        if not f.primary_key
    )
    sql = _insert_statement(connection, 1, returning=(str(WebhookEvent._meta.pk.column),))
    _insert_sql_cache[connection.vendor] = (sql, fields)
    return sql, fields


def _insert_statement(connection, rows: int, *, returning: tuple[str, ...]) -> str:
    """`INSERT INTO webhookevent (…) VALUES (…)[, (…)…] ON CONFLICT (<dedupe constraint>) DO
    NOTHING RETURNING …`, built from the model's fields (so a new column needs no change here)."""
    quote = connection.ops.quote_name
    fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
    table = quote(WebhookEvent._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    by_name = {f.name: f for f in fields}
    conflict = ", ".join(quote(by_name[name].column) for name in _dedupe_fields())
    return (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)} "  # noqa: S608 - quoted model identifiers
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {', '.join(quote(c) for c in returning)}"
    )


def _group_statement(connection, rows: int) -> str:
    return _insert_statement(connection, rows, returning=("id", "integration_id", "dedupe_key"))


# Threaded servers: deliveries arriving together share one INSERT and one commit (group_insert.py).
_group_insert = GroupInsert(_group_statement)


def _dedupe_fields() -> tuple[str, ...]:
    """The fields of the dedupe constraint: the ON CONFLICT target."""
    for constraint in WebhookEvent._meta.constraints:
        if (
            isinstance(constraint, UniqueConstraint)
            and constraint.name == "uniq_webhook_event_per_integration"
        ):
            return tuple(constraint.fields)
    raise LookupError("WebhookEvent lost its dedupe constraint uniq_webhook_event_per_integration")


def _insert_unless_duplicate(event: WebhookEvent) -> bool:
    """`INSERT … ON CONFLICT (integration_id, dedupe_key) DO NOTHING RETURNING id`: the dedupe is
    the unique constraint, answered by the INSERT itself (no exception, no savepoint; PostgreSQL
    and SQLite ≥ 3.35). The statement is built once per process from the model's fields and the
    values go through each field's own `get_db_prep_save`, as Model.save() does: compiling a
    20-column INSERT on every delivery was a third of the intake's CPU (benchmarks/README.md)."""
    connection = transaction.get_connection()
    sql, fields = _insert_sql(connection)
    params = []
    for f, plain in fields:
        value = getattr(event, f.attname)
        if not (plain and (value is None or type(value) in _PLAIN_VALUES)):
            value = f.get_db_prep_save(f.pre_save(event, True), connection)
        params.append(value)
    pk: int | None = None
    grouped = settings.WEBHOOK_GROUP_COMMIT and event.dedupe_key and not connection.in_atomic_block
    try:
        if not grouped:
            raise GroupInsert.Fallback
        pk = _group_insert.insert(params, (event.integration_id, event.dedupe_key))
    except GroupInsert.Fallback:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        pk = row[0] if row else None
    if pk is None:
        return False
    event.pk = pk
    event._state.adding = False
    event._state.db = connection.alias
    return True


def _store_duplicate(event: WebhookEvent) -> None:
    """The same event again (vendor retry, or a concurrent delivery racing this one)."""
    event.pk = None
    event.dedupe_key = None
    event.enqueued_at = None
    event.status = WebhookStatus.DUPLICATE
    event.duplicate_of = WebhookEvent.objects.filter(
        integration=event.integration, dedupe_key=event.external_id
    ).first()
    event.save()


class WebhookHandlerError(Exception):
    pass


PROCESSABLE = (WebhookStatus.VERIFIED, WebhookStatus.FAILED)
# The queue's entry points are defined in this module (end of file), so the names it enqueues
# point at itself, not up at integrations.tasks (which re-exports them under their old names).
PROCESS_TASK = f"{__name__}.webhook_event_process_task"


class _HandlerFailed(Exception):
    """Rolls the processing transaction back (the handler's writes with it)."""


def webhook_event_process(*, event_id: int) -> WebhookEvent | None:
    """Process one stored event exactly once, however often its task is delivered.

    1. Claim: one conditional UPDATE (verified/failed → processing, attempts + 1, a fresh claim
       token), committed on its own. A second worker finds nothing to claim. A worker killed
       after this leaves a processing row the sweep returns (and counts: poison detection).
    2. Process (`_process_claimed`): in one transaction holding the row lock, re-check the claim,
       run the handler, record the outcome. The handler's writes and "processed" commit
       together, so a crash leaves neither. A failure rolls that transaction back (the handler's
       writes and the refreshes it queued on commit go with it; no savepoint per event), then
       keeps error + traceback on the row, if still ours, and schedules a retry with backoff, so
       it is retried even though the vendor's own redelivery would be deduped.

    Fresh deliveries are processed in batches by the drain (`webhook_event_drain`) with the
    same outcome; this path serves retries, the sweep, staff replays and a batch's fallback."""
    token = uuid.uuid4().hex
    claimed = WebhookEvent.objects.filter(pk=event_id, status__in=PROCESSABLE).update(
        status=WebhookStatus.PROCESSING,
        claim_token=token,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return WebhookEvent.objects.filter(pk=event_id).first()
    return _process_claimed(event_id, token)


def _process_claimed(event_id: int, token: str) -> WebhookEvent | None:
    failure: tuple[Exception, str] | None = None
    try:
        with transaction.atomic():
            event = _claimed_event(event_id, token)
            if event is None:  # the sweep took the row back (lease expired): its new owner processes it
                return WebhookEvent.objects.filter(pk=event_id).first()
            try:
                _handle(event)
            except Exception as exc:  # noqa: BLE001 - any handler failure is recorded and retried
                failure = (exc, traceback.format_exc())
                raise _HandlerFailed from exc
            event.save(update_fields=["status", "processed_at", "error", "next_attempt_at", "claim_token"])
            return event
    except _HandlerFailed:
        assert failure is not None
    with transaction.atomic():
        event = _claimed_event(event_id, token)
        if event is None:  # taken back by the sweep meanwhile: its new owner retries it
            return WebhookEvent.objects.filter(pk=event_id).first()
        event.claim_token = ""
        _record_handler_failure(event, *failure)
        return event


def _handle(event: WebhookEvent) -> None:
    """Run the provider's handler for a claimed event and set its outcome on the instance
    (processed, ignored or unsupported; the caller saves it). Raises what the handler raises."""
    from integrations.registry import get_provider

    provider = get_provider(event.provider)
    handler = provider.event_handlers.get(event.event_type)
    event.claim_token = ""
    event.error = ""
    event.next_attempt_at = None
    if handler is None:
        event.status = (
            WebhookStatus.IGNORED
            if event.event_type in provider.ignored_events
            else WebhookStatus.UNSUPPORTED
        )
        event.processed_at = timezone.now()
        return
    # Only verified events (always with an integration) get here.
    assert event.integration is not None
    payload = _payload(bytes(event.body))
    handler(WebhookContext(event=event, integration=event.integration, payload=payload, provider=provider))
    event.status = WebhookStatus.PROCESSED
    event.processed_at = timezone.now()


def _payload(body: bytes) -> Any:
    """The parsed body as every handler receives it: characters a database cannot store are
    replaced by U+FFFD here, once, so no handler (nor the sync writes behind it) fails on them,
    and such an event is processed instead of retried until dead. The raw body keeps the bytes
    the vendor signed."""
    payload = json.loads(body)
    # json.loads also reads UTF-16/32 bodies, whose escapes the byte probe cannot see: walk those.
    utf8 = json.detect_encoding(body).startswith("utf-8")
    return _storable(payload) if not utf8 or _UNSTORABLE_ESCAPE.search(body) else payload


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _claimed_event(event_id: int, token: str) -> WebhookEvent | None:
    """The event, locked, if our claim still holds."""
    return _claimed_events([event_id], token)[0]


def _claimed_events(event_ids: list[int], token: str) -> list[WebhookEvent | None]:
    """The events, locked, whose claim we still hold (None for the others), in the given order.
    Only the event rows are locked (of=self): FOR UPDATE cannot reach the nullable integration
    join."""
    found = {
        event.pk: event
        for event in WebhookEvent.objects.select_for_update(of=("self",))
        .select_related("integration", "integration__workspace")
        .filter(pk__in=event_ids, status=WebhookStatus.PROCESSING, claim_token=token)
    }
    return [found.get(pk) for pk in event_ids]


# --- Draining the inbox: fresh deliveries in batches ---------------------------------------------
#
# The intake does not enqueue one task per delivery: it nudges a drain (`_nudge`: one Redis
# SET NX, and a task only when no drain of that slot is waiting or running). A drain claims the
# oldest verified events in batches (FOR UPDATE SKIP LOCKED: drains on several workers and
# machines never claim one row twice) and processes each batch in one transaction: one claim, one
# locked read, the handlers (the synced records they receive written once per batch:
# integrations/sync/refresh.py sync_records_batch), one UPDATE per outcome. Any failure rolls the
# batch back and its events go through the one-event path, which records each one's own error
# and retry. No wake-up is lost: the intake's event is committed before a drain can release the
# slot it found held (Redis: it nudges after its commit; ORM broker: it holds the slot's row
# lock until its commit), and a drain releases its slot before its last look at the inbox; so
# either the nudge finds the slot free and starts a drain, or the drain holding it sees the
# event. A lost drain task (broker restart) is covered by the nudge's expiry and the sweep.

DRAIN_TASK = f"{__name__}.webhook_event_drain_task"


def _drain_key(slot: int) -> str:
    return f"webhooks:drain:{slot}"


def _nudge(event_id: int) -> None:
    from django.core.cache import cache

    slot = event_id % max(1, settings.WEBHOOK_DRAIN_SLOTS)
    key, ttl = _drain_key(slot), settings.WEBHOOK_DRAIN_NUDGE_SECONDS
    for _ in range(3):
        if cache.add(key, 1, timeout=ttl):
            from jobcannon.core.queue import enqueue

            enqueue(DRAIN_TASK, slot, task_name=f"webhook-drain-{slot}-{event_id}", group="webhooks")
            return
        # Held by a drain. With Redis this runs after our commit: the drain sees the event.
        # With the ORM broker (the database cache, in our transaction) it runs before: touching
        # the slot's row locks it until we commit, so a drain releasing the slot waits for our
        # commit and its last look sees the event.
        if not settings.QUEUE_IN_DATABASE or cache.touch(key, timeout=ttl):
            return
    logger.warning("webhook.nudge_contended", extra={"slot": slot})  # the sweep will enqueue it


def webhook_event_drain(*, slot: int, budget: float | None = None) -> list[WebhookEvent]:
    """Process verified events in batches until none is left or the time budget is spent (then
    a fresh drain task takes over). Returns the events processed (for metrics)."""
    from django.core.cache import cache

    budget = settings.WEBHOOK_DRAIN_SECONDS if budget is None else budget
    deadline = time.monotonic() + budget
    done: list[WebhookEvent] = []
    try:
        while True:
            batch = webhook_event_process_batch(limit=settings.WEBHOOK_DRAIN_BATCH)
            done += batch
            if not batch or time.monotonic() >= deadline:
                break
            if len(batch) < settings.WEBHOOK_DRAIN_BATCH:
                # A trickle: let the next batch gather for a moment (a batch's fixed cost is
                # ~10 statements; spread over one event each it was most of the work).
                time.sleep(settings.WEBHOOK_DRAIN_LINGER_SECONDS)
    finally:
        cache.delete(_drain_key(slot))
    # Whatever an intake committed while it found this slot's nudge still held is seen now.
    last = webhook_event_process_batch(limit=settings.WEBHOOK_DRAIN_BATCH)
    if last:
        done += last
        _nudge(slot)  # maybe more: a fresh drain (or the one an intake just started) goes on
    return done


def webhook_event_process_batch(*, limit: int) -> list[WebhookEvent]:
    """Claim up to `limit` of the oldest verified events and process them in one transaction;
    if anything fails, each goes through the one-event path instead. Returns them processed."""
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookStatus.VERIFIED)
            .order_by("received_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        WebhookEvent.objects.filter(pk__in=ids, status=WebhookStatus.VERIFIED).update(
            status=WebhookStatus.PROCESSING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    try:
        return _process_claimed_batch(ids, token)
    except Exception as exc:  # noqa: BLE001 - one event's failure must not cost the others: one by one
        logger.info("webhook.batch_fallback", extra={"count": len(ids), "error_class": type(exc).__name__})
    return [event for event in (_process_claimed(pk, token) for pk in ids) if event is not None]


def _process_claimed_batch(ids: list[int], token: str) -> list[WebhookEvent]:
    from integrations.services.hooks import webhook_batch
    from jobcannon.core.logging import bind_log_context, log_context, set_log_context

    outer = log_context()
    with transaction.atomic():
        events = [event for event in _claimed_events(ids, token) if event is not None]
        with webhook_batch():  # integrations.sync: sync_records_batch
            for event in events:
                bind_log_context(request_id=event.request_id)  # its lines carry its intake's id
                try:
                    _handle(event)
                finally:
                    set_log_context(outer)
        by_status: dict[str, list[int]] = {}
        for event in events:
            by_status.setdefault(event.status, []).append(event.pk)
        now = timezone.now()
        for status, pks in by_status.items():
            WebhookEvent.objects.filter(pk__in=pks, claim_token=token).update(
                status=status, processed_at=now, error="", next_attempt_at=None, claim_token=""
            )
    return events


def _record_handler_failure(event: WebhookEvent, exc: Exception, trace: str) -> None:
    from integrations.services.status import integration_mark_needs_reauth

    event.error = _describe(exc)
    event.traceback = trace[-20000:]
    retryable = not isinstance(exc, ATSError) or exc.retryable or isinstance(exc, WebhookHandlerError)
    if isinstance(exc, ATSAuthError | ATSPermissionError) and event.integration is not None:
        # The customer must re-authorize; a staff replay after that processes the event.
        integration_mark_needs_reauth(integration=event.integration, reason=exc.message)
    if event.attempts < settings.WEBHOOK_PROCESS_MAX_ATTEMPTS and retryable:
        event.status = WebhookStatus.FAILED
        delay = backoff_delay(event.attempts, getattr(exc, "retry_after", None))
        event.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        _schedule_retry(event.pk, event.next_attempt_at)
    else:
        event.status = WebhookStatus.DEAD
        event.next_attempt_at = None
    event.save(update_fields=["status", "error", "traceback", "next_attempt_at", "claim_token"])
    logger.warning("webhook.process_failed", extra={"event": event.pk, "error_class": type(exc).__name__})


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"[:2000]


def _schedule_retry(event_id: int, when) -> None:
    from integrations.services.queue import queue_schedule_retry

    # One pending retry schedule per event, whatever happens (no pile of ONCE schedules).
    queue_schedule_retry(name=f"webhook-retry:{event_id}", func=PROCESS_TASK, arg=event_id, when=when)


def webhook_event_reprocess(*, event: WebhookEvent) -> bool:
    """Staff action: put a failed/dead/unsupported event back on the queue."""
    if (
        event.status
        not in (
            WebhookStatus.FAILED,
            WebhookStatus.DEAD,
            WebhookStatus.UNSUPPORTED,
            WebhookStatus.PROCESSED,
            WebhookStatus.IGNORED,
        )
        or not event.verified
    ):
        return False
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=WebhookStatus.VERIFIED, next_attempt_at=None, enqueued_at=timezone.now()
    )
    transaction.on_commit(lambda: _enqueue(event.pk))
    from integrations.services.hooks import replay_announce  # audit log (issue 11)

    replay_announce(target=event)
    return True


def webhook_event_reopen(*, event: WebhookEvent, duplicate: WebhookEvent | None = None) -> bool:
    """The vendor resent an event we gave up processing (dead): put it back on the queue, with a
    fresh budget of attempts, instead of answering its retry as a duplicate that is never
    processed (the vendor would stop retrying and the event would be lost). The provider decides
    when (`ATSProvider.webhook_duplicate_response` returns "reopen"; Lever: README.md, "Retries
    and replays"). False when there is nothing to reopen: no longer dead (a concurrent retry
    reopened it first), or its body was purged by retention (nothing left to process).

    One conditional UPDATE, so concurrent retries reopen it once. The crash count is kept: a
    poison event (one that kills workers) gets one more try per vendor retry, not a full budget."""
    from integrations.services.activity import activity_log

    with transaction.atomic():
        reopened = (
            WebhookEvent.objects.filter(pk=event.pk, status=WebhookStatus.DEAD, verified=True)
            .exclude(body=b"")
            .update(
                status=WebhookStatus.VERIFIED,
                attempts=0,
                next_attempt_at=None,
                enqueued_at=timezone.now(),
                claim_token="",
            )
        )
        if not reopened:
            return False
        if duplicate is not None and duplicate.pk is not None:
            duplicate.rejection_reason = (
                f"Resent by {event.provider} after we gave up processing delivery {event.pk}: that delivery was "
                "queued again (processed once, as that delivery)."
            )
            WebhookEvent.objects.filter(pk=duplicate.pk).update(rejection_reason=duplicate.rejection_reason)
        if event.integration is not None:
            activity_log(
                integration=event.integration,
                kind="webhook.reopened",
                message=(
                    f"{event.event_type or 'A webhook event'} (delivery {event.pk}) had failed for good; "
                    f"{event.provider} resent it, so it is queued again. Last error: {event.error[:300] or 'none recorded'}"
                ),
                data={"event": event.pk, "retry": duplicate.pk if duplicate is not None else None},
            )
        logger.info("webhook.reopened", extra={"event": event.pk, "provider": event.provider})
        event_pk: int = event.pk
        transaction.on_commit(lambda: _enqueue(event_pk))
    event.status = WebhookStatus.VERIFIED
    event.attempts = 0
    event.next_attempt_at = None
    return True


def webhook_event_sweep(*, older_than_seconds: int = 120, room: int | None = None) -> int:
    """Find work a crash orphaned and put it back on the queue (run by the scheduler; harmless
    when there is nothing to do), at most `room` tasks (backpressure):

    - processing rows whose worker died (claim older than WORKER_LEASE_SECONDS): counted as a
      crash and retried now, or dead-lettered as poison after WEBHOOK_POISON_CRASHES crashes;
    - verified rows never processed (a crash between commit and the Redis push);
    - failed rows whose retry is overdue (a lost retry schedule)."""
    now = timezone.now()
    room = 500 if room is None else room
    recovered = _recover_stale_processing(now=now)
    cutoff = now - timedelta(seconds=older_than_seconds)
    ids = list(
        WebhookEvent.objects.filter(
            Q(status=WebhookStatus.VERIFIED, enqueued_at__lt=cutoff)
            | Q(status=WebhookStatus.FAILED, next_attempt_at__lt=now - timedelta(minutes=1))
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[: max(0, room)]
    )
    for pk in ids:
        WebhookEvent.objects.filter(pk=pk, status__in=PROCESSABLE).update(enqueued_at=now)
        _enqueue(pk)
    return len(ids) + recovered


def _recover_stale_processing(*, now) -> int:
    lease = timedelta(seconds=settings.WORKER_LEASE_SECONDS)
    recovered = 0
    with transaction.atomic():
        # skip_locked (PostgreSQL): a row whose worker is inside its processing transaction holds
        # the row lock and is alive, however long it takes; only unlocked rows are orphans.
        stale = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookStatus.PROCESSING, claimed_at__lte=now - lease)
            .only("pk", "attempts", "crash_count")[:500]
        )
        for event in stale:
            crashes = event.crash_count + 1
            poison = (
                crashes >= settings.WEBHOOK_POISON_CRASHES
                or event.attempts >= settings.WEBHOOK_PROCESS_MAX_ATTEMPTS
            )
            WebhookEvent.objects.filter(pk=event.pk, status=WebhookStatus.PROCESSING).update(
                status=WebhookStatus.DEAD if poison else WebhookStatus.FAILED,
                crash_count=crashes,
                claim_token="",
                next_attempt_at=None if poison else now,
                error=(
                    f"The worker stopped {crashes} time(s) while processing this event: dead-lettered as poison."
                    if poison
                    else "The worker stopped while processing this event; retrying."
                ),
            )
            recovered += 1
    if recovered:
        logger.warning("webhook.recovered_stale", extra={"count": recovered})
    return recovered


# --- Queue entry points ----------------------------------------------------------------------------
# django-q2 runs these by the dotted names above (PROCESS_TASK, DRAIN_TASK). Until issue 22 they
# lived in integrations.tasks, which a service cannot import (it sits above the services): tasks
# already in a broker and retry Schedule rows written before carry those old names, so
# integrations.tasks re-exports both and they still resolve.

# In a worker, a handler's ATS call refused by our own limiter waits this long for a slot before
# the event is retried later: a burst drains at the vendor's rate.
WORKER_RATE_LIMIT_PATIENCE = 5.0


def webhook_event_process_task(event_id: int) -> None:
    from integrations.observability import webhook_processed
    from integrations.services.ratelimit import rate_limit_patience

    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        webhook_processed(webhook_event_process(event_id=event_id))


def webhook_event_drain_task(slot: int) -> int:
    """Fresh deliveries, in batches (nudged by the intake: at most one waiting or running per slot)."""
    from integrations.observability import webhook_processed
    from integrations.services.ratelimit import rate_limit_patience

    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        events = webhook_event_drain(slot=slot)
    for event in events:
        webhook_processed(event)
    return len(events)
