"""Guard-rails around django-q2 (reference §6 lists its pitfalls: `retry` is a visibility timeout,
not a backoff; failed tasks re-run at a fixed interval; schedules overlap and catch up in storms).

Our rules:
- The database row is the source of truth, the broker only a nudge. Every task loads a row
  and claims it with a conditional UPDATE, so a task delivered twice (broker redelivery, a
  ONCE schedule run twice, a sweep re-enqueueing) does nothing the second time.
- Tasks never raise for expected failures: services record the failure on the row and
  schedule their own retry with backoff (`queue_schedule_retry`: at most one pending retry
  schedule per row). Q_CLUSTER has ack_failures on and max_attempts 1 (see checks.py).
- Periodic jobs run under a lease (`periodic_job`): a second copy (slow previous run, several
  clusters, or a pile of copies enqueued during downtime) skips instead of running.
- Sweeps feed the broker only while it has room (QUEUE_MAX_DEPTH): backpressure, not an
  unbounded queue; what is not enqueued stays in its table for the next sweep.
- Idempotent task keys (`task_receipt_claim`) for side effects that have no row of their own."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.models import JobLease, TaskReceipt

logger = logging.getLogger(__name__)

F_ = TypeVar("F_", bound=Callable[..., Any])


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


# --- periodic jobs ------------------------------------------------------------------------------


@contextmanager
def job_lease(name: str, *, ttl: timedelta, min_interval: timedelta | None = None) -> Iterator[bool]:
    """Yield True when this process holds the named lease (and must do the work), False when a
    live run holds it, or when a run started less than `min_interval` ago (a pile-up of copies
    after downtime). The lease expires after `ttl` so a killed run does not block forever."""
    now = timezone.now()
    token = uuid.uuid4().hex
    JobLease.objects.get_or_create(name=name[:200])
    free = Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    if min_interval is not None:
        free &= Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - min_interval)
    taken = JobLease.objects.filter(free, name=name[:200]).update(
        token=token, expires_at=now + ttl, last_started_at=now
    )
    if not taken:
        JobLease.objects.filter(name=name[:200]).update(skipped_count=F("skipped_count") + 1)
        logger.info("job.skipped", extra={"job": name})
        yield False
        return
    outcome = "ok"
    try:
        yield True
    except BaseException as exc:
        outcome = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        JobLease.objects.filter(name=name[:200], token=token).update(
            token="", expires_at=None, last_finished_at=timezone.now(), last_outcome=outcome
        )


def periodic_job(*, every_minutes: float, ttl_minutes: float | None = None) -> Callable[[F_], F_]:
    """Decorate a scheduled task (SCHEDULES entry): never two copies at once, and no second run
    within half its period (copies that piled up in the broker become no-ops). Returns None
    when skipped. The system check integrations.W003 flags scheduled tasks without it."""

    def decorate(func: F_) -> F_:
        name = f"{func.__module__}.{func.__qualname__}"
        ttl = timedelta(minutes=ttl_minutes or max(every_minutes * 3, 10))

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with job_lease(name, ttl=ttl, min_interval=timedelta(minutes=every_minutes / 2)) as acquired:
                return func(*args, **kwargs) if acquired else None

        run.periodic_job = True  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


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
