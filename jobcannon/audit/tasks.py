"""django-q2 entry points: thin wrappers, one service each."""

from jobcannon.audit.retention import retention_purge
from jobcannon.core.jobs import periodic_job


@periodic_job(every_minutes=60)
def retention_purge_task() -> int:
    sweep = retention_purge()
    return 0 if sweep is None else sweep.webhook_bodies + sweep.runs + sweep.answers


# Hourly, each run bounded to ~30 s: a backlog (a first deploy, a shortened window) drains over
# a few runs instead of one long job. assessments.tasks' daily run purge keeps running too.
SCHEDULES = [
    ("jobcannon.audit.tasks.retention_purge_task", 60),
]
