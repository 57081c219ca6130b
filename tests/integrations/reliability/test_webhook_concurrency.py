"""Webhooks delivered three times at once, processed by racing workers, each leading to one
write-back that racing workers deliver: every event is processed once and the ATS receives each
write once. Threads with their own database connections, on SQLite and PostgreSQL."""

import json
import random

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import (
    IntegrationActivity,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from tests.factories import AssessmentRunFactory
from tests.integrations.reliability.conftest import run_in_threads, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 20


def test_three_concurrent_deliveries_of_each_event_are_processed_once_with_one_write_back_each(
    make_faultsim, fake_ats
):
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

    def vendor(i):  # three delivery attempts of every event, racing each other
        client = Client()
        order = random.Random(i).sample(bodies, len(bodies))
        return [
            client.post(
                url, data=body, content_type="application/json", headers=signed_headers(body)
            ).status_code
            for body in order
        ]

    statuses, errors = run_in_threads(3, vendor)
    assert not errors, errors[:3]
    assert {s for batch in statuses for s in batch} == {200}
    events = WebhookEvent.objects.filter(integration=integration)
    assert events.filter(status=WebhookStatus.VERIFIED).count() == EVENTS
    assert events.filter(status=WebhookStatus.DUPLICATE).count() == 2 * EVENTS

    ids = list(events.values_list("pk", flat=True))
    _, errors = run_in_threads(
        3, lambda i: [webhook_event_process(event_id=pk) for pk in random.Random(i).sample(ids, len(ids))]
    )
    assert not errors, errors[:3]
    assert events.filter(status=WebhookStatus.PROCESSED).count() == EVENTS
    handled = IntegrationActivity.objects.filter(integration=integration, kind="faultsim.handled")
    assert handled.count() == EVENTS, "each event's handler ran once"
    assert sorted(handled.values_list("data__event", flat=True)) == sorted(f"evt_{r.pk}" for r in runs)

    outbox = list(WritebackMessage.objects.filter(integration=integration).values_list("pk", flat=True))
    assert len(outbox) == EVENTS, "one write-back per event"
    _, errors = run_in_threads(
        3, lambda i: [writeback_deliver(message_id=pk) for pk in random.Random(i).sample(outbox, len(outbox))]
    )
    assert not errors, errors[:3]
    assert set(WritebackMessage.objects.values_list("status", flat=True)) == {WritebackStatus.CONFIRMED}
    assert len(fake_ats.posts_by_key) == EVENTS and not fake_ats.duplicates()
