"""django-q2 entry points: load by id, call one service.

Tasks are safe to run twice (every service claims its row first) and never raise for expected
failures (services record them and schedule their own retry). Periodic ones run under a lease
(`periodic_job`): no overlap, and no pile-up of copies after downtime."""

from integrations.services.ratelimit import rate_limit_patience

# The tasks the services enqueue themselves are defined beside them (issue 22: a service naming
# integrations.tasks by its dotted path was a services -> tasks cycle import-linter cannot see).
# They are re-exported here under their old names: tasks already in a broker and retry Schedule
# rows written before the move say "integrations.tasks.<name>", and django-q2 resolves that name
# when it runs them. Keep these until no such task or schedule can be left.
from integrations.services.webhooks import (  # noqa: F401 - old task names, see above
    WORKER_RATE_LIMIT_PATIENCE,
    webhook_event_drain_task,
    webhook_event_process_task,
    webhook_event_sweep,
)
from integrations.services.writeback import writeback_deliver_task  # noqa: F401 - old task name
from jobcannon.core.jobs import periodic_job


@periodic_job(every_minutes=2)
def webhook_event_sweep_task() -> int:
    from integrations.services.queue import queue_room

    return webhook_event_sweep(room=queue_room())


@periodic_job(every_minutes=1)
def writeback_sweep_task() -> int:
    """Orphaned outbox work: stale deliveries (dead workers) and rows whose task was lost."""
    from integrations.services.queue import queue_room
    from integrations.services.writeback import writeback_recover_stale, writeback_sweep

    return writeback_recover_stale() + writeback_sweep(room=queue_room())


@periodic_job(every_minutes=5)
def writeback_reconcile_task() -> dict[str, int]:
    from integrations.services.reconciler import writeback_reconcile

    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        return writeback_reconcile().as_dict()


@periodic_job(every_minutes=5)
def token_refresh_proactive_task() -> int:
    from integrations.services.tokens import token_refresh_expiring

    return token_refresh_expiring()


@periodic_job(every_minutes=24 * 60, ttl_minutes=120)
def token_keepalive_task() -> int:
    from integrations.services.tokens import token_keepalive

    return token_keepalive().refreshed


@periodic_job(every_minutes=60)
def queue_housekeeping_task() -> dict[str, int]:
    from integrations.services.queue import queue_housekeeping

    return queue_housekeeping()


SCHEDULES = [
    ("integrations.tasks.webhook_event_sweep_task", 2),
    ("integrations.tasks.writeback_sweep_task", 1),
    ("integrations.tasks.writeback_reconcile_task", 5),
    ("integrations.tasks.token_refresh_proactive_task", 5),
    ("integrations.tasks.token_keepalive_task", 24 * 60),
    ("integrations.tasks.queue_housekeeping_task", 60),
]
