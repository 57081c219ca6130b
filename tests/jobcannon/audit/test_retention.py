"""The retention sweep over webhook bodies: a walk of the table by id ranges, each step purging
only the settled deliveries past their workspace's window, exactly once; on PostgreSQL in SQL,
writing the same digest the Python path writes. (Policy-level tests: tests/security/test_retention.py.)"""

import datetime as dt
import hashlib
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import WebhookEvent, WebhookStatus
from jobcannon.audit import retention
from jobcannon.audit.models import PurgeReason, WebhookBodyDigest
from jobcannon.audit.retention import retention_purge, webhook_bodies_purge
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

HEADERS = {"Content-Type": "application/json", "User-Agent": "ATS", "X-Fake-Signature": "sha256=abc"}


def delivery(integration, *, days_ago: int, status=WebhookStatus.PROCESSED, body=None, headers=None, n=0):
    e = WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        body=body if body is not None else f'{{"candidate": {{"email": "c{n}@example.com"}}}}'.encode(),
        headers=HEADERS if headers is None else headers,
        status=status,
        event_type="candidate.created",
        traceback="Traceback (most recent call last): ...",
    )
    WebhookEvent.objects.filter(pk=e.pk).update(received_at=timezone.now() - dt.timedelta(days=days_ago))
    return e


def integration_with_window(days: int):
    integration = IntegrationFactory()
    integration.workspace.retention_days = days
    integration.workspace.save()
    return integration


@pytest.fixture(autouse=True)
def own_cache_keys(monkeypatch):
    """With Redis the sweep's lock and resume mark are shared by every pytest-xdist worker (each
    with its own database): another test's sweep would make ours skip or start mid-table."""
    key = uuid.uuid4().hex
    monkeypatch.setattr(retention, "LOCK_KEY", f"{retention.LOCK_KEY}:{key}")
    monkeypatch.setattr(retention, "RESUME_KEY", f"{retention.RESUME_KEY}:{key}")


@pytest.fixture
def small_ranges(monkeypatch):
    """A handful of ids per step, so a sweep over a few dozen rows crosses many range boundaries."""
    monkeypatch.setattr(retention, "WEBHOOK_RANGE", 3)
    monkeypatch.setattr(retention, "WEBHOOK_CHUNK", 2)
    monkeypatch.setattr(retention, "WEBHOOK_YIELD", 0.0)


def test_a_sweep_across_many_ranges_purges_every_expired_body_once_and_nothing_else(small_ranges, settings):
    # Rows no integration claimed have their own, shorter window (tests/security/test_retention.py):
    # lifted here so this test follows the body purge of the default window alone.
    settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS = 365
    settings.WEBHOOK_REJECTED_RETENTION_DAYS = 365  # and the rows that did not verify theirs
    week, default, year = (
        integration_with_window(7),
        integration_with_window(90),
        integration_with_window(365),
    )
    expired, kept = [], []
    for n in range(6):  # interleaved, so every range holds a mix
        expired.append(delivery(week, days_ago=8, n=n))
        kept.append(delivery(week, days_ago=6, n=n))  # inside its window
        expired.append(delivery(default, days_ago=91, status=WebhookStatus.REJECTED, n=n))
        kept.append(delivery(default, days_ago=200, status=WebhookStatus.FAILED, n=n))  # still retried
        kept.append(delivery(year, days_ago=200, n=n))  # a long window
        expired.append(delivery(None, days_ago=91, status=WebhookStatus.REJECTED, n=n))  # nobody's: default
        kept.append(delivery(None, days_ago=89, status=WebhookStatus.REJECTED, n=n))
    # A gap in the ids far wider than a range (rows deleted with their integration).
    gone = [delivery(default, days_ago=100, n=100 + n) for n in range(10)]
    WebhookEvent.objects.filter(pk__in=[e.pk for e in gone]).delete()
    expired.append(delivery(default, days_ago=95, status=WebhookStatus.DEAD, n=99))
    kept.append(delivery(default, days_ago=95, status=WebhookStatus.PROCESSING, n=99))

    sweep = retention_purge()

    assert sweep.complete and sweep.webhook_bodies == len(expired)
    digests = {d.event_id: d for d in WebhookBodyDigest.objects.all()}
    assert set(digests) == {e.pk for e in expired}
    for e in expired:
        purged = WebhookEvent.objects.get(pk=e.pk)
        assert (bytes(purged.body), purged.headers, purged.traceback) == (b"", {}, "")
        assert purged.status == e.status  # the log row stays as it was
        assert digests[e.pk].body_sha256 == hashlib.sha256(bytes(e.body)).hexdigest()
        assert digests[e.pk].body_bytes == len(e.body) and digests[e.pk].header_count == 3
    for e in kept:
        untouched = WebhookEvent.objects.get(pk=e.pk)
        assert bytes(untouched.body) == bytes(e.body) and untouched.headers == HEADERS

    again = retention_purge()
    assert again.complete and again.webhook_bodies == 0
    assert WebhookBodyDigest.objects.count() == len(expired)


