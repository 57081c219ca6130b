"""The audit log: security-relevant actions, with who did them, for workspace admins and staff."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

from integrations.models import Integration, WebhookEvent, WebhookStatus
from integrations.services.integrations import integration_disconnect, webhook_secret_rotate
from integrations.services.webhooks import webhook_event_reprocess
from jobcannon.audit.models import AuditEvent
from jobcannon.workspaces.models import Role
from tests.factories import IntegrationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_secret_rotation_from_the_console_is_audited_with_the_actor_and_no_secret(
    client_in_workspace, user, integration
):
    response = client_in_workspace.post(f"/integrations/{integration.pk}/rotate-secret/")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="secret.rotated")
    assert (event.workspace, event.actor, event.actor_label) == (integration.workspace, user, user.email)
    assert event.ip == "127.0.0.1" and event.target_id == str(integration.pk)
    integration.refresh_from_db()
    assert integration.webhook_secrets[0]["secret"] not in str(event.__dict__)


def test_connect_disconnect_and_reprocess_are_audited(integration):
    integration.status = "pending"
    integration.save()
    from integrations.services.integrations import integration_set_status

    integration_set_status(integration=integration, status="connected")
    integration_disconnect(integration=integration)
    event = WebhookEvent.objects.create(
        provider="fake", integration=integration, body=b"{}", status=WebhookStatus.DEAD, verified=True
    )
    assert webhook_event_reprocess(event=event)
    actions = list(
        AuditEvent.objects.filter(workspace=integration.workspace).values_list("action", flat=True)
    )
    assert {"integration.connected", "integration.disconnected", "webhook.reprocessed"} <= set(actions)
    assert all(a.actor_label == "system" for a in AuditEvent.objects.all())  # no request: a task


def test_routine_activity_is_not_audit_noise(integration):
    from integrations.services.activity import activity_log

    activity_log(integration=integration, kind="token.refreshed", message="Access token refreshed.")
    webhook_secret_rotate(integration=integration)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["secret.rotated"]


def test_staff_deleting_in_the_admin_is_audited():
    staff = UserFactory(is_staff=True)
    integration = IntegrationFactory()
    LogEntry.objects.log_actions(
        user_id=staff.pk, queryset=Integration.objects.filter(pk=integration.pk), action_flag=DELETION
    ) if hasattr(LogEntry.objects, "log_actions") else LogEntry.objects.log_action(
        user_id=staff.pk,
        content_type_id=ContentType.objects.get_for_model(Integration).pk,
        object_id=integration.pk,
        object_repr=str(integration),
        action_flag=DELETION,
    )
    event = AuditEvent.objects.get(action="admin.deleted")
    assert event.actor == staff


def test_admins_read_their_workspace_audit_log_and_members_cannot(client, workspace, integration):
    webhook_secret_rotate(integration=integration)
    other = IntegrationFactory()
    webhook_secret_rotate(integration=other)
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN).user
    client.force_login(admin)
    page = client.get("/workspace/audit/")
    assert page.status_code == 200
    assert page.content.decode().count("Webhook secret rotated.") == 1  # not the other workspace's
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    assert client.get("/workspace/audit/").status_code == 403


def test_staff_see_every_workspace_audit_log_in_the_admin_read_only(client, integration):
    webhook_secret_rotate(integration=integration)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    event = AuditEvent.objects.get()
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
