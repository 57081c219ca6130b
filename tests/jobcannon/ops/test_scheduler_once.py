"""The django-q2 scheduler fires a due schedule once, however many clusters (machines) run it.

django-q2 (django_q/scheduler.py, `scheduler()`) selects due schedules with SELECT ... FOR UPDATE
inside a transaction and moves `next_run` forward before committing. A second cluster's SELECT
waits on the row lock and then, under PostgreSQL's READ COMMITTED, re-checks `next_run < now`
against the committed row, which no longer matches. This test makes the first cluster hold the
lock (a slow enqueue) while three others try at the same moment."""

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler
from django_q.signals import pre_enqueue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks (set DATABASE_URL)")


def test_a_due_schedule_fires_once_across_four_concurrent_schedulers():
    Schedule.objects.create(
        name="periodic:ops.once",
        func="math.floor",
        args="1.5",
        schedule_type=Schedule.MINUTES,
        minutes=5,
        repeats=-1,
        next_run=timezone.now() - timezone.timedelta(seconds=1),
    )
    fired: list[str] = []
    lock = threading.Lock()

    def slow_enqueue(sender, task, **kwargs):
        if task.get("group") == "periodic:ops.once":
            with lock:
                fired.append(task["id"])
            time.sleep(0.5)  # hold the row lock while the other schedulers arrive

    pre_enqueue.connect(slow_enqueue)
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def cluster():
        try:
            barrier.wait()
            scheduler()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cluster) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        pre_enqueue.disconnect(slow_enqueue)
    assert not errors
    assert len(fired) == 1
    assert Schedule.objects.get(name="periodic:ops.once").next_run > timezone.now()
