"""Worker processes killed with SIGKILL, again and again, while a stream of webhook events is
processed and their write-backs delivered: nothing is lost, nothing is written twice. The fake
ATS counts POSTs per idempotency key and acknowledges each write 30 ms after applying it, so
many kills land in the worst place: applied at the ATS, not yet recorded here.

The workers (procs.py) run the same services the django-q2 tasks call, polling the tables
instead of the broker, so they can be killed at any instruction; the test process plays the
scheduler (sweeps and reconciler) and the vendor (intake)."""

import json
import random
import select
import signal
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    IntegrationActivity,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.reconciler import writeback_reconcile
from integrations.services.webhooks import webhook_event_process, webhook_event_sweep
from integrations.services.writeback import writeback_deliver
from tests.factories import AssessmentRunFactory
from tests.integrations.reliability.conftest import signed_headers, wait_ready

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 40
WORKERS = 3
KILLS = 6  # workers killed while at work, besides the final kill of all
LEASE_SECONDS = 3.0  # during the chaos: longer than any live delivery takes


def test_workers_killed_repeatedly_lose_nothing_and_write_nothing_twice(
    make_faultsim, fake_ats, spawn, settings
):
    settings.WORKER_LEASE_SECONDS = LEASE_SECONDS
    fake_ats.ack_delay = 0.03
    integration = make_faultsim()
    runs = [
        AssessmentRunFactory(
            workspace=integration.workspace, integration=integration, provider="faultsim", status="scored"
        )
        for _ in range(EVENTS)
    ]
    bodies = [
        json.dumps({"id": f"evt_{run.pk}", "type": "result.requested", "data": {"run_id": run.pk}}).encode()
        for run in runs
    ]
    url = reverse("integrations:webhook", args=["faultsim", integration.public_id])
    vendor = Client()
    rng = random.Random(42)

    workers = [spawn("worker", lease_seconds=LEASE_SECONDS) for _ in range(WORKERS)]
    for proc in workers:
        wait_ready(proc)
    ready = [True] * WORKERS

    def unsettled() -> int:
        return (
            WebhookEvent.objects.filter(
                status__in=[WebhookStatus.VERIFIED, WebhookStatus.FAILED, WebhookStatus.PROCESSING]
            ).count()
            + WritebackMessage.objects.exclude(
                status__in=[WritebackStatus.CONFIRMED, WritebackStatus.DELIVERED]
            ).count()
        )

    kills, pending = 0, list(bodies)
    start = time.monotonic()
    # Chaos until every event was sent and at least KILLS workers died at work; then let the
    # survivors finish. Bounded by the clock, not by luck: a slow machine just takes longer.
    while pending or kills < KILLS or (unsettled() and time.monotonic() - start < 60):
        assert time.monotonic() - start < 90, "the workers made no progress"
        for body in pending[:3]:  # the vendor sends each event twice (its own retry)
            for _ in range(2):
                response = vendor.post(
                    url, data=body, content_type="application/json", headers=signed_headers(body)
                )
                assert response.status_code == 200
        pending = pending[3:]
        time.sleep(rng.uniform(0.15, 0.4))
        for i, proc in enumerate(workers):  # a restarted worker counts once it is up
            if not ready[i] and select.select([proc.stdout], [], [], 0)[0]:
                ready[i] = proc.stdout.readline().strip() == "ready"
        alive = [i for i in range(WORKERS) if ready[i]]
        if alive and kills < KILLS:
            i = rng.choice(alive)
            workers[i].send_signal(signal.SIGKILL)
            workers[i].wait(10)
            kills += 1
            workers[i], ready[i] = spawn("worker", lease_seconds=LEASE_SECONDS), False
        webhook_event_sweep()  # the scheduler's sweeps keep running meanwhile
        writeback_reconcile(settle=timedelta(0))
    posted_by_workers, chaos_kills = sum(fake_ats.posts_by_key.values()), kills

    for proc in workers:  # the last crash: everything in flight is orphaned
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
    in_flight = {
        "webhooks": WebhookEvent.objects.filter(status=WebhookStatus.PROCESSING).count(),
        "writebacks": WritebackMessage.objects.filter(status=WritebackStatus.DELIVERING).count(),
    }

    # Recovery, as the sweeps and the reconciler do it once the leases have run out.
    settings.WORKER_LEASE_SECONDS = 0
    for _ in range(5):
        webhook_event_sweep()
        for pk in WebhookEvent.objects.filter(
            status__in=[WebhookStatus.VERIFIED, WebhookStatus.FAILED]
        ).values_list("pk", flat=True):
            webhook_event_process(event_id=pk)
        writeback_reconcile(now=timezone.now() + timedelta(seconds=1), settle=timedelta(0))
        WritebackMessage.objects.filter(status=WritebackStatus.RETRYING).update(next_attempt_at=None)
        for pk in WritebackMessage.objects.filter(
            status__in=[WritebackStatus.PENDING, WritebackStatus.RETRYING]
        ).values_list("pk", flat=True):
            writeback_deliver(message_id=pk)

    handled = IntegrationActivity.objects.filter(integration=integration, kind="faultsim.handled")
    outbox = WritebackMessage.objects.filter(integration=integration)
    summary = {
        "kills": kills,
        "kills_while_working": chaos_kills,
        "in_flight_at_last_kill": in_flight,
        "webhook_crashes_recovered": sum(WebhookEvent.objects.values_list("crash_count", flat=True)),
        "writebacks_halted": sum(outbox.values_list("halted_count", flat=True)),
        "ats_posts_by_workers": posted_by_workers,
        "ats_posts": sum(fake_ats.posts_by_key.values()),
    }
    print("sigkill:", summary)
    assert posted_by_workers > EVENTS / 2, "the workers did most of the work, while being killed"
    assert (
        WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.PROCESSED).count() == EVENTS
    )
    assert handled.count() == EVENTS and handled.values("data__event").distinct().count() == EVENTS, (
        "each once"
    )
    assert outbox.count() == EVENTS
    assert set(outbox.values_list("status", flat=True)) <= {
        WritebackStatus.CONFIRMED,
        WritebackStatus.DELIVERED,
    }
    assert set(fake_ats.posts_by_key) == set(outbox.values_list("idempotency_key", flat=True)), "nothing lost"
    assert not fake_ats.duplicates(), f"written twice: {fake_ats.duplicates()}"
