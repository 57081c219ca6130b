"""django-q2 entry points: load by id, call one service.

Tasks are safe to run twice (every service claims its row first) and never raise for expected
failures (services record them and schedule their own retry). Periodic ones run under a lease
(`periodic_job`): no overlap, and no pile-up of copies after downtime."""

from integrations.observability import webhook_processed
from integrations.services.ratelimit import rate_limit_patience
from integrations.services.webhooks import webhook_event_drain, webhook_event_process, webhook_event_sweep
from jobcannon.core.jobs import periodic_job

# In a worker, a delivery refused by our own limiter waits this long for a slot before
# rescheduling itself: a burst of outbox rows drains at the vendor's rate.
WORKER_RATE_LIMIT_PATIENCE = 5.0


def webhook_event_process_task(event_id: int) -> None:
    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        webhook_processed(webhook_event_process(event_id=event_id))


def webhook_event_drain_task(slot: int) -> int:
    """Fresh deliveries, in batches (nudged by the intake: at most one waiting or running per slot)."""
    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        events = webhook_event_drain(slot=slot)
    for event in events:
        webhook_processed(event)
    return len(events)


def writeback_deliver_task(message_id: int) -> None:
    from integrations.services.writeback import writeback_deliver

    with rate_limit_patience(WORKER_RATE_LIMIT_PATIENCE):
        writeback_deliver(message_id=message_id)


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
