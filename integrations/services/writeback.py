"""The write-back outbox. Assessments call `writeback_enqueue` inside the transaction that
changes a run; the provider decides which writes that event means (`on_run_event`); a task
delivers each row with the failure-class rules:

- 401 → one token refresh and retry, then needs_reauth (row waits, redelivered after re-auth)
- 403 → needs_reauth with the missing permission named
- 429 → Retry-After, else backoff; 5xx / network → backoff 5s → 15s → 60s → 5m → … 72 h
- other 4xx / 404 → dead letter with the reason
- timeout after sending → halted (outcome unknown) for the reconciler / a human"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.base import (
    ATSAmbiguousError,
    ATSAuthError,
    ATSError,
    ATSPermissionError,
    backoff_delay,
)
from integrations.models import ActivityLevel, AuthKind, IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.services.activity import activity_log
from integrations.services.integrations import integration_mark_needs_reauth
from jobcannon.core import metrics

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # with the backoff schedule this reaches the 72-hour horizon


class RunEvent:
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


def _enqueue_task(message_id: int, when=None) -> None:
    if when is None:
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("integrations.tasks.writeback_deliver_task", message_id, group="writeback")
        )
        return
    from django_q.models import Schedule

    Schedule.objects.create(
        name=f"writeback-{message_id}-{int(when.timestamp())}",
        func="integrations.tasks.writeback_deliver_task",
        args=repr(message_id),
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=when,
    )


def writeback_enqueue(*, run, event: str) -> list[WritebackMessage]:
    """Create the outbox rows a run event means for its ATS. Call inside the run's transaction."""
    integration = run.integration
    if integration is None or integration.status == IntegrationStatus.DISCONNECTED:
        return []
    kinds = integration.provider_obj.on_run_event(integration, run, event)
    created = []
    for kind in kinds:
        key = f"{integration.pk}:{run.pk}:{kind}:{event}"
        message, was_created = WritebackMessage.objects.get_or_create(
            idempotency_key=key,
            defaults={"integration": integration, "run": run, "kind": kind, "event": event},
        )
        if was_created:
            _enqueue_task(message.pk)
            created.append(message)
    return created


def writeback_deliver(*, message_id: int) -> WritebackMessage | None:
    with transaction.atomic():
        message = (
            WritebackMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status__in=[WritebackStatus.PENDING, WritebackStatus.RETRYING])
            .first()
        )
        if message is None:
            return None
        message.status = WritebackStatus.DELIVERING
        message.attempts += 1
        message.save(update_fields=["status", "attempts", "updated_at"])
    message = WritebackMessage.objects.select_related("integration", "run", "integration__workspace").get(
        pk=message_id
    )
    integration = message.integration
    provider = integration.provider_obj
    try:
        try:
            result = provider.deliver(integration, message)
        except ATSAuthError as exc:
            if integration.auth_kind != AuthKind.OAUTH2:
                raise
            from integrations.services.oauth import token_refresh

            token_refresh(integration_id=integration.pk, seen_access_token=_current_access_token(integration))
            integration.refresh_from_db()
            result = provider.deliver(integration, message)
            del exc
    except ATSError as exc:
        return _record_failure(message, exc)
    except Exception as exc:  # noqa: BLE001 - a bug in a mapper must not lose the write
        logger.exception("writeback.crashed", extra={"outbox_id": message.pk})
        return _record_failure(message, ATSError(f"{type(exc).__name__}: {exc}"), retryable=True)
    now = timezone.now()
    message.status = WritebackStatus.CONFIRMED if result.confirmed else WritebackStatus.DELIVERED
    message.delivered_at = now
    message.confirmed_at = now if result.confirmed else None
    message.external_ref = result.external_ref[:255]
    message.last_error = ""
    message.last_error_class = ""
    message.next_attempt_at = None
    message.save()
    metrics.writeback_outcome(message)
    activity_log(
        integration=integration,
        kind="writeback.delivered",
        message=f"Wrote {message.kind} for run {message.run_id} to {provider.name}"
        + (" (confirmed)" if result.confirmed else "."),
        data={"run": message.run_id, "kind": message.kind},
    )
    from assessments.services.hooks import run_writeback_delivered

    run_writeback_delivered(run=message.run, event=message.event)
    return message


def _current_access_token(integration) -> str | None:
    from integrations.models import Token

    return Token.objects.filter(integration=integration).values_list("access_token", flat=True).first()


def _record_failure(
    message: WritebackMessage, exc: ATSError, retryable: bool | None = None
) -> WritebackMessage:
    integration = message.integration
    message.last_error = exc.message[:2000]
    message.last_error_class = type(exc).__name__
    retryable = exc.retryable if retryable is None else retryable
    if isinstance(exc, ATSAmbiguousError):
        message.status = WritebackStatus.HALTED
    elif isinstance(exc, ATSAuthError | ATSPermissionError):
        message.status = WritebackStatus.NEEDS_REAUTH
        integration_mark_needs_reauth(integration=integration, reason=exc.message)
    elif retryable and message.attempts < MAX_ATTEMPTS:
        message.status = WritebackStatus.RETRYING
        message.next_attempt_at = timezone.now() + timedelta(
            seconds=backoff_delay(message.attempts, exc.retry_after)
        )
        _enqueue_task(message.pk, message.next_attempt_at)
    else:
        message.status = WritebackStatus.DEAD
    message.save()
    metrics.writeback_outcome(message)
    activity_log(
        integration=integration,
        kind="writeback.failed",
        level=ActivityLevel.ERROR,
        message=f"Write-back {message.kind} failed ({message.get_status_display()}): {exc.message}",
        data={"run": message.run_id, "status": message.status, "error_class": message.last_error_class},
    )
    return message


def writeback_replay(*, message: WritebackMessage) -> WritebackMessage:
    """Staff / customer action (dead letter, halted, or after re-authorization): deliver again."""
    WritebackMessage.objects.filter(pk=message.pk).update(
        status=WritebackStatus.PENDING, next_attempt_at=None
    )
    _enqueue_task(message.pk)
    message.refresh_from_db()
    from jobcannon.audit.services import audit_replayed  # audit log (issue 11)

    audit_replayed(target=message)
    return message


def writeback_resume_after_reauth(*, integration) -> int:
    ids = list(
        WritebackMessage.objects.filter(
            integration=integration, status=WritebackStatus.NEEDS_REAUTH
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        WritebackMessage.objects.filter(pk=pk).update(status=WritebackStatus.PENDING)
        _enqueue_task(pk)
    return len(ids)
