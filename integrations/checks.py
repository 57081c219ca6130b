"""System checks for the task queue (run at startup, by `manage.py check` and in CI with
--deploy --fail-level WARNING). They encode the django-q2 pitfalls of reference §6: `retry` is a
visibility timeout, so a task that outlives it runs twice; failures re-run at a fixed interval
unless acknowledged; `catch_up` replays every missed schedule after downtime. (That every
scheduled task has the overlap guard is checked in jobcannon/core/checks.py, for every app.)"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

TAG = "queue"


@register(TAG)
def check_task_queue(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    conf: dict[str, Any] = getattr(settings, "Q_CLUSTER", {}) or {}
    messages: list[CheckMessage] = []
    timeout, retry = conf.get("timeout"), conf.get("retry", 60)
    if not timeout:
        messages.append(
            Error(
                "Q_CLUSTER['timeout'] is not set: a stuck task holds a worker forever and outlives 'retry', "
                "so the broker hands it to a second worker.",
                hint="Set Q_CLUSTER['timeout'] (seconds) below Q_CLUSTER['retry'].",
                id="integrations.E001",
            )
        )
    elif retry is None or retry <= timeout:
        messages.append(
            Error(
                f"Q_CLUSTER['retry'] ({retry}) must exceed Q_CLUSTER['timeout'] ({timeout}): otherwise a task "
                "still running is re-delivered and runs twice.",
                hint="Make retry larger than timeout, with room for the slowest task.",
                id="integrations.E002",
            )
        )
    lease = getattr(settings, "WORKER_LEASE_SECONDS", 0)
    if timeout and lease <= timeout:
        messages.append(
            Error(
                f"WORKER_LEASE_SECONDS ({lease}) must exceed Q_CLUSTER['timeout'] ({timeout}): a sweep would "
                "take work back from a worker that is still running it.",
                id="integrations.E003",
            )
        )
    max_attempts = conf.get("max_attempts", 0)
    if not max_attempts or max_attempts > 3:
        messages.append(
            Warning(
                f"Q_CLUSTER['max_attempts'] is {max_attempts or 'unlimited'}: django-q2 re-runs a failing task at a "
                "fixed interval. Our services schedule their own retries with backoff.",
                hint="Set max_attempts to 1 (or a small bound).",
                id="integrations.W004",
            )
        )
    if not conf.get("ack_failures", False):
        messages.append(
            Warning(
                "Q_CLUSTER['ack_failures'] is off: a failed task is not acknowledged and comes back every 'retry' "
                "seconds, on top of our own backoff.",
                hint="Set ack_failures to True.",
                id="integrations.W005",
            )
        )
    if conf.get("catch_up", True):
        messages.append(
            Warning(
                "Q_CLUSTER['catch_up'] is on: after downtime every missed run of every schedule is replayed at once.",
                hint="Set catch_up to False; the sweeps pick up whatever was missed.",
                id="integrations.W006",
            )
        )
    return messages
