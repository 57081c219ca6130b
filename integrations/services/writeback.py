"""The write-back outbox: never lose a result, never send it twice.

Assessments call `writeback_enqueue` inside the transaction that changes a run; the provider
decides which writes that event means (`on_run_event`); each becomes a row with an idempotency
key (a second enqueue of the same write is a no-op). `writeback_deliver` claims a row with one
conditional UPDATE (two workers never both send it), calls `provider.deliver` with the key bound
for clients whose ATS honours one, reads the write back where the ATS allows (`confirm`), and
applies the failure-class rules:

- 401 / invalid_grant → BaseClient already refreshed once and retried → needs_reauth, the row
  waits and is redelivered after re-authorization (`writeback_resume_after_reauth`)
- 403 → needs_reauth with the missing permission / scope named
- 429 → Retry-After, else backoff; 5xx / network → backoff 5s → 15s → 60s → 5m → … with jitter,
  until 72 h after the first attempt, then dead letter
- other 4xx / 404 → dead letter with the reason (409: read back first, it may already be there)
- timeout after sending, or a worker that died mid-call → halted (counted): the reconciler reads
  the ATS back and confirms, resends or hands it to a human. Never blindly resent.
- our own limiter refusing → rescheduled, not counted as an attempt"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.services.hooks import RunEvent  # noqa: F401 - the run event vocabulary; old import path kept
from integrations import observability
from integrations.base import (
    ATSAmbiguousError,
    ATSAuthError,
    ATSConflict,
    ATSError,
    ATSPermissionError,
    DeliveryResult,
    LocalRateLimited,
    backoff_delay,
    idempotency_key_bound,
    retry_at,
)
from integrations.models import (
    ActivityLevel,
    Integration,
    IntegrationStatus,
    Token,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import provider_for
from integrations.services.activity import activity_log
from integrations.services.queue import queue_enqueue, queue_enqueue_with_row, queue_schedule_retry
from integrations.services.status import integration_mark_needs_reauth
from jobcannon.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

# The queue's entry point is defined in this module (end of file), so the name it enqueues points
# at itself, not up at integrations.tasks (which re-exports it under its old name).
DELIVER_TASK = f"{__name__}.writeback_deliver_task"
CLAIMABLE = (WritebackStatus.PENDING, WritebackStatus.RETRYING)


class WritebackNotReplayable(ApplicationError):
    code = "writeback_not_replayable"
    status = 409


# --- enqueue ------------------------------------------------------------------------------------


def writeback_enqueue(*, run, event: str) -> list[WritebackMessage]:
    """Create the outbox rows a run event means for its ATS. Call inside the run's transaction:
    the rows commit with the result, or not at all."""
    integration = run.integration
    if integration is None or integration.status == IntegrationStatus.DISCONNECTED:
        return []
    kinds = provider_for(integration).on_run_event(integration, run, event)
    created = []
    for kind in kinds:
        key = f"{integration.pk}:{run.pk}:{kind}:{event}"
        message, was_created = WritebackMessage.objects.get_or_create(
            idempotency_key=key,
            defaults={"integration": integration, "run": run, "kind": kind, "event": event},
        )
        if was_created:
            queue_enqueue_with_row(
                DELIVER_TASK, message.pk, task_name=f"writeback-{message.pk}", group="writeback"
            )
            created.append(message)
    return created


# --- deliver ------------------------------------------------------------------------------------


def writeback_deliver(*, message_id: int) -> WritebackMessage | None:
    """Deliver one outbox row unless it is settled or another worker holds it. Safe to call any
    number of times for the same row (re-delivered tasks, sweeps): only the claim holder sends.
    Returns None when nothing was claimed or the claim was lost."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = WritebackMessage.objects.filter(pk=message_id, status__in=CLAIMABLE).update(
        status=WritebackStatus.DELIVERING,
        claim_token=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    message = WritebackMessage.objects.select_related("integration", "integration__workspace", "run").get(
        pk=message_id
    )
    integration = message.integration
    if integration.status == IntegrationStatus.DISCONNECTED:
        return _settle(
            message,
            token,
            status=WritebackStatus.CANCELLED,
            error="The integration was disconnected before this write-back was sent.",
        )
    if integration.status == IntegrationStatus.NEEDS_REAUTH:
        # Do not spend a call on credentials we know are refused; resumed after re-authorization.
        return _settle(
            message, token, status=WritebackStatus.NEEDS_REAUTH, error=integration.status_reason, refund=True
        )
    provider = provider_for(integration)
    try:
        with idempotency_key_bound(message.idempotency_key):
            result = provider.deliver(integration, message)
    except LocalRateLimited as exc:
        return _reschedule_rate_limited(message, token, exc)
    except ATSError as exc:
        return _record_failure(message, token, exc)
    except Exception as exc:  # noqa: BLE001 - a bug in a mapper must not lose the write
        logger.exception("writeback.crashed", extra={"outbox_id": message.pk})
        return _record_failure(message, token, ATSError(f"{type(exc).__name__}: {exc}"), retryable=True)
    confirmed = result.confirmed or writeback_read_back(message=message) is True
    return _record_delivered(message, token, result, confirmed=confirmed)


