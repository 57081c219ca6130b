"""django-q2 entry points: thin wrappers, one service each."""

# The purge a shortened window schedules is defined in jobcannon.audit.retention (issue 22: it
# named this module by its dotted path while this module imports it, a cycle import-linter cannot
# see). Re-exported under its old name: tasks already in a broker and deferral Schedule rows
# written before say "jobcannon.audit.tasks.retention_purge_workspace_task", and django-q2
# resolves that name when it runs them. Keep it until no such task or schedule can be left.
from jobcannon.audit.retention import (
    retention_purge,
    retention_purge_workspace_task,  # noqa: F401 - old task name
)
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
