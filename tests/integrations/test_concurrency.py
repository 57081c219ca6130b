"""Real concurrency: several threads, each with its own database connection. On PostgreSQL the
row locks do the work; on SQLite (the embedded default) every write transaction starts with
BEGIN IMMEDIATE (settings), so writers are serialised and the same guarantees hold. More proofs
(processes, SIGKILL, fault injection) live in tests/integrations/reliability/."""

import threading

import pytest
import responses
from django.db import connections
from django.test import Client
from django.urls import reverse

from integrations.base import hmac_sha256_hex
from integrations.models import Token, WebhookEvent, WebhookStatus
from integrations.services.oauth import token_refresh
from integrations.services.webhooks import webhook_event_process
from tests.factories import IntegrationFactory
from tests.fakes.ats_provider import constants

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(n, target):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def worker(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_same_event_delivered_three_times_concurrently_is_processed_once():
    integration = IntegrationFactory()
    body = b'{"id": "evt_race", "type": "candidate.created", "data": {"candidate_id": "c9"}}'
    headers = {"X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body)}
    url = reverse("integrations:webhook", args=["fake", integration.public_id])

    statuses, errors = run_in_threads(
        3,
        lambda i: Client().post(url, data=body, content_type="application/json", headers=headers).status_code,
    )
    assert not errors and statuses == [200, 200, 200]
    events = list(WebhookEvent.objects.filter(integration=integration))
    assert sorted(e.status for e in events) == [
        WebhookStatus.DUPLICATE,
        WebhookStatus.DUPLICATE,
        WebhookStatus.VERIFIED,
    ]

    # Three workers race to process every stored row: the handler runs once.
    ids = [e.pk for e in events]
    _, errors = run_in_threads(3, lambda i: [webhook_event_process(event_id=pk) for pk in ids])
    assert not errors
    assert integration.activity.filter(kind="candidate.created").count() == 1


def test_token_refresh_raced_by_twenty_threads_calls_the_token_endpoint_once():
    integration = IntegrationFactory(
        auth_kind="oauth2", credentials={"client_id": "cid", "client_secret": "cs"}
    )
    Token.objects.create(
        integration=integration,
        access_token="expired-at",
        refresh_token="rt-0",
        scopes_requested=list(constants.SCOPES),
        scopes_granted=list(constants.SCOPES),
    )
    calls = []

    def token_endpoint(request):
        calls.append(request.body)
        return (
            200,
            {},
            '{"access_token": "fresh-at", "refresh_token": "rt-1", "expires_in": 3600, "token_type": "Bearer"}',
        )

    with responses.RequestsMock() as rsps:
        rsps.add_callback("POST", constants.TOKEN_URL, callback=token_endpoint)
        # Each thread saw a 401 with the old token and asks for a refresh.
        results, errors = run_in_threads(
            20,
            lambda i: (
                token_refresh(integration_id=integration.pk, seen_access_token="expired-at").access_token
            ),
        )
    assert not errors, errors
    assert len(calls) == 1
    assert set(results) == {"fresh-at"}
    token = Token.objects.get(integration=integration)
    assert token.refresh_token == "rt-1" and token.refresh_count == 1


def test_concurrent_deliveries_and_drains_leave_no_event_waiting_for_the_sweep(monkeypatch, settings):
    """Four senders and two drain workers at once, each with its own connection: every delivery
    is processed exactly once by a drain, none is left for the sweep, nothing deadlocks. (The
    narrow hand-over race is forced deterministically in test_webhook_drain.py.)"""
    import queue

    from integrations.services.webhooks import _drain_key, webhook_event_drain

    settings.WEBHOOK_DRAIN_SLOTS = 2
    settings.WEBHOOK_DRAIN_BATCH = 3  # small batches: many releases and hand-overs
    from django.core.cache import cache

    for slot in range(2):
        cache.delete(_drain_key(slot))
    integration = IntegrationFactory()
    url = reverse("integrations:webhook", args=["fake", integration.public_id])
    tasks: queue.Queue = queue.Queue()
    monkeypatch.setattr("jobcannon.core.queue.enqueue", lambda func, slot, **kw: tasks.put(slot))
    senders_done = threading.Event()

    def send(i):
        for n in range(10):
            body = f'{{"id": "evt_{i}_{n}", "type": "candidate.created", "data": {{"candidate_id": "c{n}"}}}}'.encode()
            headers = {"X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body)}
            assert (
                Client().post(url, data=body, content_type="application/json", headers=headers).status_code
                == 200
            )
        return 10

    def drain(_):
        ran = 0
        while not (senders_done.is_set() and tasks.empty()):
            try:
                slot = tasks.get(timeout=0.2)
            except queue.Empty:
                continue
            webhook_event_drain(slot=slot)
            ran += 1
        return ran

    def role(i):
        if i < 4:
            return send(i)
        return drain(i)

    def watch():
        for t in senders:
            t.join(60)
        senders_done.set()

    results: list = [None] * 6
    errors: list = []

    def worker(i):
        try:
            results[i] = role(i)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    senders = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    drains = [threading.Thread(target=worker, args=(i,)) for i in range(4, 6)]
    for t in senders + drains:
        t.start()
    watch()
    for t in drains:
        t.join(60)
    assert not errors, errors
    statuses = list(WebhookEvent.objects.filter(integration=integration).values_list("status", flat=True))
    assert len(statuses) == 40 and set(statuses) == {WebhookStatus.PROCESSED}
    assert results[4] + results[5] >= 1
    for slot in range(2):
        cache.delete(_drain_key(slot))


def test_concurrent_retries_of_one_ats_start_all_get_the_run_it_started():
    """An ATS that retries a start because its first try timed out sends the same request again
    while the first is still running: every copy gets the one run, none a "cancel it first"
    conflict with the run its own first try created (RunAlreadyActive is for another request)."""
    from assessments.models import AssessmentRun
    from assessments.services.runs import ATSRefs, CandidateInfo, assessment_run_create

    integration = IntegrationFactory()
    refs = ATSRefs(application_id="app-race", request_key="app-race:big5")

    def start(i):
        run, created = assessment_run_create(
            workspace=integration.workspace,
            instrument="big5",
            candidate=CandidateInfo(email="race@example.com"),
            integration=integration,
            refs=refs,
        )
        return run.pk, created

    results, errors = run_in_threads(8, start)

    assert errors == []
    run = AssessmentRun.objects.get(integration=integration)
    assert sorted(results) == [(run.pk, False)] * 7 + [(run.pk, True)]