def writeback_read_back(*, message: WritebackMessage) -> bool | None:
    """provider.confirm, where a failure of the read itself means "cannot tell now" (None)."""
    integration = message.integration
    try:
        verdict = provider_for(integration).confirm(integration, message)
    except ATSError as exc:
        logger.info(
            "writeback.read_back_failed", extra={"outbox_id": message.pk, "error_class": type(exc).__name__}
        )
        verdict = None
    WritebackMessage.objects.filter(pk=message.pk).update(checked_at=timezone.now())
    return verdict


def _settle(
    message: WritebackMessage, token: str, *, status: str, error: str = "", refund: bool = False
) -> WritebackMessage | None:
    fields: dict[str, Any] = {
        "status": status,
        "claim_token": "",
        "last_error": error[:2000],
        "next_attempt_at": None,
        "updated_at": timezone.now(),
    }
    if refund:
        fields["attempts"] = F("attempts") - 1
    if not _owned(message, token).update(**fields):
        return _lost_claim(message)
    message.refresh_from_db()
    return message


def _owned(message: WritebackMessage, token: str):
    """The row as long as this worker still holds its claim (the reconciler may have taken over
    a row whose lease expired; then this worker's outcome is not recorded)."""
    return WritebackMessage.objects.filter(
        pk=message.pk, status=WritebackStatus.DELIVERING, claim_token=token
    )


def _lost_claim(message: WritebackMessage) -> WritebackMessage | None:
    """None: the outcome is not recorded by this worker (it lost its claim)."""
    logger.warning("writeback.claim_lost", extra={"outbox_id": message.pk})
    return None


def _record_delivered(
    message: WritebackMessage, token: str, result: DeliveryResult, *, confirmed: bool
) -> WritebackMessage | None:
    now = timezone.now()
    updated = _owned(message, token).update(
        status=WritebackStatus.CONFIRMED if confirmed else WritebackStatus.DELIVERED,
        claim_token="",
        delivered_at=now,
        confirmed_at=now if confirmed else None,
        external_ref=(result.external_ref or "")[:255],
        last_error="",
        last_error_class="",
        next_attempt_at=None,
        updated_at=now,
    )
    if not updated:
        return _lost_claim(message)
    message.refresh_from_db()
    provider = provider_for(message.integration)
    activity_log(
        integration=message.integration,
        kind="writeback.delivered",
        message=f"Wrote {message.kind} for run {message.run_id} to {provider.name}"
        + (" (confirmed)." if confirmed else "."),
        data={"run": message.run_id, "kind": message.kind},
    )
    _after_delivery(message)
    return message


def _after_delivery(message: WritebackMessage) -> None:
    from assessments.services.hooks import run_writeback_delivered

    run_writeback_delivered(run=message.run, event=message.event)
    observability.writeback_outcome(message)


def _reschedule_rate_limited(
    message: WritebackMessage, token: str, exc: LocalRateLimited
) -> WritebackMessage | None:
    """Our own limiter said "not now": no call was made, so this is not an attempt."""
    when = timezone.now() + timedelta(seconds=backoff_delay(1, exc.retry_after))
    if not _owned(message, token).update(
        status=WritebackStatus.RETRYING,
        claim_token="",
        attempts=F("attempts") - 1,
        next_attempt_at=when,
        updated_at=timezone.now(),
    ):
        return _lost_claim(message)
    queue_schedule_retry(name=f"writeback:{message.pk}", func=DELIVER_TASK, arg=message.pk, when=when)
    message.refresh_from_db()
    return message


def _permission_reason(integration: Integration, exc: ATSError) -> str:
    token = Token.objects.filter(integration=integration).first()
    missing = token.missing_scopes() if token is not None else []
    scope = f" Missing scope(s): {', '.join(missing)}." if missing else ""
    return f"{exc.message}{scope} Re-authorize and approve the requested permissions."


