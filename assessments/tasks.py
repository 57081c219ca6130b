"""django-q2 entry points: thin wrappers, one service each."""

from assessments.services.lifecycle import (
    assessment_reminders_send,
    assessment_runs_expire_due,
    assessment_runs_purge,
)


def assessment_reminders_send_task() -> int:
    return assessment_reminders_send()


def assessment_runs_expire_task() -> int:
    return assessment_runs_expire_due()


def assessment_runs_purge_task() -> int:
    return assessment_runs_purge()


SCHEDULES = [
    ("assessments.tasks.assessment_reminders_send_task", 15),
    ("assessments.tasks.assessment_runs_expire_task", 5),
    ("assessments.tasks.assessment_runs_purge_task", 60 * 24),
]
