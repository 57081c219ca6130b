"""What the django-q2 workers are doing: heartbeats, queue depth, and the task hooks that carry
the request id into the worker and record task metrics.

Heartbeat. A worker records one in the cache (Redis in production, shared by every machine)
when the scheduled `worker_heartbeat_task` runs (every minute: proves scheduler, broker and a
worker all work) and, at most every 15 s per process, whenever a task finishes. `/readyz`
treats workers as up while the newest heartbeat is younger than
`WORKER_HEARTBEAT_MAX_AGE_SECONDS`. django-q2's own cluster stats (`Stat`, refreshed by each
cluster's sentinel every half second with a 3 s expiry) are shown on the status page; readyz
does not use them because listing them costs a Redis KEYS scan.

Task hooks (django-q2 signals, its only extension point):
- `pre_enqueue` (in whichever process enqueues): stamp the bound request id on the task;
- `pre_execute` (in the worker): bind it again, or the id stored on the task's row when its app
  registered a lookup (`request_id_lookup_register`: integrations' webhook task reads the
  WebhookEvent's, so scheduler-driven retries keep the intake's id);
- `post_execute_in_worker`: one `task.finished` log line, task metrics, heartbeat, unbind."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from jobcannon.core.logging import (
    bind_log_context,
    clear_log_context,
    current_request_id,
    log_context,
    set_log_context,
)

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "jobcannon:ops:worker-heartbeat"
HEARTBEAT_EVERY_SECONDS = 15.0
_last_heartbeat = 0.0
_T0_KEY = "jobcannon_t0"
# The caller's logging context, restored after a task (matters only for sync=True tasks, which
# run inside the caller's request).
_outer_contexts: list[dict[str, Any]] = []


# --- Heartbeat ----------------------------------------------------------------------------------


def _heartbeat_key() -> str:
    # The database name keeps deployments (and parallel test databases) apart on a shared Redis.
    return f"{HEARTBEAT_KEY}:{connection.settings_dict['NAME']}"


def worker_heartbeat_record(*, source: str) -> None:
    cache.set(
        _heartbeat_key(),
        {"at": time.time(), "host": socket.gethostname(), "pid": os.getpid(), "source": source},
        timeout=24 * 3600,
    )


def worker_heartbeat_get() -> dict[str, Any] | None:
    value = cache.get(_heartbeat_key())
    return value if isinstance(value, dict) and "at" in value else None


def worker_heartbeat_age() -> float | None:
    beat = worker_heartbeat_get()
    return max(0.0, time.time() - float(beat["at"])) if beat else None


def workers_alive() -> bool:
    age = worker_heartbeat_age()
    return age is not None and age <= settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS


@dataclass(frozen=True)
class ClusterInfo:
    host: str
    cluster: str
    status: str
    workers: int
    uptime_seconds: float | None


def worker_cluster_list() -> list[ClusterInfo]:
    """Live django-q2 clusters (their sentinel reported in the last 3 seconds)."""
    from django_q.humanhash import humanize
    from django_q.status import Stat

    clusters = []
    for stat in Stat.get_all(_broker()):
        tob = getattr(stat, "tob", None)
        clusters.append(
            ClusterInfo(
                host=str(getattr(stat, "host", "")),
                cluster=humanize(stat.cluster_id.hex) if getattr(stat, "cluster_id", None) else "",
                status=str(getattr(stat, "status", "")),
                workers=len(getattr(stat, "workers", []) or []),
                uptime_seconds=(timezone.now() - tob).total_seconds() if tob else None,
            )
        )
    return sorted(clusters, key=lambda c: (c.host, c.cluster))


# --- Queue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueStats:
    depth: int
    oldest_age_seconds: float | None
    in_flight: int | None  # ORM broker only: tasks a worker has claimed and not finished
    retries_scheduled: int  # one-off schedules (webhook / write-back retries) not yet due
    next_retry_at: datetime | None


def _broker():
    from django_q.brokers import get_broker

    return get_broker()


def _task_age(payload: Any) -> float | None:
    from django_q.signing import SignedPackage

    try:
        started = SignedPackage.loads(payload).get("started")
    except Exception:  # noqa: BLE001 - a payload signed with an old key: no age
        return None
    return max(0.0, (timezone.now() - started).total_seconds()) if started else None


def queue_stats() -> QueueStats:
    """Depth and the age of the oldest waiting task (its enqueue time is in the signed package)."""
    from django_q.models import Schedule

    broker = _broker()
    depth = int(broker.queue_size() or 0)
    oldest: float | None = None
    in_flight: int | None = None
    if settings.REDIS_URL:
        # rpush at the tail, blpop from the head: the head is the oldest.
        head = broker.connection.lindex(broker.list_key, 0)
        oldest = _task_age(head) if head else None
    else:
        in_flight = int(broker.lock_size() or 0)
        first = (
            broker.get_connection()
            .filter(key=broker.list_key, lock__lte=timezone.now())
            .order_by("id")
            .values_list("payload", flat=True)
            .first()
        )
        oldest = _task_age(first) if first else None
    retries = Schedule.objects.filter(schedule_type=Schedule.ONCE).exclude(repeats=0)
    next_retry = retries.order_by("next_run").values_list("next_run", flat=True).first()
    return QueueStats(
        depth=depth,
        oldest_age_seconds=oldest,
        in_flight=in_flight,
        retries_scheduled=retries.count(),
        next_retry_at=next_retry,
    )


# --- Task hooks ---------------------------------------------------------------------------------


def _func_name(func: Any) -> str:
    if isinstance(func, str):
        return func
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


# Tasks whose own row knows the request id that started the work (retries come from the
# scheduler, which has none bound). The apps that own those rows register a lookup from their
# AppConfig.ready (integrations: the webhook processing task), so core imports none of them.
RequestIdLookup = Callable[[tuple], str | None]
REQUEST_ID_LOOKUPS: dict[str, RequestIdLookup] = {}


def request_id_lookup_register(func: str, lookup: RequestIdLookup) -> None:
    """`lookup(task args)` returns the request id stored on the task's row, or None."""
    REQUEST_ID_LOOKUPS[func] = lookup


