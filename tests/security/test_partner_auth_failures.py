"""Rejected partner API calls: a stream of them is one integration log line and one audit event
per calling address and window, with a count, and those rows go with the retention window
(issue 21: 250 requests had written 228 audit rows that were never purged)."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import IntegrationActivity
from jobcannon.audit import retention
from jobcannon.audit.models import AuditEvent
from jobcannon.audit.retention import retention_purge
from tests.integrations.providers.ashby.helpers import (
    ashby_integration,
    basic,
    partner_answer,
    partner_post,
    with_partner_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_retention_lock(monkeypatch):
    key = uuid.uuid4().hex
    monkeypatch.setattr(retention, "LOCK_KEY", f"{retention.LOCK_KEY}:{key}")
    monkeypatch.setattr(retention, "RESUME_KEY", f"{retention.RESUME_KEY}:{key}")


def test_a_stream_of_wrong_keys_make_one_activity_line_and_one_audit_event_with_the_count(client):
    integration = ashby_integration()
    with_partner_key(integration)
    answers = [
        partner_answer(
            partner_post(client, integration, "assessment-list", {}, f"jcash_000000000000_wrong{n}")
        )
        for n in range(60)
    ]
    rejected = answers.count("unauthenticated")
    assert rejected >= 50 and set(answers) <= {"unauthenticated", "rate_limit_exceeded"}
    line = IntegrationActivity.objects.get(integration=integration, kind="partner.auth_failed")
    audit = AuditEvent.objects.get(action="partner.auth_failed")
    assert line.data["count"] == audit.data["count"] == rejected
    assert line.data["source"] == audit.data["source"] == "127.0.0.1"
    assert f"{rejected} rejected calls from 127.0.0.1" in line.message
    assert audit.workspace == integration.workspace


def test_another_calling_address_gets_its_own_line(client):
    integration = ashby_integration()
    with_partner_key(integration)
    url = reverse("integrations:partner-ashby:assessment-list", kwargs={"public_id": integration.public_id})
    for addr in ("127.0.0.1", "127.0.0.1", "10.0.0.7"):
        response = client.post(
            url, data="{}", content_type="application/json", headers=basic("wrong"), REMOTE_ADDR=addr
        )
        assert partner_answer(response) == "unauthenticated"
    counts = sorted(
        (a.data["source"], a.data["count"]) for a in AuditEvent.objects.filter(action="partner.auth_failed")
    )
    assert counts == [("10.0.0.7", 1), ("127.0.0.1", 2)]


def test_rejected_call_rows_are_purged_after_the_retention_window_and_other_audit_rows_stay():
    integration = ashby_integration()
    integration.workspace.retention_days = 30
    integration.workspace.save()
    old, recent = timezone.now() - dt.timedelta(days=31), timezone.now() - dt.timedelta(days=29)
    for when in (old, recent):
        line = IntegrationActivity.objects.create(
            integration=integration, kind="partner.auth_failed", message="Rejected", data={"count": 3}
        )
        IntegrationActivity.objects.filter(pk=line.pk).update(created_at=when)
        AuditEvent.objects.create(
            workspace=integration.workspace, action="partner.auth_failed", message="Rejected", created_at=when
        )
    kept = AuditEvent.objects.create(
        workspace=integration.workspace, action="secret.rotated", message="Rotated", created_at=old
    )
    sweep = retention_purge()
    assert (sweep.audit_events, sweep.activity_lines) == (1, 1)
    assert list(
        AuditEvent.objects.filter(action="partner.auth_failed").values_list("created_at", flat=True)
    ) == [recent]
    assert IntegrationActivity.objects.filter(kind="partner.auth_failed").count() == 1
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