def _record_failure(
    message: WritebackMessage, token: str, exc: ATSError, retryable: bool | None = None
) -> WritebackMessage | None:
    integration = message.integration
    now = timezone.now()
    retryable = exc.retryable if retryable is None else retryable
    fields: dict[str, Any] = {
        "claim_token": "",
        "last_error": exc.message[:2000],
        "last_error_class": type(exc).__name__,
        "next_attempt_at": None,
        "updated_at": now,
    }
    needs_reauth_reason = ""
    schedule_at = None
    if isinstance(exc, ATSAmbiguousError):
        fields["status"] = WritebackStatus.HALTED
        fields["halted_count"] = F("halted_count") + 1
    elif isinstance(exc, ATSAuthError):
        fields["status"] = WritebackStatus.NEEDS_REAUTH
        needs_reauth_reason = exc.message
    elif isinstance(exc, ATSPermissionError):
        fields["status"] = WritebackStatus.NEEDS_REAUTH
        needs_reauth_reason = fields["last_error"] = _permission_reason(integration, exc)
    elif isinstance(exc, ATSConflict) and writeback_read_back(message=message) is True:
        # "Already exists": the ATS has this write (e.g. an earlier attempt that timed out).
        return _record_delivered(
            message, token, DeliveryResult(note="conflict: already there"), confirmed=True
        )
    elif retryable:
        next_at = retry_at(
            attempts=message.attempts,
            started_at=message.retry_window_started_at,
            retry_after=exc.retry_after,
            now=now,
        )
        if message.attempts >= settings.OUTBOUND_MAX_ATTEMPTS or next_at is None:
            fields["status"] = WritebackStatus.DEAD
            fields["last_error"] = (
                f"Gave up after {message.attempts} attempts over "
                f"{_hours(now - message.retry_window_started_at)}: {exc.message}"
            )[:2000]
        else:
            fields["status"] = WritebackStatus.RETRYING
            schedule_at = fields["next_attempt_at"] = next_at
    else:
        fields["status"] = WritebackStatus.DEAD
    if not _owned(message, token).update(**fields):
        return _lost_claim(message)
    if schedule_at is not None:
        queue_schedule_retry(
            name=f"writeback:{message.pk}", func=DELIVER_TASK, arg=message.pk, when=schedule_at
        )
    if needs_reauth_reason:
        integration_mark_needs_reauth(integration=integration, reason=needs_reauth_reason)
    message.refresh_from_db()
    activity_log(
        integration=integration,
        kind="writeback.failed",
        level=ActivityLevel.WARNING if message.status == WritebackStatus.RETRYING else ActivityLevel.ERROR,
        message=f"Write-back {message.kind} for run {message.run_id}: {message.get_status_display()}. "
        f"{message.last_error}",
        data={"run": message.run_id, "status": message.status, "error_class": message.last_error_class},
    )
    observability.writeback_outcome(message)
    return message


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"


# --- recovery, replay, resume -------------------------------------------------------------------


def writeback_mark_confirmed(*, message: WritebackMessage, note: str = "") -> WritebackMessage:
    """The ATS shows this write (read back by the reconciler or a replay): done, without resending."""
    now = timezone.now()
    WritebackMessage.objects.filter(pk=message.pk).exclude(status=WritebackStatus.CONFIRMED).update(
        status=WritebackStatus.CONFIRMED,
        claim_token="",
        confirmed_at=now,
        delivered_at=Coalesce(F("delivered_at"), Value(now)),
        next_attempt_at=None,
        updated_at=now,
    )
    message.refresh_from_db()
    activity_log(
        integration=message.integration,
        kind="writeback.confirmed",
        message=f"{provider_for(message.integration).name} shows {message.kind} for run {message.run_id}"
        + (f" ({note})." if note else "."),
        data={"run": message.run_id, "kind": message.kind},
    )
    _after_delivery(message)
    return message


def writeback_requeue(*, message: WritebackMessage, reason: str, new_window: bool = False) -> None:
    """Send again: the ATS definitely does not have it (read back), or a human said so."""
    fields: dict[str, Any] = {
        "status": WritebackStatus.PENDING,
        "claim_token": "",
        "next_attempt_at": None,
        "last_error": reason[:2000],
        "updated_at": timezone.now(),
    }
    if new_window:
        fields["retry_window_started_at"] = timezone.now()
        fields["replay_count"] = F("replay_count") + 1
    WritebackMessage.objects.filter(pk=message.pk).update(**fields)
    queue_enqueue_with_row(DELIVER_TASK, message.pk, task_name=f"writeback-{message.pk}", group="writeback")


def writeback_held_resume(
    *, integration: Integration, held: list[WritebackMessage], reason: str, kind: str, summary: str
) -> int:
    """Send held write-backs now, not at their next backoff step: the cause that held them is gone
    (SmartRecruiters issued company credentials, Ashby was reconnected inside Knit). One that had
    given up gets a fresh retry window. One activity line, `summary` with the count, for the lot."""
    for message in held:
        writeback_requeue(message=message, reason=reason, new_window=message.status == WritebackStatus.DEAD)
    if held:
        activity_log(
            integration=integration,
            kind=kind,
            message=summary.format(count=len(held)),
            data={"outbox": [m.pk for m in held]},
        )
    return len(held)


