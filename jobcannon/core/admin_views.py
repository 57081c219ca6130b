"""Staff "system status" page in the admin: /admin/system-status/.

Worker heartbeats and live django-q2 clusters, queue depth and oldest task age, periodic
schedules with their last and next run, and recent failures (tasks, webhooks, write-backs,
integrations waiting for re-authorization). Read-only; every section degrades to a message
when its source is down, so the page stays useful during the incident it is opened for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from jobcannon.core import health
from jobcannon.core.logging import scrub_text

logger = logging.getLogger(__name__)

PERIODIC_PREFIX = "periodic:"


@dataclass(frozen=True)
class ScheduleRow:
    name: str
    func: str
    every: str
    next_run: datetime | None
    last_run: datetime | None
    last_success: bool | None
    overdue: bool


@dataclass(frozen=True)
class FailureRow:
    name: str
    func: str
    stopped: datetime
    error: str


def _first_line(text: Any, limit: int = 300) -> str:
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return scrub_text(line)[:limit]


def schedule_rows() -> list[ScheduleRow]:
    from django_q.models import Schedule, Task

    from jobcannon.core.models import JobLease

    schedules = list(Schedule.objects.exclude(schedule_type=Schedule.ONCE).order_by("name")[:200])
    task_ids = [s.task for s in schedules if s.task]
    runs = {
        t["id"]: t for t in Task.objects.filter(id__in=task_ids).values("id", "started", "stopped", "success")
    }
    # django-q2 keeps only failed results (Q_CLUSTER save_limit -1); a periodic job's lease
    # (jobcannon.core.jobs.periodic_job) records its last run and outcome either way.
    leases = {
        lease["name"]: lease
        for lease in JobLease.objects.filter(name__in=[s.func for s in schedules]).values(
            "name", "last_started_at", "last_finished_at", "last_outcome"
        )
    }
    now = timezone.now()
    rows = []
    for s in schedules:
        run = runs.get(s.task or "")
        lease = leases.get(s.func)
        if run is None and lease and lease["last_started_at"]:
            run = {
                "started": lease["last_started_at"],
                "stopped": lease["last_finished_at"],
                "success": lease["last_outcome"] == "ok" if lease["last_finished_at"] else None,
            }
        every = (
            f"every {s.minutes} min" if s.schedule_type == Schedule.MINUTES else s.get_schedule_type_display()
        )
        if s.schedule_type == Schedule.CRON and s.cron:
            every = f"cron {s.cron}"
        rows.append(
            ScheduleRow(
                name=(s.name or str(s.pk)).removeprefix(PERIODIC_PREFIX),
                func=s.func,
                every=str(every),
                next_run=s.next_run,
                last_run=run["stopped"] or run["started"] if run else None,
                last_success=run["success"] if run else None,
                # The scheduler looks every ~30 s: two minutes late means nobody is scheduling.
                overdue=bool(s.next_run and s.repeats != 0 and s.next_run < now - timedelta(minutes=2)),
            )
        )
    return rows


def failure_rows(limit: int = 20) -> list[FailureRow]:
    from django_q.models import Failure

    return [
        FailureRow(name=f.name, func=str(f.func), stopped=f.stopped, error=_first_line(f.result))
        for f in Failure.objects.order_by("-stopped")[:limit]
    ]


# Sections about the apps above core (integrations: failing webhooks and write-backs, integrations
# waiting for re-authorization) are registered by those apps from their AppConfig.ready, each with
# its own template, the way jobcannon.workspaces.hooks.dashboard_source_register fills the
# workspace dashboard: core knows neither their models, their URLs nor their permissions.
StatusSource = Callable[[], Any]


@dataclass(frozen=True)
class StatusSection:
    """One registered section as the page renders it: `template` (the registering app's own) is
    included with `section.context` (what its source returned) and `section.error` (a message
    when the source failed; the context is then None)."""

    name: str
    template: str
    context: Any
    error: str


_status_sources: dict[str, tuple[StatusSource, str]] = {}


def status_section_register(name: str, source: StatusSource, *, template: str) -> None:
    """`source()` returns the context of one section of the system status page, rendered with
    `template` inside its "Recent failures" block, before core's own failed tasks, in registration
    order. Registering a name again replaces that section."""
    _status_sources[name] = (source, template)


def _section(name: str, fn: Any) -> tuple[Any, str]:
    """Run one section; on failure return the error class for the page, not a 500."""
    try:
        return fn(), ""
    except Exception as exc:  # noqa: BLE001
        logger.warning(
            "system_status.section_failed", extra={"section": name, "error_class": type(exc).__name__}
        )
        return None, f"Could not read this section ({type(exc).__name__})."


class SystemStatusView(PermissionRequiredMixin, View):
    # admin_view lets any staff member in; the page needs its own permission (issue 21): a
    # staff member without it gets 403.
    permission_required = "core.view_system_status"

    def get(self, request: HttpRequest) -> HttpResponse:
        from jobcannon.core.workers import queue_stats, worker_cluster_list, worker_heartbeat_get

        started = time.monotonic()
        checks = health.readiness()
        heartbeat, heartbeat_error = _section("heartbeat", worker_heartbeat_get)
        clusters, clusters_error = _section("clusters", worker_cluster_list)
        queue, queue_error = _section("queue", queue_stats)
        schedules, schedules_error = _section("schedules", schedule_rows)
        failures, failures_error = _section("failures", failure_rows)
        heartbeat_age = time.time() - float(heartbeat["at"]) if heartbeat else None
        context = {
            **admin.site.each_context(request),
            "title": "System status",
            "checks": checks,
            "ready": health.is_ready(checks),
            "heartbeat": heartbeat,
            "heartbeat_age": int(heartbeat_age) if heartbeat_age is not None else None,
            "heartbeat_error": heartbeat_error,
            "clusters": clusters,
            "clusters_error": clusters_error,
            "queue": queue,
            "queue_error": queue_error,
            "schedules": schedules,
            "schedules_error": schedules_error,
            "failures": failures,
            "failures_error": failures_error,
        }
        sections = []
        for name, (source, template) in _status_sources.items():
            data, error = _section(name, source)
            sections.append(StatusSection(name=name, template=template, context=data, error=error))
        context["sections"] = sections
        context["render_ms"] = int((time.monotonic() - started) * 1000)
        return render(request, "admin/system_status.html", context)
