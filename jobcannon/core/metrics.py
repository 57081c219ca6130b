"""Prometheus metrics: django-prometheus for HTTP/Django, plus JobCannon's own.

Two kinds, chosen so that every number is right with many processes on many machines:

- Counters and histograms incremented in code: the tasks' here; each app defines its own
  beside the code it instruments (integrations: webhooks received and processed, outbound
  calls, limiter waits, write-back outcomes, in integrations/observability.py), in the same
  prometheus_client registry, so /metrics shows them all. With several gunicorn workers and
  django-q2 worker processes these use prometheus_client's multiprocess mode: each process
  writes to files under `PROMETHEUS_MULTIPROC_DIR` and a scrape adds them up. gunicorn.conf.py
  sets and empties the directory for the web server; on a worker machine `manage.py
  metrics_serve` serves the directory the qcluster processes write to (docs/deployment.md).
  Without the variable (tests, runserver) they live in the process's default registry.
- Gauges about shared state (queue depth and oldest task age, worker heartbeat age, and what
  each app registers: webhooks waiting, write-backs pending / dead-lettered, integrations by
  status) are computed from the database, broker and cache at scrape time by `StateCollector`. They are cluster-wide: every
  web instance reports the same value, so aggregate them with max() not sum().

`/metrics` needs `Authorization: Bearer $METRICS_BEARER_TOKEN`; without a configured token it
answers 404 unless `METRICS_OPEN` is set (never in production).

Every recording helper swallows its own errors: a metric must never break a webhook or a task."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., None])

TASKS = Counter("jobcannon_tasks", "django-q2 tasks finished, by function and outcome.", ["func", "outcome"])
TASK_DURATION = Histogram(
    "jobcannon_task_duration_seconds",
    "Run time of django-q2 tasks.",
    ["func"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
TASK_LATENCY = Histogram(
    "jobcannon_task_latency_seconds",
    "From enqueue to the end of a django-q2 task (queue wait plus run time).",
    ["func"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)

# Requests a pre-Django check refused (jobcannon/core/wsgi.py: a 411, 413 or 429 decided from the
# request line and headers): they never reach Django, so django_http_* does not count them.
REFUSED_BEFORE_DJANGO = Counter(
    "jobcannon_refused_before_django",
    "Requests answered before Django from their request line and headers, by status.",
    ["status"],
)


def safe_recorder(fn: F) -> F:
    """For every recording helper, the apps' too: a metric must never break a webhook or a task."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001
            logger.warning("metrics.record_failed", extra={"metric": fn.__name__}, exc_info=True)

    return wrapper  # type: ignore[return-value]


# --- Recording helpers (one call each at the instrumented spot) ---------------------------------


@safe_recorder
def task_finished(*, func: str, success: bool, duration: float, latency: float | None) -> None:
    TASKS.labels(func=func, outcome="success" if success else "failure").inc()
    TASK_DURATION.labels(func=func).observe(max(0.0, duration))
    if latency is not None:
        TASK_LATENCY.labels(func=func).observe(max(0.0, latency))


@safe_recorder
def refused_before_django(*, status: int) -> None:
    REFUSED_BEFORE_DJANGO.labels(status=str(status)).inc()


# --- Scrape-time gauges -------------------------------------------------------------------------


# The scrape-time gauges come from the modules that know the state: each registers a callable
# yielding metric families, from its AppConfig.ready: the task queue and worker heartbeat
# (jobcannon.core.workers.worker_state_families, which uses this module for the task metrics),
# and the apps above core (webhooks waiting, write-backs, integrations by status:
# integrations.observability.integration_state_families), so this module imports none of them.
StateSource = Callable[[], Iterable[Metric]]
_state_sources: list[StateSource] = []


def state_source_register(source: StateSource) -> None:
    """Add scrape-time gauges. Registering the same callable twice is a no-op."""
    if source not in _state_sources:
        _state_sources.append(source)


class StateCollector(Collector):
    """Gauges read from the database / broker / cache on each scrape (a handful of indexed
    COUNT queries). A failing source yields `jobcannon_state_up 0` instead of an error page."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("jobcannon_state_up", "1 if the scrape-time state gauges could be read.")
        try:
            families = list(self._families())
        except Exception as exc:  # noqa: BLE001
            logger.warning("metrics.state_failed", extra={"error_class": type(exc).__name__})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        for source in _state_sources:
            yield from source()


_state_collector = StateCollector()
_registered_default = False


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "") or os.environ.get("prometheus_multiproc_dir", "")


def registry(*, include_state: bool = True) -> CollectorRegistry:
    """The registry to expose: the multiprocess files when running under several processes."""
    global _registered_default
    if multiprocess_dir():
        from prometheus_client import multiprocess

        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        if include_state:
            reg.register(_state_collector)
        return reg
    if include_state and not _registered_default:
        REGISTRY.register(_state_collector)
        _registered_default = True
    return REGISTRY


def generate_latest(*, include_state: bool = True) -> bytes:
    started = time.monotonic()
    body = _generate_latest(registry(include_state=include_state))
    logger.debug("metrics.scraped", extra={"ms": int((time.monotonic() - started) * 1000)})
    return body


def bearer_token_ok(header: str, tokens: str) -> bool:
    """`tokens` is comma-separated so a token can be rotated without a gap: add the new one,
    switch the scraper, remove the old one."""
    import hmac

    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return False
    given = value.strip().encode()
    # Compare with every configured token (no early exit): constant time in the token values.
    matches = [hmac.compare_digest(given, t.strip().encode()) for t in tokens.split(",") if t.strip()]
    return any(matches)


def metrics_view(request: Any) -> Any:
    from django.conf import settings
    from django.http import HttpResponse, JsonResponse

    from jobcannon.core.exceptions import error_body

    token = settings.METRICS_BEARER_TOKEN
    if token:
        if not bearer_token_ok(request.headers.get("Authorization", ""), token):
            denied = JsonResponse(error_body("unauthorized", "A valid bearer token is required."), status=401)
            denied["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return denied
    elif not settings.METRICS_OPEN:
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    response = HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