def test_a_sweep_out_of_time_leaves_the_rest_to_the_next_one(small_ranges, monkeypatch):
    integration = integration_with_window(90)
    failed = delivery(integration, days_ago=100, status=WebhookStatus.FAILED)
    events = [delivery(integration, days_ago=100, n=n) for n in range(7)]

    class Clock:  # the sweep's clock moves one second per reading: 5 seconds last two steps
        now = 0.0

        def monotonic(self):
            self.now += 1
            return self.now

        def sleep(self, seconds):
            pass

    monkeypatch.setattr(retention, "time", Clock())
    first = retention_purge(time_budget_seconds=5)

    assert not first.complete and 0 < first.webhook_bodies < len(events)
    monkeypatch.setattr(retention, "time", time)
    # Meanwhile an event the first sweep had passed over (still failing then) gave up: dead.
    WebhookEvent.objects.filter(pk=failed.pk).update(status=WebhookStatus.DEAD)
    second = retention_purge()  # goes on where the first stopped
    assert second.complete and first.webhook_bodies + second.webhook_bodies == len(events)
    assert WebhookBodyDigest.objects.count() == len(events)
    third = retention_purge()  # from the first id again
    assert third.complete and third.webhook_bodies == 1
    assert WebhookBodyDigest.objects.filter(event=failed).exists()


def test_a_privacy_purge_of_chosen_events_digests_them_once_with_its_reason():
    integration = integration_with_window(90)
    chosen = [delivery(integration, days_ago=1, n=n) for n in range(3)]
    other = delivery(integration, days_ago=1, n=9)

    assert webhook_bodies_purge(event_ids=[e.pk for e in chosen], reason=PurgeReason.PRIVACY) == 3
    assert webhook_bodies_purge(event_ids=[e.pk for e in chosen], reason=PurgeReason.PRIVACY) == 0

    digests = WebhookBodyDigest.objects.filter(event__in=chosen)
    assert {d.reason for d in digests} == {PurgeReason.PRIVACY} and digests.count() == 3
    assert {d.body_sha256 for d in digests} == {hashlib.sha256(bytes(e.body)).hexdigest() for e in chosen}
    assert bytes(WebhookEvent.objects.get(pk=other.pk).body) == bytes(other.body)
    assert not WebhookBodyDigest.objects.filter(event=other).exists()


def test_the_digest_postgresql_computes_is_the_one_python_computes():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path is PostgreSQL's; the Python path is what the other databases run")
    integration = integration_with_window(90)
    samples = [
        (b"", {}),
        (b'{"candidate": {"name": "Ren\xc3\xa9e \xe2\x9c\x93"}}', HEADERS),
        (bytes(range(256)) * 3, {"Only": "one"}),  # not UTF-8, NUL bytes included
        (b"x" * (1024 * 1024), {f"X-Header-{i}": str(i) for i in range(40)}),  # a 1 MiB body
        (b"[]", ["not", "a", "mapping"]),
    ]
    by_python = [delivery(integration, days_ago=1, body=b, headers=h) for b, h in samples]
    by_sql = [delivery(integration, days_ago=1, body=b, headers=h) for b, h in samples]

    purge = retention._bodies_purge_in_python
    assert purge(events=WebhookEvent.objects.filter(pk__in=[e.pk for e in by_python]), reason="privacy") == 5
    in_sql = retention._bodies_purge_in_sql
    assert in_sql(events=WebhookEvent.objects.filter(pk__in=[e.pk for e in by_sql]), reason="privacy") == 5

    def digest(e):
        d = WebhookBodyDigest.objects.get(event=e)
        return d.body_sha256, d.body_bytes, d.header_count, d.reason

    for (body, headers), p, s in zip(samples, by_python, by_sql, strict=True):
        assert (
            digest(s) == digest(p) == (hashlib.sha256(body).hexdigest(), len(body), len(headers), "privacy")
        )
        emptied = WebhookEvent.objects.get(pk=s.pk)
        assert (bytes(emptied.body), emptied.headers, emptied.traceback) == (b"", {}, "")


def test_a_status_changed_since_the_rows_were_picked_keeps_its_body():
    """The SQL step re-checks the status on the row it updates (under the row lock, so also
    against a reprocess committed while the statement ran): an event a staff member sent back to
    the queue is not emptied and gets no digest, even when the rows handed in include it."""
    if connection.vendor != "postgresql":
        pytest.skip("the re-check is the SQL path's")
    integration = integration_with_window(90)
    requeued = delivery(integration, days_ago=100)
    picked = WebhookEvent.objects.filter(pk=requeued.pk)
    WebhookEvent.objects.filter(pk=requeued.pk).update(status=WebhookStatus.VERIFIED)

    assert retention._bodies_purge_in_sql(events=picked, reason="retention", settled_only=True) == 0
    requeued.refresh_from_db()
    assert bytes(requeued.body) != b"" and not WebhookBodyDigest.objects.filter(event=requeued).exists()
