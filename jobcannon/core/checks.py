"""System checks of the ground layer (run at start-up, by `manage.py check` and in CI with
--deploy --fail-level WARNING).

Every scheduled task of every app carries the overlap guard (`jobcannon.core.jobs.periodic_job`):
the schedules come from the modules each app registers (`schedule_modules_register`), so the
check lives here beside them and knows no app above core."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Info, register
from django.utils.module_loading import import_string

TAG = "queue"


@register(TAG)
def check_periodic_jobs_guarded(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Periodic tasks without `periodic_job` can overlap with themselves and pile up."""
    try:
        from jobcannon.core.management.commands.setup_schedules import declared_schedules

        schedules = declared_schedules()
    except Exception as exc:  # noqa: BLE001 - a broken tasks module is reported, not fatal here
        return [Info(f"Could not list the declared schedules: {exc}", id="core.I001")]
    unguarded = []
    for func, _minutes in schedules:
        try:
            task = import_string(func)
        except ImportError:
            continue
        if not getattr(task, "periodic_job", False):
            unguarded.append(func)
    if not unguarded:
        return []
    return [
        Info(
            "Scheduled without an overlap guard: " + ", ".join(sorted(unguarded)) + ".",
            hint="Decorate them with jobcannon.core.jobs.periodic_job(every_minutes=...).",
            id="core.I002",
        )
    ]
