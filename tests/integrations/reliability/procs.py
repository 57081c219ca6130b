"""Worker subprocesses for the multi-process proofs: run with `python -m` from the repository
root. The parent test passes the test database and shared files through the environment:

    RELIABILITY_DB_NAME       the test database (PostgreSQL name or SQLite file)
    RATE_LIMIT_SQLITE_PATH    the limiter file the parent uses (embedded default)
    RELIABILITY_LEASE_SECONDS WORKER_LEASE_SECONDS for these processes

Modes:
    hammer <integration_id> <seconds>   prints "ready", reads a start time (epoch seconds) on stdin,
                                        then calls the fake ATS as fast as the shared limiter allows;
                                        prints {"sent": n, "refused": m}
    worker                              act as a django-q2 worker: process webhook events and
                                        deliver outbox rows until killed"""

from __future__ import annotations

import json
import os
import random
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobcannon.settings.test")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = os.environ["RELIABILITY_DB_NAME"]
    settings.ATS_PROVIDERS = [
        *settings.ATS_PROVIDERS,
        "tests.integrations.reliability.faultsim.FaultSimProvider",
    ]
    if os.environ.get("RELIABILITY_LEASE_SECONDS"):
        settings.WORKER_LEASE_SECONDS = float(os.environ["RELIABILITY_LEASE_SECONDS"])
    settings.RATE_LIMIT_NAMESPACE = os.environ.get("RELIABILITY_RL_NAMESPACE", "")
    settings.OUTBOUND_TIMEOUT_SECONDS = (2, 5)
    import django

    django.setup()


def hammer(integration_id: int, seconds: float) -> None:
    from integrations.base import LocalRateLimited
    from integrations.models import Integration
    from integrations.registry import provider_for
    from integrations.services.ratelimit import rate_limit_patience

    integration = Integration.objects.get(pk=integration_id)
    client = provider_for(integration).client(integration)
    client.ping()  # warm up: connections, limiter bucket (counted by the ATS like any call)
    sent, refused = 1, 0
    print("ready", flush=True)
    start_at = float(sys.stdin.readline())
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    while time.time() < end:
        try:
            with rate_limit_patience(0.2):
                client.ping()
            sent += 1
        except LocalRateLimited:
            refused += 1
    print(json.dumps({"sent": sent, "refused": refused}), flush=True)


def worker() -> None:
    from django.utils import timezone

    from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
    from integrations.services.ratelimit import rate_limit_patience
    from integrations.services.webhooks import webhook_event_process
    from integrations.services.writeback import writeback_deliver

    print("ready", flush=True)
    while True:
        now = timezone.now()
        events = list(
            WebhookEvent.objects.filter(status__in=[WebhookStatus.VERIFIED, WebhookStatus.FAILED])
            .exclude(next_attempt_at__gt=now)
            .values_list("pk", flat=True)[:50]
        )
        messages = list(
            WritebackMessage.objects.filter(status__in=[WritebackStatus.PENDING, WritebackStatus.RETRYING])
            .exclude(next_attempt_at__gt=now)
            .values_list("pk", flat=True)[:50]
        )
        # Several workers see the same rows: shuffled, they race for them like django-q2 workers
        # handed duplicate tasks would.
        random.shuffle(events)
        random.shuffle(messages)
        for pk in events:
            webhook_event_process(event_id=pk)
        with rate_limit_patience(2.0):
            for pk in messages:
                writeback_deliver(message_id=pk)
        if not events and not messages:
            time.sleep(0.02)


if __name__ == "__main__":
    _setup()
    mode = sys.argv[1]
    if mode == "hammer":
        hammer(int(sys.argv[2]), float(sys.argv[3]))
    elif mode == "worker":
        worker()
    else:
        raise SystemExit(f"unknown mode {mode}")
