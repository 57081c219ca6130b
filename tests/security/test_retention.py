"""Retention as a policy: after the workspace's window raw webhook bodies and headers and
candidate answers are gone, while the log rows, counts and a hash stay."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from assessments.models import Answer, AssessmentRun, RunStatus
from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from jobcannon.audit.models import AuditEvent, RetentionSweep, WebhookBodyDigest
from jobcannon.audit.retention import retention_purge
from jobcannon.audit.tasks import SCHEDULES
from jobcannon.core.management.commands.setup_schedules import declared_schedules
from tests.factories import AssessmentRunFactory, IntegrationFactory

pytestmark = pytest.mark.django_db

BODY = b'{"candidate": {"email": "old.candidate@example.com"}}'


def event(integration, *, days_ago: int, status=WebhookStatus.PROCESSED):
    e = WebhookEvent.objects.create(
        provider=integration.provider,
        integration=integration,
        body=BODY,
        headers={"X-Fake-Signature": "sha256=abc", "User-Agent": "ATS"},
        status=status,
        event_type="candidate.created",
        external_id=f"evt-{days_ago}-{status}",
    )
    WebhookEvent.objects.filter(pk=e.pk).update(received_at=timezone.now() - dt.timedelta(days=days_ago))
    return e


def test_old_webhook_bodies_are_replaced_by_their_hash_and_the_log_row_stays():
    integration = IntegrationFactory()
    old, recent = event(integration, days_ago=91), event(integration, days_ago=10)

    sweep = retention_purge()

    old.refresh_from_db()
    assert bytes(old.body) == b"" and old.headers == {}
    assert (old.status, old.event_type, old.external_id) == (
        WebhookStatus.PROCESSED,
        "candidate.created",
        "evt-91-processed",
    )
    digest = WebhookBodyDigest.objects.get(event=old)
    assert digest.body_sha256 == hashlib.sha256(BODY).hexdigest() and digest.body_bytes == len(BODY)
    assert digest.header_count == 2
    recent.refresh_from_db()
    assert bytes(recent.body) == BODY
    assert sweep.webhook_bodies == 1 and sweep.complete
    assert AuditEvent.objects.filter(action="retention.purged").exists()


def test_the_window_is_the_workspaces_own():
    short = IntegrationFactory()
    short.workspace.retention_days = 7
    short.workspace.save()
    long = IntegrationFactory(provider="fake")
    long.workspace.retention_days = 365
    long.workspace.save()
    a, b = event(short, days_ago=8), event(long, days_ago=200)
    retention_purge()
    assert WebhookBodyDigest.objects.filter(event=a).exists()
    assert not WebhookBodyDigest.objects.filter(event=b).exists()


def test_events_still_being_processed_keep_their_body():
    integration = IntegrationFactory()
    pending = event(integration, days_ago=200, status=WebhookStatus.FAILED)
    retention_purge()
    pending.refresh_from_db()
    assert bytes(pending.body) == BODY


def test_finished_runs_and_answers_past_the_window_are_deleted_but_a_write_back_in_flight_keeps_the_run():
    integration = IntegrationFactory()
    ws = integration.workspace
    long_ago = timezone.now() - dt.timedelta(days=120)
    done = AssessmentRunFactory(workspace=ws, status=RunStatus.DELIVERED, delivered_at=long_ago)
    held = AssessmentRunFactory(
        workspace=ws, status=RunStatus.SCORED, scored_at=long_ago, integration=integration
    )
    fresh = AssessmentRunFactory(workspace=ws, status=RunStatus.SCORED, scored_at=timezone.now())
    for run in (done, held, fresh):
        Answer.objects.create(run=run, item_id="e1", value=3, answered_at=long_ago)
    WritebackMessage.objects.create(
        integration=integration,
        run=held,
        kind="result",
        event="completed",
        idempotency_key="held-1",
        status=WritebackStatus.RETRYING,
    )

    sweep = retention_purge()

    assert not AssessmentRun.objects.filter(pk=done.pk).exists()
    assert AssessmentRun.objects.filter(pk=held.pk).exists()  # the ATS still waits for it
    assert not Answer.objects.filter(run=held).exists()  # ...but its answers are gone
    assert Answer.objects.filter(run=fresh).count() == 1
    assert (sweep.runs, sweep.answers) == (1, 1)


def test_a_sweep_out_of_time_stops_and_says_so():
    integration = IntegrationFactory()
    for i in range(3):
        event(integration, days_ago=100 + i)
    sweep = retention_purge(time_budget_seconds=-1)
    assert not sweep.complete and sweep.webhook_bodies == 0
    assert RetentionSweep.objects.count() == 1


def test_a_second_sweep_while_one_runs_is_skipped():
    from django.core.cache import cache

    from jobcannon.audit.retention import LOCK_KEY

    cache.add(LOCK_KEY, "someone-else", 60)
    try:
        assert retention_purge() is None
    finally:
        cache.delete(LOCK_KEY)


def test_the_purge_is_scheduled():
    assert SCHEDULES[0] in declared_schedules()
