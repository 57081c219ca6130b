"""Periodic jobs that never overlap: `periodic_job` guards the scheduled tasks of every app
(core, assessments, integrations, audit), so it lives at the bottom layer with its lease table
(`jobcannon.core.models.JobLease`). See integrations/services/queue.py for the other queue rules."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from django.db.models import F, Q
from django.utils import timezone

from jobcannon.core.models import JobLease

logger = logging.getLogger(__name__)

F_ = TypeVar("F_", bound=Callable[..., Any])


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
    when skipped. The system check core.I002 (jobcannon/core/checks.py) flags scheduled tasks
    without it."""

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


# --- where the schedules are declared -----------------------------------------------------------

# Each app names the modules that declare `SCHEDULES = [("dotted.task.path", every_minutes), ...]`
# from its AppConfig.ready (integrations adds one per provider in ATS_PROVIDERS), so the
# `setup_schedules` command in core knows no app above it.
ScheduleModules = Callable[[], Iterable[str]]
_schedule_sources: list[ScheduleModules] = []


def schedule_modules_register(source: ScheduleModules) -> None:
    """Register a callable returning module names (called when the schedules are listed, so a
    provider list read from settings is current). Registering the same callable twice is a no-op."""
    if source not in _schedule_sources:
        _schedule_sources.append(source)


def schedule_modules() -> list[str]:
    names: list[str] = []
    for source in _schedule_sources:
        names.extend(name for name in source() if name not in names)
    return names
