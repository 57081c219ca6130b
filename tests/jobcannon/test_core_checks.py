"""jobcannon/core/checks.py: every scheduled task of every app carries the overlap guard
(jobcannon.core.jobs.periodic_job). The schedules below are this module's own, registered as an
app registers its tasks modules (schedule_modules_register)."""

import pytest
from django.core.checks import run_checks

from jobcannon.core import jobs
from jobcannon.core.checks import check_periodic_jobs_guarded
from jobcannon.core.jobs import periodic_job

SCHEDULES = [
    ("tests.jobcannon.test_core_checks.guarded_task", 60),
    ("tests.jobcannon.test_core_checks.unguarded_task", 60),
]


@periodic_job(every_minutes=60)
def guarded_task() -> None:
    pass


def unguarded_task() -> None:
    pass


@pytest.fixture
def with_these_schedules(monkeypatch):
    monkeypatch.setattr(jobs, "_schedule_sources", list(jobs._schedule_sources))
    jobs.schedule_modules_register(lambda: ["tests.jobcannon.test_core_checks"])


def test_the_shipped_schedules_of_every_app_are_guarded():
    assert check_periodic_jobs_guarded() == []


def test_a_scheduled_task_without_the_guard_is_reported_by_the_system_checks(with_these_schedules):
    messages = [m for m in run_checks(tags=["queue"]) if m.id == "core.I002"]

    assert len(messages) == 1
    assert (
        messages[0].msg
        == "Scheduled without an overlap guard: tests.jobcannon.test_core_checks.unguarded_task."
    )
