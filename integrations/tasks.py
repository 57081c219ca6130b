"""django-q2 entry points: load by id, call one service."""

from integrations.services.webhooks import webhook_event_process, webhook_event_sweep
from jobcannon.core import metrics


def webhook_event_process_task(event_id: int) -> None:
    metrics.webhook_processed(webhook_event_process(event_id=event_id))


def webhook_event_sweep_task() -> int:
    return webhook_event_sweep()


def writeback_deliver_task(message_id: int) -> None:
    from integrations.services.writeback import writeback_deliver

    writeback_deliver(message_id=message_id)


def token_refresh_proactive_task() -> int:
    from integrations.services.tokens import token_refresh_expiring

    return token_refresh_expiring()


SCHEDULES = [
    ("integrations.tasks.webhook_event_sweep_task", 2),
    ("integrations.tasks.token_refresh_proactive_task", 5),
]
