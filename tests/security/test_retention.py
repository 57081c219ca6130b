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


def unmatched(*, days_ago: int, provider: str = "fake") -> WebhookEvent:
    """A rejected delivery no integration claimed: junk on the seeds' shared route, or a made-up id."""
    e = WebhookEvent.objects.create(
        provider=provider,
        integration=None,
        body=BODY,
        headers={"X-Fake-Signature": "sha256=abc"},
        status=WebhookStatus.REJECTED,
        rejection_reason="No Fake integration matched: unknown integration or wrong secret.",
    )
    WebhookEvent.objects.filter(pk=e.pk).update(received_at=timezone.now() - dt.timedelta(days=days_ago))
    return e


def test_rejected_deliveries_no_integration_claimed_are_deleted_after_their_short_window(settings):
    """Issue 21: junk that matched no integration was kept (up to 16 KiB a row, a row a second per
    provider at the store budget) for the default 90 days, ~1.4 GB a day per provider. It is
    deleted, row and body, after WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS; a rejected delivery an
    integration claimed stays in that customer's log for WEBHOOK_REJECTED_RETENTION_DAYS
    (tests/jobcannon/audit/test_rejected_retention.py)."""
    settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS = 7
    settings.WEBHOOK_REJECTED_RETENTION_DAYS = 14
    integration = IntegrationFactory()
    old = [unmatched(days_ago=8), unmatched(days_ago=30, provider="knit")]
    recent = unmatched(days_ago=6)
    claimed = event(integration, days_ago=10, status=WebhookStatus.REJECTED)

    sweep = retention_purge()

    assert not WebhookEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    recent.refresh_from_db()
    claimed.refresh_from_db()
    assert bytes(recent.body) == BODY and bytes(claimed.body) == BODY
    assert sweep.complete
    audit = AuditEvent.objects.get(action="retention.purged")
    assert audit.data["unmatched_webhooks"] == 2
    assert "2 rejected deliveries no integration claimed past 7 days" in audit.message


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


# --- Issue 21: spent reconnect links ------------------------------------------------------------


def test_spent_reconnect_links_are_deleted_after_the_window_and_the_sweep_says_so(client):
    from urllib.parse import urlsplit

    from integrations.models import ReconnectLink
    from integrations.services.reconnect import reconnect_link_create

    integration = IntegrationFactory()
    integration.workspace.retention_days = 1
    integration.workspace.save()
    long_window = IntegrationFactory()
    long_window.workspace.retention_days = 365
    long_window.workspace.save()
    now = timezone.now()

    def link(owner, **times) -> tuple[ReconnectLink, str]:
        url = urlsplit(reconnect_link_create(integration=owner)).path
        row = ReconnectLink.objects.filter(integration=owner).order_by("-pk").first()
        ReconnectLink.objects.filter(pk=row.pk).update(**times)
        return row, url

    two_days_ago = now - dt.timedelta(days=2)
    used, used_url = link(integration, used_at=two_days_ago)  # its signed URL is still within 72 hours
    revoked, _ = link(integration, revoked_at=two_days_ago)
    expired, _ = link(integration, created_at=now - dt.timedelta(days=5), expires_at=two_days_ago)
    used_recently, _ = link(integration, used_at=now - dt.timedelta(hours=2))
    still_open, open_url = link(integration)
    kept_longer, _ = link(long_window, used_at=now - dt.timedelta(days=200))

    sweep = retention_purge()

    remaining = set(ReconnectLink.objects.values_list("pk", flat=True))
    assert remaining == {used_recently.pk, still_open.pk, kept_longer.pk}
    assert sweep.reconnect_links == 3 and sweep.complete
    audit = AuditEvent.objects.get(action="retention.purged")
    assert audit.data["reconnect_links"] == 3 and "3 spent reconnect links" in audit.message
    # A link whose row is gone is refused, never usable again; the open one still works.
    refused = client.get(used_url)
    assert refused.status_code == 410 and "no longer valid" in refused.content.decode()
    assert client.get(open_url).status_code == 200


