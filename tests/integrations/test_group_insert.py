"""Group commit of the intake's INSERT across threads: deliveries that arrive while a row is being
written share the next statement and its commit; duplicates inside a group stay duplicates; a
group whose statement fails costs no delivery its row. Real threads, each with its own database
connection."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import IntegrityError, connections

from integrations.models import WebhookEvent, WebhookStatus
from integrations.services import webhooks as inbox
from integrations.services.group_insert import GroupInsert
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def new_event(integration, external_id: str, integration_id: int | None = None) -> WebhookEvent:
    event = WebhookEvent(
        provider=integration.provider,
        integration_id=integration_id or integration.pk,
        body=b'{"id": "%s"}' % external_id.encode(),
        headers={},
        event_type="candidate.created",
        external_id=external_id,
        verified=True,
    )
    event.dedupe_key = external_id
    event.status = WebhookStatus.VERIFIED
    return event


class Recorder(GroupInsert):
    """The real group insert, holding its first statement until told to go (so that the others
    queue behind it) and recording each group's size."""

    def __init__(self):
        super().__init__(inbox._group_statement)
        self.sizes: list[int] = []
        self.first_writing = threading.Event()
        self.release = threading.Event()

    def _write(self, group):
        self.sizes.append(len(group))
        if len(self.sizes) == 1:
            self.first_writing.set()
            assert self.release.wait(10)
        return super()._write(group)


def run_threads(targets):
    results, errors = [None] * len(targets), []

    def work(i, target):
        try:
            results[i] = target()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(targets)]
    return threads, results, errors


def test_deliveries_waiting_behind_a_write_share_one_statement(monkeypatch):
    integration = IntegrationFactory()
    group = Recorder()
    monkeypatch.setattr(inbox, "_group_insert", group)
    events = [new_event(integration, f"evt_g{i}") for i in range(6)]
    events.append(new_event(integration, "evt_g3"))  # the same event again, in the same group
    threads, results, errors = run_threads([lambda e=e: inbox._insert_unless_duplicate(e) for e in events])
    threads[0].start()
    assert group.first_writing.wait(10)
    for t in threads[1:]:
        t.start()
    while len(group._queue) < 6 and not errors:  # all six are waiting behind the first write
        threading.Event().wait(0.01)
    group.release.set()
    for t in threads:
        t.join(10)
    assert not errors, errors
    assert group.sizes == [1, 6], "one statement for the first delivery, one for the six that waited"
    assert results == [True] * 6 + [False], "the second copy of evt_g3 is a duplicate"
    stored = dict(WebhookEvent.objects.values_list("external_id", "pk"))
    assert sorted(stored) == [f"evt_g{i}" for i in range(6)]
    assert [e.pk for e in events[:6]] == [stored[f"evt_g{i}"] for i in range(6)]


def test_a_group_whose_statement_fails_costs_no_other_delivery_its_row(monkeypatch):
    integration = IntegrationFactory()
    group = Recorder()
    monkeypatch.setattr(inbox, "_group_insert", group)
    good = [new_event(integration, f"evt_ok{i}") for i in range(3)]
    bad = new_event(integration, "evt_orphan", integration_id=10_000_000)  # no such integration
    threads, results, errors = run_threads(
        [lambda: inbox._insert_unless_duplicate(new_event(integration, "evt_first"))]
        + [lambda e=e: inbox._insert_unless_duplicate(e) for e in [*good, bad]]
    )
    threads[0].start()
    assert group.first_writing.wait(10)
    for t in threads[1:]:
        t.start()
    while len(group._queue) < 4 and not errors:
        threading.Event().wait(0.01)
    group.release.set()
    for t in threads:
        t.join(10)
    assert group.sizes == [1, 4]
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError), "only the bad row's own insert fails"
    assert results[:4] == [True] * 4
    assert sorted(WebhookEvent.objects.values_list("external_id", flat=True)) == [
        "evt_first",
        "evt_ok0",
        "evt_ok1",
        "evt_ok2",
    ]


def test_a_delivery_alone_goes_straight_through_as_a_group_of_one(monkeypatch):
    integration = IntegrationFactory()
    group = Recorder()
    group.release.set()
    monkeypatch.setattr(inbox, "_group_insert", group)
    event = new_event(integration, f"evt_{uuid.uuid4().hex}")
    assert inbox._insert_unless_duplicate(event) is True
    assert inbox._insert_unless_duplicate(new_event(integration, event.external_id)) is False
    assert group.sizes == [1, 1]
    assert WebhookEvent.objects.get().pk == event.pk
