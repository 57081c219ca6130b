"""The outbox under concurrent workers and crashes mid-delivery: every write reaches the ATS,
none twice (the fake ATS counts POSTs per idempotency key). Real threads with their own
database connections; crash points injected by monkeypatching the step after which the worker
"dies" (SystemExit leaves the row exactly as a killed process would: claimed, not settled)."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import WritebackMessage, WritebackStatus
from integrations.services import writeback
from integrations.services.reconciler import writeback_reconcile
from integrations.services.writeback import writeback_deliver, writeback_enqueue
from tests.factories import AssessmentRunFactory
from tests.integrations.reliability import faultsim
from tests.integrations.reliability.conftest import run_in_threads


def enqueue(integration, n=1) -> list[WritebackMessage]:
    messages = []
    for _ in range(n):
        run = AssessmentRunFactory(
            workspace=integration.workspace, integration=integration, provider="faultsim", status="scored"
        )
        messages.extend(writeback_enqueue(run=run, event="completed"))
    return messages


def later(minutes=10):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.mark.django_db(transaction=True)
def test_six_workers_racing_for_the_same_rows_send_each_write_once(make_faultsim, fake_ats):
    integration = make_faultsim()
    messages = enqueue(integration, 30)
    ids = [m.pk for m in messages]

    def worker(i):
        order = ids[:]
        random.Random(i).shuffle(order)
        return sum(1 for pk in order if writeback_deliver(message_id=pk) is not None)

    delivered, errors = run_in_threads(6, worker)
    assert not errors, errors
    assert sum(delivered) == 30, "each row was delivered by exactly one worker"
    assert set(fake_ats.posts_by_key) == {m.idempotency_key for m in messages}
    assert not fake_ats.duplicates()
    assert set(WritebackMessage.objects.values_list("status", flat=True)) == {WritebackStatus.CONFIRMED}


@pytest.mark.django_db
def test_worker_dying_after_the_ats_applied_the_write_is_confirmed_by_read_back_not_resent(
    make_faultsim, fake_ats, monkeypatch
):
    (message,) = enqueue(make_faultsim())

    def die(*args, **kwargs):
        raise SystemExit("killed after the ATS answered, before we recorded it")

    with monkeypatch.context() as m:
        m.setattr(writeback, "_record_delivered", die)
        with pytest.raises(SystemExit):
            writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.DELIVERING
    assert writeback_deliver(message_id=message.pk) is None, "a claimed row is not sent by another worker"

    report = writeback_reconcile(now=later(), settle=timedelta(0))
    message.refresh_from_db()
    assert (report.recovered_stale, report.confirmed, report.resent) == (1, 1, 0)
    assert message.status == WritebackStatus.CONFIRMED and message.halted_count == 1
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}


@pytest.mark.django_db
def test_worker_dying_before_the_request_left_is_resent_exactly_once(make_faultsim, fake_ats, monkeypatch):
    (message,) = enqueue(make_faultsim())

    def die(self, body):
        raise SystemExit("killed before sending")

    with monkeypatch.context() as m:
        m.setattr(faultsim.FaultSimClient, "post_result", die)
        with pytest.raises(SystemExit):
            writeback_deliver(message_id=message.pk)

    report = writeback_reconcile(now=later(), settle=timedelta(0))
    assert (report.recovered_stale, report.resent) == (1, 1)
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_over_does_not_record_its_outcome(
    make_faultsim, fake_ats, monkeypatch
):
    """The reconciler acts while a very slow worker is still inside its call: the read-back finds
    the write, so it is confirmed once and the slow worker's late result changes nothing."""
    (message,) = enqueue(make_faultsim())
    real_post = faultsim.FaultSimClient.post_result

    def slow_post(self, body):
        result = real_post(self, body)
        writeback_reconcile(now=later(), settle=timedelta(0))  # meanwhile, the lease ran out
        return result

    monkeypatch.setattr(faultsim.FaultSimClient, "post_result", slow_post)
    assert writeback_deliver(message_id=message.pk) is None, "the slow worker lost its claim"
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED and message.halted_count == 1
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}


@pytest.mark.django_db(transaction=True)
def test_crashes_at_random_points_under_concurrency_lose_nothing_and_duplicate_nothing(
    make_faultsim, fake_ats, monkeypatch
):
    """Three workers deliver 40 rows; a third of the calls 'kill' their worker at a random crash
    point (before the request, after the ATS applied it, before recording). Sweeps and the
    reconciler then finish the job."""
    integration = make_faultsim()
    messages = enqueue(integration, 40)
    real_post, real_record = faultsim.FaultSimClient.post_result, writeback._record_delivered
    rng = random.Random(7)

    def maybe_die_before(self, body):
        if rng.random() < 0.15:
            raise SystemExit("killed before sending")
        return real_post(self, body)

    def maybe_die_after(*args, **kwargs):
        if rng.random() < 0.2:
            raise SystemExit("killed after the ATS applied it")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(faultsim.FaultSimClient, "post_result", maybe_die_before)
    monkeypatch.setattr(writeback, "_record_delivered", maybe_die_after)
    ids = [m.pk for m in messages]

    def worker(i):
        for pk in random.Random(i).sample(ids, len(ids)):
            try:
                writeback_deliver(message_id=pk)
            except SystemExit:
                pass  # this "process" died; in real life a new worker takes its place

    _, errors = run_in_threads(3, worker)
    assert not errors
    crashed = WritebackMessage.objects.filter(status=WritebackStatus.DELIVERING).count()
    assert crashed > 0, "the fault injection fired"
    monkeypatch.undo()
    for _ in range(3):  # sweeps + reconciler, then the redeliveries they queue
        writeback_reconcile(now=later(), settle=timedelta(0))
        for pk in WritebackMessage.objects.filter(status=WritebackStatus.PENDING).values_list(
            "pk", flat=True
        ):
            writeback_deliver(message_id=pk)
    statuses = list(WritebackMessage.objects.values_list("status", flat=True))
    assert statuses.count(WritebackStatus.CONFIRMED) == 40, statuses
    assert set(fake_ats.posts_by_key) == {m.idempotency_key for m in messages}, "nothing lost"
    assert not fake_ats.duplicates(), "nothing sent twice"
