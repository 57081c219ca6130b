"""Fresh deliveries are processed in batches: the intake nudges a drain (one task per slot while
one waits or runs), the drain processes every verified event, a failing event falls back to the
one-event path without costing its batch, and no wake-up is lost."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import Schedule

from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.services import webhooks as inbox
from integrations.services.webhooks import webhook_event_drain
from integrations.sync.models import Application, Candidate
from tests.factories import IntegrationFactory
from tests.integrations.providers.ashby.helpers import ashby_integration, fixture, post_webhook, sign_real

SECRET = "whsec_test_secret"
DRAIN = "integrations.services.webhooks.webhook_event_drain_task"


def deliver(client, integration, n: int) -> None:
    body = json.dumps(
        {
            "id": f"evt_{n}",
            "type": "candidate.created",
            "data": {"candidate_id": f"c{n}", "name": f"Alex {n}"},
        }
    ).encode()
    response = client.post(
        reverse("integrations:webhook", args=["fake", integration.public_id]),
        data=body,
        content_type="application/json",
        headers={"X-Fake-Signature": "sha256=" + hmac_sha256_hex(SECRET, body)},
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def fake(db, settings):
    settings.WEBHOOK_DRAIN_SLOTS = 1
    cache.delete(inbox._drain_key(0))  # the Redis cache outlives a test's transaction
    yield IntegrationFactory()
    cache.delete(inbox._drain_key(0))


@pytest.fixture
def nudges(monkeypatch):
    """Drain tasks the intake enqueues, recorded instead of sent."""
    calls: list[tuple] = []
    monkeypatch.setattr("jobcannon.core.queue.enqueue", lambda func, *args, **kw: calls.append((func, *args)))
    return calls


def test_deliveries_nudge_one_drain_while_it_waits_and_a_new_one_after_it_ran(
    client, fake, nudges, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            deliver(client, fake, n)
    assert nudges == [(DRAIN, 0)], "one drain task for three deliveries while it has not run"
    processed = webhook_event_drain(slot=0)
    assert len(processed) == 3
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, fake, 3)
    assert nudges == [(DRAIN, 0), (DRAIN, 0)], "the drain released its slot: the next delivery starts one"


def test_the_drain_processes_every_waiting_event_and_their_handlers_writes(client, fake, nudges):
    for n in range(5):
        deliver(client, fake, n)
    processed = webhook_event_drain(slot=0)
    assert [e.status for e in processed] == [WebhookStatus.PROCESSED] * 5
    rows = WebhookEvent.objects.filter(integration=fake)
    assert {(e.status, e.attempts, e.claim_token) for e in rows} == {(WebhookStatus.PROCESSED, 1, "")}
    assert all(e.processed_at for e in rows)
    assert fake.activity.filter(kind="candidate.created").count() == 5


def test_a_batch_costs_a_fixed_number_of_statements_plus_the_handlers_own(client, fake, nudges):
    """The fake handler writes one activity line per event; everything else is per batch."""

    def statements(n: int, start: int) -> int:
        for i in range(n):
            deliver(client, fake, start + i)
        with CaptureQueriesContext(connection) as ctx:
            assert len(inbox.webhook_event_process_batch(limit=50)) == n
        return len(ctx.captured_queries)

    assert statements(8, 100) - statements(2, 200) == 6


def test_an_event_whose_handler_fails_does_not_cost_its_batch(client, fake, nudges, monkeypatch):
    from tests.fakes.ats_provider import webhooks

    real = webhooks.EVENT_HANDLERS["candidate.created"]

    def picky(ctx):
        real(ctx)  # its writes must not survive the failure
        if ctx.payload["data"]["candidate_id"] == "c1":
            raise RuntimeError("candidate c1 on fire")

    monkeypatch.setitem(webhooks.EVENT_HANDLERS, "candidate.created", picky)
    for n in range(3):
        deliver(client, fake, n)
    webhook_event_drain(slot=0)
    by_id = {e.external_id: e for e in WebhookEvent.objects.filter(integration=fake)}
    assert by_id["evt_0"].status == by_id["evt_2"].status == WebhookStatus.PROCESSED
    failed = by_id["evt_1"]
    assert failed.status == WebhookStatus.FAILED and "on fire" in failed.error and failed.attempts == 1
    assert Schedule.objects.filter(func=inbox.PROCESS_TASK, args=repr(failed.pk)).exists()
    messages = IntegrationActivity.objects.filter(integration=fake).values_list("message", flat=True)
    assert sorted(messages) == ["Candidate c0 created.", "Candidate c2 created."]


def test_an_event_committed_while_a_drain_holds_the_slot_is_processed_by_that_drain(
    client, fake, nudges, monkeypatch, django_capture_on_commit_callbacks
):
    """The hand-over race: the drain's loop has just found the inbox empty when a delivery
    commits and finds the slot still held (so it starts no drain). The drain's last look, after
    it releases the slot, must process it."""
    real_batch = inbox.webhook_event_process_batch
    looks: list[int] = []

    def inbox_look(*, limit):
        looks.append(limit)
        if len(looks) == 1:
            with django_capture_on_commit_callbacks(execute=True):
                deliver(client, fake, 7)
            assert nudges == [], "the slot was held: the delivery started no drain"
            return []  # this look came just before the commit
        return real_batch(limit=limit)

    monkeypatch.setattr(inbox, "webhook_event_process_batch", inbox_look)
    cache.add(inbox._drain_key(0), 1, timeout=30)  # this drain holds the slot
    processed = webhook_event_drain(slot=0)
    assert [e.external_id for e in processed] == ["evt_7"]
    assert WebhookEvent.objects.get(integration=fake).status == WebhookStatus.PROCESSED


def test_events_claimed_by_another_worker_are_left_to_it(client, fake, nudges):
    deliver(client, fake, 1)
    deliver(client, fake, 2)
    first = WebhookEvent.objects.order_by("pk").first()
    WebhookEvent.objects.filter(pk=first.pk).update(status=WebhookStatus.PROCESSING, claim_token="other")
    processed = webhook_event_drain(slot=0)
    assert [e.external_id for e in processed] == ["evt_2"]
    first.refresh_from_db()
    assert first.status == WebhookStatus.PROCESSING and first.claim_token == "other"


@pytest.mark.django_db
def test_ashby_events_in_one_batch_store_the_newer_copy_with_its_candidate(client, nudges, settings):
    """Two stage changes of one application arrive newest first; the batch writes the synced copy
    once: the newer stage, linked to the candidate the payload carried."""
    settings.WEBHOOK_DRAIN_SLOTS = 1
    integration = ashby_integration()
    for n, (updated, stage) in enumerate(
        [("2026-03-05T10:00:00.000Z", "Offer"), ("2026-03-04T11:30:00.000Z", "Assessment")]
    ):
        payload = json.loads(fixture("candidateStageChange"))
        payload["webhookActionId"] = payload["webhookActionId"][:-4] + f"{n:04d}"
        payload["data"]["application"]["updatedAt"] = updated
        payload["data"]["application"]["currentInterviewStage"]["title"] = stage
        body = json.dumps(payload).encode()
        assert post_webhook(client, integration, body, sign_real(body)).status_code == 200
    processed = webhook_event_drain(slot=0)
    assert [e.status for e in processed] == [WebhookStatus.PROCESSED] * 2
    application = Application.objects.get(integration=integration)
    assert application.stage_title == "Offer"
    assert application.candidate == Candidate.objects.get(integration=integration)
    cache.delete(inbox._drain_key(0))
