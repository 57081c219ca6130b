"""How long a rejected delivery that did not verify is kept (issue 21): anyone who knows an
integration's URL can have such rows stored in its log, so they no longer follow the workspace's
window (90 days for the body, the row for ever) but WEBHOOK_REJECTED_RETENTION_DAYS, row and body,
whether an integration claimed them or not. A verified delivery, and one signed but malformed
(the ATS's own), keeps the workspace's window."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from integrations.models import WebhookEvent, WebhookStatus
from jobcannon.audit import retention
from jobcannon.audit.models import AuditEvent, WebhookBodyDigest
from jobcannon.audit.retention import retention_purge
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

BODY = b'{"id": "evt_1", "type": "candidate.created"}'


@pytest.fixture(autouse=True)
def own_cache_keys(monkeypatch):
    """The sweep's lock and resume mark, this test's own (a shared Redis serves every worker)."""
    key = uuid.uuid4().hex
    monkeypatch.setattr(retention, "LOCK_KEY", f"{retention.LOCK_KEY}:{key}")
    monkeypatch.setattr(retention, "RESUME_KEY", f"{retention.RESUME_KEY}:{key}")


def delivery(integration, *, days_ago: int, verified: bool, status=WebhookStatus.REJECTED, n: int = 0):
    e = WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        body=BODY,
        headers={"X-Fake-Signature": "sha256=00"},
        status=status,
        verified=verified,
        rejection_reason="" if status != WebhookStatus.REJECTED else "Signature does not match.",
        external_id=f"evt-{days_ago}-{verified}-{n}",
    )
    WebhookEvent.objects.filter(pk=e.pk).update(received_at=timezone.now() - dt.timedelta(days=days_ago))
    return e


def test_unverified_rows_an_integration_claimed_expire_row_and_body_after_their_own_window(settings):
    settings.WEBHOOK_REJECTED_RETENTION_DAYS = 14
    settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS = 7
    a = IntegrationFactory()  # the workspace's window: 90 days
    expired = [delivery(a, days_ago=15, verified=False, n=n) for n in range(3)]
    recent = delivery(a, days_ago=13, verified=False)
    processed = delivery(a, days_ago=30, verified=True, status=WebhookStatus.PROCESSED)
    malformed = delivery(a, days_ago=30, verified=True)  # signed by the ATS, but not an event

    sweep = retention_purge()

    assert sweep.complete
    assert not WebhookEvent.objects.filter(pk__in=[e.pk for e in expired]).exists()
    assert not WebhookBodyDigest.objects.exists()
    for kept in (recent, processed, malformed):
        kept.refresh_from_db()
        assert bytes(kept.body) == BODY, kept.status
    assert "Signature does not match" in recent.rejection_reason  # the log still says why
    audit = AuditEvent.objects.get(action="retention.purged")
    assert audit.data["rejected_webhooks"] == 3
    assert "3 rejected deliveries that did not verify past 14 days" in audit.message


def test_in_a_shorter_workspace_window_the_body_goes_first_and_the_row_keeps_its_reason(settings):
    settings.WEBHOOK_REJECTED_RETENTION_DAYS = 14
    a = IntegrationFactory()
    a.workspace.retention_days = 7
    a.workspace.save()
    rejected = delivery(a, days_ago=10, verified=False)

    retention_purge()

    rejected.refresh_from_db()
    assert bytes(rejected.body) == b"" and WebhookBodyDigest.objects.filter(event=rejected).exists()
    assert rejected.rejection_reason == "Signature does not match."

    retention_purge(now=timezone.now() + dt.timedelta(days=5))
    assert not WebhookEvent.objects.filter(pk=rejected.pk).exists()
