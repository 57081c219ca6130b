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
    from integrations.services.status import integration_set_status

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


# --- Issue 21: retention changes and the purges they cause; bulk deletions in the admin -----------


def _old_delivery(integration, days: int) -> WebhookEvent:
    import datetime as dt

    from django.utils import timezone

    event = WebhookEvent.objects.create(
        provider="fake", integration=integration, body=b'{"x": 1}', status=WebhookStatus.PROCESSED
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - dt.timedelta(days=days))
    return event


def test_shortening_the_retention_window_is_audited_and_so_is_the_purge_it_causes(
    client_in_workspace, user, workspace, integration, monkeypatch, django_capture_on_commit_callbacks
):
    from jobcannon.audit.tasks import retention_purge_workspace_task
    from jobcannon.core import queue

    enqueued = []
    monkeypatch.setattr(queue, "enqueue", lambda func, *args, **kw: enqueued.append((func, args)))
    event = _old_delivery(integration, days=40)
    other_workspace_event = _old_delivery(IntegrationFactory(), days=40)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in_workspace.post(
            "/workspace/settings/", {"name": workspace.name, "data_region": "eu", "retention_days": 30}
        )
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="workspace.retention_changed")
    assert (changed.workspace, changed.actor, changed.data) == (
        workspace,
        user,
        {"from_days": 90, "to_days": 30},
    )
    assert enqueued == [("jobcannon.audit.tasks.retention_purge_workspace_task", (workspace.pk, user.pk, 90))]

    retention_purge_workspace_task(*enqueued[0][1])
    purged = AuditEvent.objects.get(action="retention.purged")
    assert (purged.workspace, purged.actor, purged.data["webhook_bodies"]) == (workspace, user, 1)
    assert "shortened from 90 to 30 days" in purged.message
    event.refresh_from_db()
    other_workspace_event.refresh_from_db()
    assert bytes(event.body) == b"" and bytes(other_workspace_event.body) != b""


def test_staff_changing_the_retention_window_in_the_admin_is_audited(client, workspace):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        f"/admin/workspaces/workspace/{workspace.pk}/change/",
        {
            "name": workspace.name,
            "slug": workspace.slug,
            "data_region": workspace.data_region,
            "retention_days": 365,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    workspace.refresh_from_db()
    assert workspace.retention_days == 365
    event = AuditEvent.objects.get(action="workspace.retention_changed")
    assert (event.workspace, event.actor, event.data["to_days"]) == (workspace, staff, 365)


@pytest.mark.parametrize("count", [1, 3])
def test_staff_deleting_selected_objects_in_the_admin_is_audited_once_each(client, workspace, count):
    from jobcannon.workspaces.models import Invitation

    invitations = [
        Invitation.objects.create(workspace=workspace, email=f"gone{n}@example.com") for n in range(count)
    ]
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/workspaces/invitation/",
        {"action": "delete_selected", "_selected_action": [i.pk for i in invitations], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Invitation.objects.filter(pk__in=[i.pk for i in invitations]).exists()
    events = AuditEvent.objects.filter(action="admin.deleted")
    assert events.count() == count
    assert {(e.actor, e.workspace) for e in events} == {(staff, workspace)}
    assert sorted(e.data["object_id"] for e in events) == sorted(str(i.pk) for i in invitations)


def test_staff_deleting_one_object_from_its_page_is_audited_with_its_workspace(client, workspace):
    from jobcannon.workspaces.models import Invitation

    invitation = Invitation.objects.create(workspace=workspace, email="gone@example.com")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(f"/admin/workspaces/invitation/{invitation.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    event = AuditEvent.objects.get(action="admin.deleted")
    assert (event.actor, event.workspace, event.data["object_id"]) == (staff, workspace, str(invitation.pk))


def test_staff_removing_a_member_through_the_workspace_inline_is_audited_with_person_and_workspace(
    client, workspace
):
    from jobcannon.workspaces.models import Membership

    leaving = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    staying = MembershipFactory(workspace=workspace, role=Role.MEMBER)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    form = {
        "name": workspace.name,
        "slug": workspace.slug,
        "data_region": workspace.data_region,
        "retention_days": workspace.retention_days,
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "2",
    }
    for n, (membership, delete) in enumerate(((leaving, True), (staying, False))):
        form |= {
            f"memberships-{n}-id": membership.pk,
            f"memberships-{n}-workspace": workspace.pk,
            f"memberships-{n}-user": membership.user_id,
            f"memberships-{n}-role": membership.role,
        }
        if delete:
            form[f"memberships-{n}-DELETE"] = "on"
    response = client.post(f"/admin/workspaces/workspace/{workspace.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    remaining = set(Membership.objects.filter(workspace=workspace))
    assert leaving not in remaining and staying in remaining

    event = AuditEvent.objects.get(action="admin.deleted")
    assert (event.actor, event.workspace) == (staff, workspace)
    assert (event.target_type, event.target_id) == ("auth.User", str(leaving.user_id))
    assert event.data["object_id"] == str(leaving.pk) and event.data["role"] == Role.ADMIN
    assert str(leaving.user) in event.message and workspace.name in event.message


def test_a_window_change_purge_that_finds_another_purge_running_is_audited_and_runs_later(
    user, workspace, integration
):
    """The task a shortened window enqueues must not vanish when another purge of the workspace
    holds its lock: the wait is audited with the person, and the purge runs (audited with them)
    from the schedule it leaves."""
    import ast

    from django.core.cache import cache
    from django.utils import timezone
    from django_q.models import Schedule

    from jobcannon.audit.retention import LOCK_KEY
    from jobcannon.audit.tasks import retention_purge_workspace_task

    event = _old_delivery(integration, days=40)
    workspace.retention_days = 30
    workspace.save()
    lock = f"{LOCK_KEY}:workspace:{workspace.pk}"
    assert cache.add(lock, "another purge", timeout=300)
    try:
        assert retention_purge_workspace_task(workspace.pk, user.pk, 90) == 0
    finally:
        cache.delete(lock)

    waiting = AuditEvent.objects.get(action="retention.purge_deferred")
    assert (waiting.workspace, waiting.actor) == (workspace, user)
    assert "shortened from 90 to 30 days" in waiting.message and "runs again at" in waiting.message
    assert not AuditEvent.objects.filter(action="retention.purged").exists()
    event.refresh_from_db()
    assert bytes(event.body) != b""  # nothing purged yet

    schedule = Schedule.objects.get(func="jobcannon.audit.retention.retention_purge_workspace_task")
    assert schedule.schedule_type == Schedule.ONCE and schedule.next_run > timezone.now()
    retention_purge_workspace_task(*ast.literal_eval(schedule.args))  # what the scheduler runs

    purged = AuditEvent.objects.get(action="retention.purged")
    assert (purged.workspace, purged.actor, purged.data["webhook_bodies"]) == (workspace, user, 1)
    assert "shortened from 90 to 30 days" in purged.message
    event.refresh_from_db()
    assert bytes(event.body) == b""
