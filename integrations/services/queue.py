"""Guard-rails around django-q2 (reference §6 lists its pitfalls: `retry` is a visibility timeout,
not a backoff; failed tasks re-run at a fixed interval; schedules overlap and catch up in storms).

Our rules:
- The database row is the source of truth, the broker only a nudge. Every task loads a row
  and claims it with a conditional UPDATE, so a task delivered twice (broker redelivery, a
  ONCE schedule run twice, a sweep re-enqueueing) does nothing the second time.
- Tasks never raise for expected failures: services record the failure on the row and
  schedule their own retry with backoff (`queue_schedule_retry`: at most one pending retry
  schedule per row). Q_CLUSTER has ack_failures on and max_attempts 1 (see checks.py).
- Periodic jobs run under a lease (`jobcannon.core.jobs.periodic_job`): a second copy (slow previous run, several
  clusters, or a pile of copies enqueued during downtime) skips instead of running.
- Sweeps feed the broker only while it has room (QUEUE_MAX_DEPTH): backpressure, not an
  unbounded queue; what is not enqueued stays in its table for the next sweep.
- Idempotent task keys (`task_receipt_claim`) for side effects that have no row of their own."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import TaskReceipt

logger = logging.getLogger(__name__)

# --- enqueueing ---------------------------------------------------------------------------------


def queue_enqueue(func: str, *args: Any, task_name: str = "", group: str = "") -> None:
    from jobcannon.core.queue import enqueue

    kwargs: dict[str, Any] = {}
    if task_name:
        kwargs["task_name"] = task_name
    if group:
        kwargs["group"] = group
    enqueue(func, *args, **kwargs)


def queue_enqueue_with_row(func: str, *args: Any, task_name: str = "", group: str = "") -> None:
    """Enqueue for a row written in the current transaction: with the ORM broker in the same
    transaction (atomic with the row); with Redis after commit (a crash in between leaves the
    row for the sweep)."""
    if settings.QUEUE_IN_DATABASE:
        queue_enqueue(func, *args, task_name=task_name, group=group)
    else:
        transaction.on_commit(lambda: queue_enqueue(func, *args, task_name=task_name, group=group))


def queue_schedule_retry(*, name: str, func: str, arg: Any, when: datetime) -> None:
    """Run func(arg) at `when` (our backoff, not django-q2's fixed-interval re-delivery). One
    schedule per name: a later retry of the same row replaces the pending one."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=name[:100],
        defaults={
            "func": func,
            "args": repr(arg),
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": when,
        },
    )


PROVIDER_STEP_RETRY_TASK = "integrations.services.queue.provider_step_retry_task"


def provider_step_schedule_retry(*, integration, step: str, name: str, when: datetime) -> None:
    """Run a provider's own step again at `when` (a temporary failure of e.g. SmartRecruiters'
    webhook subscription). The queue names this generic entry point, which sits above the
    registry and hands the step its provider: a provider module below its provider.py can
    schedule its own retry without naming a module above it (README "Layout")."""
    queue_schedule_retry(name=name, func=PROVIDER_STEP_RETRY_TASK, arg=(integration.pk, step), when=when)


def provider_step_retry_task(integration_id: int, step: str) -> None:
    """The worker's side of provider_step_schedule_retry: load the integration, ask the registry
    for its provider, run the step (ATSProvider.retry_step). A deleted integration: nothing."""
    from integrations.models import Integration
    from integrations.registry import provider_for

    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is not None:
        provider_for(integration).retry_step(step, integration)


def queue_depth() -> int:
    """Tasks waiting in the broker (ORM: queued rows; Redis: list length)."""
    from jobcannon.core.queue import broker

    try:
        return int(broker().queue_size() or 0)
    except Exception:  # noqa: BLE001 - an unreachable broker: report full, sweeps hold back
        logger.warning("queue.depth_unknown")
        return settings.QUEUE_MAX_DEPTH


def queue_room() -> int:
    """How many more tasks a sweep may enqueue now (0 = the queue is full: backpressure)."""
    return max(0, settings.QUEUE_MAX_DEPTH - queue_depth())


# --- idempotent task keys -----------------------------------------------------------------------


def task_receipt_claim(*, key: str) -> bool:
    """True the first time `key` is claimed. Call it in the transaction of the side effect (or
    just before a non-transactional one): a re-delivered task gets False and does nothing."""
    try:
        with transaction.atomic():
            TaskReceipt.objects.create(key=key[:200])
    except IntegrityError:
        return False
    return True


def queue_housekeeping(*, keep_days: int = 30) -> dict[str, int]:
    """Bounded tables: django-q2 keeps every failed task forever (reference §6); receipts are
    only needed for as long as a task can be re-delivered."""
    from django_q.models import Task

    cutoff = timezone.now() - timedelta(days=keep_days)
    receipts, _ = TaskReceipt.objects.filter(created_at__lt=cutoff).delete()
    failures, _ = Task.objects.filter(success=False, stopped__lt=cutoff).delete()
    return {"receipts": receipts, "failed_tasks": failures}