def writeback_resend_is_safe(*, integration: Integration) -> bool:
    """True when the ATS dedupes on our idempotency key, so a second send cannot duplicate."""
    return bool(getattr(provider_for(integration).client_class, "idempotency_header", ""))


def writeback_replay(*, message: WritebackMessage, force: bool = False) -> WritebackMessage:
    """Staff / customer action: deliver again (same idempotency key).

    A halted row is read back first (it may have arrived): confirmed if the ATS has it, resent if
    it definitely does not; when the ATS cannot be read back and does not dedupe, replay needs
    `force` ("send anyway"). A delivered row is sent again when a human asks (the admin asks
    twice); automated paths only ever replay dead and halted rows."""
    message.refresh_from_db()
    if message.status == WritebackStatus.DELIVERING:
        raise WritebackNotReplayable("This write-back is being delivered right now.")
    if message.status == WritebackStatus.HALTED and not force:
        verdict = writeback_read_back(message=message)
        if verdict is True:
            return writeback_mark_confirmed(message=message, note="found on replay")
        if verdict is None and not writeback_resend_is_safe(integration=message.integration):
            raise WritebackNotReplayable(
                f"The outcome of the last send is unknown and {provider_for(message.integration).name} cannot be "
                "read back: check the ATS, then use “send anyway” if the result is not there."
            )
    writeback_requeue(message=message, reason=f"Replayed (was {message.status}).", new_window=True)
    activity_log(
        integration=message.integration,
        kind="writeback.replayed",
        message=f"Write-back {message.kind} for run {message.run_id} queued again"
        + (" (send anyway)." if force else "."),
        data={"run": message.run_id, "from": message.status},
    )
    message.refresh_from_db()
    return message


def writeback_resume_after_reauth(*, integration: Integration) -> int:
    ids = list(
        WritebackMessage.objects.filter(
            integration=integration, status=WritebackStatus.NEEDS_REAUTH
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        if WritebackMessage.objects.filter(pk=pk, status=WritebackStatus.NEEDS_REAUTH).update(
            status=WritebackStatus.PENDING, next_attempt_at=None, updated_at=timezone.now()
        ):
            queue_enqueue_with_row(DELIVER_TASK, pk, task_name=f"writeback-{pk}", group="writeback")
    return len(ids)


def writeback_recover_stale(*, now=None, lease_seconds: float | None = None) -> int:
    """DELIVERING rows whose worker died mid-call (lease expired): the outcome is unknown, so
    they become halted (counted) for the reconciler, exactly like a timeout after sending."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.WORKER_LEASE_SECONDS if lease_seconds is None else lease_seconds)
    stale = WritebackMessage.objects.filter(status=WritebackStatus.DELIVERING, claimed_at__lte=now - lease)
    recovered = 0
    for pk, token in stale.values_list("pk", "claim_token")[:500]:
        recovered += WritebackMessage.objects.filter(
            pk=pk, status=WritebackStatus.DELIVERING, claim_token=token
        ).update(
            status=WritebackStatus.HALTED,
            claim_token="",
            halted_count=F("halted_count") + 1,
            last_error="The worker stopped while delivering this write-back; the outcome is unknown.",
            last_error_class="WorkerLost",
            updated_at=now,
        )
    if recovered:
        logger.warning("writeback.recovered_stale", extra={"count": recovered})
    return recovered


def writeback_sweep(*, room: int, pending_grace: timedelta = timedelta(minutes=2)) -> int:
    """Enqueue rows whose task was lost (a crash between commit and a Redis push, a retry schedule
    that never fired), up to `room` tasks. A duplicate task is harmless: delivery claims rows."""
    now = timezone.now()
    due = (
        WritebackMessage.objects.filter(
            Q(status=WritebackStatus.PENDING, updated_at__lte=now - pending_grace)
            | Q(status=WritebackStatus.RETRYING, next_attempt_at__lte=now - timedelta(minutes=1))
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: max(0, room)]
    )
    ids = list(due)
    for pk in ids:
        queue_enqueue(DELIVER_TASK, pk, task_name=f"writeback-{pk}", group="writeback")
    return len(ids)


# --- Queue entry point -----------------------------------------------------------------------------
# django-q2 runs it by DELIVER_TASK. Until issue 22 it lived in integrations.tasks, which a
# service cannot import (it sits above the services): tasks already in a broker and retry Schedule
# rows written before carry the old name, so integrations.tasks re-exports it and it still resolves.


def writeback_deliver_task(message_id: int) -> None:
    from integrations.services.ratelimit import rate_limit_patience
    from integrations.services.webhooks import WORKER_RATE_LIMIT_PATIENCE

    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        writeback_deliver(message_id=message_id)
