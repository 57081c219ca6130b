"""Guard-rails around django-q2: configuration checks, periodic jobs that never overlap or pile
up, backpressure on sweeps, orphaned work recovered, poison events dead-lettered, idempotent
task keys."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integrations import checks, tasks
from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.services import queue, webhooks, writeback
from integrations.services.queue import task_receipt_claim
from integrations.services.webhooks import webhook_event_process, webhook_event_sweep
from jobcannon.core.jobs import job_lease, periodic_job
from jobcannon.core.models import JobLease
from tests.factories import AssessmentRunFactory, IntegrationFactory
from tests.integrations.reliability.conftest import run_in_threads


def check_ids(settings, **q_cluster):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, **q_cluster}
    return {m.id for m in checks.check_task_queue()}


def test_the_shipped_queue_settings_pass_the_checks(settings):
    assert not {i for i in check_ids(settings) if not i.startswith("integrations.I")}


@pytest.mark.parametrize(
    ("q_cluster", "expected"),
    [
        ({"timeout": 120, "retry": 120}, "integrations.E002"),
        ({"timeout": 300, "retry": 180}, "integrations.E002"),
        ({"timeout": None}, "integrations.E001"),
        ({"max_attempts": 0}, "integrations.W004"),
        ({"ack_failures": False}, "integrations.W005"),
        ({"catch_up": True}, "integrations.W006"),
    ],
)
def test_unsafe_queue_settings_are_reported(settings, q_cluster, expected):
    assert expected in check_ids(settings, **q_cluster)


def test_a_lease_shorter_than_the_task_timeout_is_an_error(settings):
    settings.WORKER_LEASE_SECONDS = 60
    assert "integrations.E003" in check_ids(settings, timeout=120, retry=180)


def test_every_integrations_schedule_is_guarded_against_overlap():
    for func, _minutes in tasks.SCHEDULES:
        assert getattr(getattr(tasks, func.rsplit(".", 1)[1]), "periodic_job", False), func


@pytest.mark.django_db(transaction=True)
def test_a_periodic_job_never_runs_twice_at_once():
    started, release = threading.Event(), threading.Event()
    runs = []

    @periodic_job(every_minutes=5)
    def slow_job():
        runs.append(1)
        started.set()
        release.wait(5)
        return "done"

    def first(i):
        return slow_job()

    thread = threading.Thread(target=lambda: run_in_threads(1, first))
    thread.start()
    assert started.wait(5)
    results, errors = run_in_threads(3, lambda i: slow_job())  # overlapping copies
    release.set()
    thread.join(5)
    assert not errors and results == [None, None, None] and len(runs) == 1
    lease = JobLease.objects.get(name__endswith="slow_job")
    assert lease.skipped_count == 3 and lease.last_outcome == "ok" and lease.expires_at is None


@pytest.mark.django_db
def test_copies_that_piled_up_during_downtime_run_once():
    runs = []

    @periodic_job(every_minutes=10)
    def job():
        runs.append(1)

    for _ in range(5):  # the broker hands out five queued copies back to back
        job()
    assert len(runs) == 1
    JobLease.objects.update(last_started_at=timezone.now() - timedelta(minutes=6))
    job()
    assert len(runs) == 2, "the next period runs normally"


@pytest.mark.django_db
def test_a_run_killed_while_holding_the_lease_does_not_block_the_job_forever():
    with job_lease("nightly", ttl=timedelta(minutes=5)) as acquired:
        assert acquired
        JobLease.objects.filter(name="nightly").update(expires_at=timezone.now() - timedelta(seconds=1))
        with job_lease("nightly", ttl=timedelta(minutes=5)) as second:
            assert second, "the lease of a dead run expires"


@pytest.mark.django_db
def test_task_receipts_make_a_redelivered_task_a_no_op():
    sent = []

    def send_reminder(run_id):
        with transaction.atomic():
            if task_receipt_claim(key=f"reminder:{run_id}"):
                sent.append(run_id)

    send_reminder(7)
    send_reminder(7)
    assert sent == [7]


@pytest.mark.django_db
def test_a_receipt_rolled_back_with_its_failed_effect_lets_the_task_try_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert task_receipt_claim(key="charge:1")
        raise RuntimeError("the effect failed")
    assert task_receipt_claim(key="charge:1")


@pytest.mark.django_db
def test_sweeps_feed_the_queue_only_while_it_has_room(monkeypatch, settings):
    integration = IntegrationFactory()
    old = timezone.now() - timedelta(minutes=10)
    for _ in range(5):
        run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, status="scored")
        WritebackMessage.objects.create(
            integration=integration, run=run, kind="result", event="completed", idempotency_key=f"k{run.pk}"
        )
    WritebackMessage.objects.update(updated_at=old)
    enqueued = []
    monkeypatch.setattr(writeback, "queue_enqueue", lambda func, pk, **kw: enqueued.append(pk))
    settings.QUEUE_MAX_DEPTH = 10
    monkeypatch.setattr(queue, "queue_depth", lambda: 8)
    assert tasks.writeback_sweep_task() == 2, "two slots of room: two rows enqueued"
    monkeypatch.setattr(queue, "queue_depth", lambda: 10)
    JobLease.objects.all().delete()
    assert tasks.writeback_sweep_task() == 0, "a full queue: nothing added, the rows wait in the table"
    assert len(enqueued) == 2


@pytest.mark.django_db
def test_lost_tasks_are_found_by_the_sweeps(monkeypatch):
    integration = IntegrationFactory()
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, status="scored")
    message = WritebackMessage.objects.create(
        integration=integration, run=run, kind="result", event="completed", idempotency_key="lost-1"
    )
    retrying = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind="result",
        event="cancelled",
        idempotency_key="lost-2",
        status=WritebackStatus.RETRYING,
        next_attempt_at=timezone.now() - timedelta(minutes=5),
    )
    WritebackMessage.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    event = WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        body=b"{}",
        status=WebhookStatus.VERIFIED,
        verified=True,
        enqueued_at=timezone.now() - timedelta(minutes=5),
    )
    outbox, inbox = [], []
    monkeypatch.setattr(writeback, "queue_enqueue", lambda func, pk, **kw: outbox.append(pk))
    monkeypatch.setattr(webhooks, "_enqueue", inbox.append)
    assert writeback.writeback_sweep(room=100) == 2 and sorted(outbox) == [message.pk, retrying.pk]
    assert webhook_event_sweep(room=100) == 1 and inbox == [event.pk]


@pytest.mark.django_db
def test_an_event_that_keeps_killing_its_worker_is_dead_lettered_as_poison(monkeypatch, settings, client):
    from integrations.base import hmac_sha256_hex
    from tests.fakes.ats_provider import webhooks as fake_webhooks

    settings.WORKER_LEASE_SECONDS = 0
    integration = IntegrationFactory()
    body = b'{"id": "evt_poison", "type": "candidate.created", "data": {"candidate_id": "c1"}}'
    client.post(
        f"/webhooks/fake/{integration.public_id}/",
        data=body,
        content_type="application/json",
        headers={"X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body)},
    )
    event = WebhookEvent.objects.get(integration=integration)

    def kill_worker(ctx):
        raise SystemExit("the worker process died (out of memory)")

    monkeypatch.setitem(fake_webhooks.EVENT_HANDLERS, "candidate.created", kill_worker)
    monkeypatch.setattr(webhooks, "_enqueue", lambda pk: None)
    statuses = []
    for _ in range(settings.WEBHOOK_POISON_CRASHES):
        with pytest.raises(SystemExit):
            webhook_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert event.status == WebhookStatus.PROCESSING, "the claim survives the crash"
        time.sleep(0.01)
        webhook_event_sweep()
        event.refresh_from_db()
        statuses.append(event.status)
    assert statuses == [WebhookStatus.FAILED, WebhookStatus.FAILED, WebhookStatus.DEAD]
    assert event.crash_count == 3 and "poison" in event.error
    assert not integration.activity.filter(kind="candidate.created").exists()


# --- a provider's own step, retried through the generic entry point --------------------------------


@pytest.mark.django_db
def test_a_provider_step_retry_names_the_generic_task_and_refuses_an_unknown_step():
    """The schedule names services.queue's task (never a provider module above the scheduler);
    the task hands the step to the integration's provider, and a step no provider knows is an
    error in the worker's log, not a silent success."""
    from django_q.models import Schedule

    integration = IntegrationFactory(provider="smartrecruiters")
    when = timezone.now() + timedelta(seconds=5)
    queue.provider_step_schedule_retry(integration=integration, step="no_such_step", name="t:1", when=when)
    schedule = Schedule.objects.get(name="t:1")
    assert schedule.func == queue.PROVIDER_STEP_RETRY_TASK
    assert schedule.args == repr((integration.pk, "no_such_step"))
    with pytest.raises(ValueError, match="no retry step 'no_such_step'"):
        queue.provider_step_retry_task(integration.pk, "no_such_step")
    integration.delete()
    queue.provider_step_retry_task(integration.pk, "no_such_step")  # gone: nothing to retry