def test_a_shortened_window_purges_that_workspaces_spent_links_audited_with_the_person():
    from integrations.models import ReconnectLink
    from integrations.services.reconnect import reconnect_link_create
    from jobcannon.audit.retention import retention_purge_for_workspace
    from tests.factories import UserFactory

    mine, other = IntegrationFactory(), IntegrationFactory()
    for integration in (mine, other):
        reconnect_link_create(integration=integration)
    ReconnectLink.objects.update(used_at=timezone.now() - dt.timedelta(days=40))
    mine.workspace.retention_days = 30
    mine.workspace.save()
    other.workspace.retention_days = 30
    other.workspace.save()
    person = UserFactory()

    counts = retention_purge_for_workspace(workspace=mine.workspace, requested_by=person, previous_days=90)

    assert counts["reconnect_links"] == 1
    assert list(ReconnectLink.objects.values_list("integration", flat=True)) == [other.pk]
    audit = AuditEvent.objects.get(action="retention.purged")
    assert (audit.workspace, audit.actor, audit.data["reconnect_links"]) == (mine.workspace, person, 1)


# --- Issue 21: spent workspace invitations ------------------------------------------------------


def test_spent_invitations_are_deleted_after_the_window_and_the_sweep_says_so(client):
    from jobcannon.workspaces.models import Invitation, RevokeReason
    from jobcannon.workspaces.services import invitation_create
    from tests.factories import UserFactory, WorkspaceFactory

    short, long = WorkspaceFactory(retention_days=1), WorkspaceFactory(retention_days=365)
    now = timezone.now()
    two_days_ago = now - dt.timedelta(days=2)

    def invitation(workspace, email, **times) -> tuple[Invitation, str]:
        row, token = invitation_create(workspace=workspace, email=email, role="member", invited_by=None)
        Invitation.objects.filter(pk=row.pk).update(**times)
        return row, token

    accepted, accepted_token = invitation(short, "accepted@example.com", accepted_at=two_days_ago)
    revoked, _ = invitation(short, "revoked@example.com", revoked_at=two_days_ago)
    resent, _ = invitation(
        short, "resent@example.com", revoked_at=two_days_ago, revoked_reason=RevokeReason.RESENT
    )
    expired, _ = invitation(short, "expired@example.com", expires_at=two_days_ago)
    ended_recently, _ = invitation(short, "recent@example.com", expires_at=now - dt.timedelta(hours=2))
    still_open, open_token = invitation(short, "open@example.com")
    kept_longer, _ = invitation(long, "longer@example.com", accepted_at=now - dt.timedelta(days=200))

    sweep = retention_purge()

    remaining = set(Invitation.objects.values_list("pk", flat=True))
    assert remaining == {ended_recently.pk, still_open.pk, kept_longer.pk}
    assert sweep.invitations == 4 and sweep.complete
    audit = AuditEvent.objects.get(action="retention.purged")
    assert audit.data["invitations"] == 4 and "4 spent invitations" in audit.message
    # A purged link names nothing: refused readably, never usable again; the open one still works.
    client.force_login(UserFactory(email="accepted@example.com"))
    refused = client.post(f"/invitations/{accepted_token}/")
    assert refused.status_code == 404 and "This invitation link is not valid" in refused.content.decode()
    client.force_login(UserFactory(email="open@example.com"))
    assert client.post(f"/invitations/{open_token}/").status_code == 302


def test_a_shortened_window_purges_that_workspaces_spent_invitations_audited_with_the_person():
    from jobcannon.audit.retention import retention_purge_for_workspace
    from jobcannon.workspaces.models import Invitation
    from jobcannon.workspaces.services import invitation_create
    from tests.factories import UserFactory, WorkspaceFactory

    mine, other = WorkspaceFactory(retention_days=30), WorkspaceFactory(retention_days=30)
    for workspace in (mine, other):
        invitation_create(workspace=workspace, email="gone@example.com", role="member", invited_by=None)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(days=40))
    person = UserFactory()

    counts = retention_purge_for_workspace(workspace=mine, requested_by=person, previous_days=90)

    assert counts["invitations"] == 1
    assert list(Invitation.objects.values_list("workspace", flat=True)) == [other.pk]
    audit = AuditEvent.objects.get(action="retention.purged")
    assert (audit.workspace, audit.actor, audit.data["invitations"]) == (mine, person, 1)
