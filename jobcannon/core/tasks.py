"""django-q2 entry points of the core app."""

from jobcannon.core.jobs import periodic_job
from jobcannon.core.workers import worker_heartbeat_record


@periodic_job(every_minutes=1)
def worker_heartbeat_task() -> None:
    """Every minute through the scheduler: proves scheduler, broker and a worker all work."""
    worker_heartbeat_record(source="schedule")


SCHEDULES = [
    ("jobcannon.core.tasks.worker_heartbeat_task", 1),
]
