"""django-q2 entry points: thin wrappers, one service each."""

from assessments.services.lifecycle import (
    assessment_reminders_send,
    assessment_runs_expire_due,
    assessment_runs_purge,
)
from jobcannon.core.jobs import periodic_job


@periodic_job(every_minutes=15)
def assessment_reminders_send_task() -> int:
    return assessment_reminders_send()


@periodic_job(every_minutes=5)
def assessment_runs_expire_task() -> int:
    return assessment_runs_expire_due()


@periodic_job(every_minutes=1440)
def assessment_runs_purge_task() -> int:
    return assessment_runs_purge()


SCHEDULES = [
    ("assessments.tasks.assessment_reminders_send_task", 15),
    ("assessments.tasks.assessment_runs_expire_task", 5),
    ("assessments.tasks.assessment_runs_purge_task", 60 * 24),
]