def on_pre_enqueue(sender: Any, task: dict, **kwargs: Any) -> None:
    rid = current_request_id()
    if rid and "request_id" not in task:
        task["request_id"] = rid


def on_pre_execute(sender: Any, func: Any, task: dict, **kwargs: Any) -> None:
    name = _func_name(task.get("func", func))
    rid: str | None = None
    lookup = REQUEST_ID_LOOKUPS.get(name)
    if lookup is not None:
        try:
            rid = lookup(tuple(task.get("args") or ()))
        except Exception:  # noqa: BLE001 - logging context must never stop a task
            rid = None
    _outer_contexts.append(log_context())
    clear_log_context()
    bind_log_context(
        request_id=rid or task.get("request_id") or "", task_id=task.get("id"), task=task.get("name")
    )
    task[_T0_KEY] = time.monotonic()


def on_post_execute(sender: Any, func: Any, task: dict, **kwargs: Any) -> None:
    global _last_heartbeat
    from jobcannon.core import metrics

    try:
        name = _func_name(task.get("func", func))
        success = bool(task.get("success", False))
        duration = time.monotonic() - task.pop(_T0_KEY, time.monotonic())
        started, stopped = task.get("started"), task.get("stopped") or timezone.now()
        latency = (stopped - started).total_seconds() if started else None
        metrics.task_finished(func=name, success=success, duration=duration, latency=latency)
        logger.log(
            logging.INFO if success else logging.WARNING,
            "task.finished",
            extra={"func": name, "success": success, "ms": int(duration * 1000)},
        )
        now = time.monotonic()
        if now - _last_heartbeat >= HEARTBEAT_EVERY_SECONDS:
            _last_heartbeat = now
            worker_heartbeat_record(source="task")
    except Exception:  # noqa: BLE001 - bookkeeping must never fail a task
        logger.exception("task.bookkeeping_failed")
    finally:
        set_log_context(_outer_contexts.pop() if _outer_contexts else {})


def connect_task_signals() -> None:
    from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

    pre_enqueue.connect(on_pre_enqueue, dispatch_uid="jobcannon-pre-enqueue")
    pre_execute.connect(on_pre_execute, dispatch_uid="jobcannon-pre-execute")
    post_execute_in_worker.connect(on_post_execute, dispatch_uid="jobcannon-post-execute")


def worker_state_families() -> Iterator[Metric]:
    """Scrape-time gauges of the task queue and the workers (registered with
    jobcannon.core.metrics.state_source_register by CoreConfig.ready)."""
    stats = queue_stats()
    depth = GaugeMetricFamily("jobcannon_queue_depth", "Tasks waiting in the django-q2 queue.")
    depth.add_metric([], stats.depth)
    yield depth
    oldest = GaugeMetricFamily(
        "jobcannon_queue_oldest_task_age_seconds", "Age of the oldest waiting task (0 when empty)."
    )
    oldest.add_metric([], stats.oldest_age_seconds or 0.0)
    yield oldest
    retries = GaugeMetricFamily(
        "jobcannon_retries_scheduled", "One-off retry schedules (webhooks, write-backs) not yet run."
    )
    retries.add_metric([], stats.retries_scheduled)
    yield retries

    age = worker_heartbeat_age()
    beat = GaugeMetricFamily(
        "jobcannon_worker_heartbeat_age_seconds",
        "Seconds since a worker last recorded a heartbeat (-1: never).",
    )
    beat.add_metric([], -1 if age is None else age)
    yield beat
