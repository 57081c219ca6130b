"""Staff pages beyond the model admin (issue 21): being staff lets a user into the admin, and
each page or action also needs the model permission matching what it shows or changes."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from tests.factories import AssessmentRunFactory, IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db

LOG_VIEW = (
    "integrations.view_webhookevent",
    "integrations.view_outboundcall",
    "integrations.view_integrationactivity",
)
TIMELINE_VIEW = ("assessments.view_assessmentrun", "integrations.view_writebackmessage")


def staff_with(client, *perms):
    user = UserFactory(is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client.force_login(user)
    return client


@pytest.fixture
def dead_event():
    integration = IntegrationFactory()
    return WebhookEvent.objects.create(
        provider="fake", integration=integration, body=b"{}", verified=True, status=WebhookStatus.DEAD, error="boom"
    )  # fmt: skip


@pytest.fixture
def dead_writeback():
    integration = IntegrationFactory()
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, provider="fake")
    return WritebackMessage.objects.create(
        integration=integration, run=run, kind="r", event="completed", idempotency_key="k", status=WritebackStatus.DEAD
    )  # fmt: skip


def test_provider_logs_page_needs_the_log_view_permissions(client):
    url = reverse("admin-integration-logs", args=["fake"])
    assert staff_with(client).get(url).status_code == 403
    assert staff_with(client, *LOG_VIEW[:2]).get(url).status_code == 403  # activity lines are in the log too
    assert staff_with(client, *LOG_VIEW).get(url).status_code == 200


def test_reprocessing_from_the_logs_page_needs_the_change_permission(client, dead_event):
    url = reverse("admin-integration-logs", args=["fake"])
    post = {"action": "reprocess", "event": [dead_event.pk]}
    assert staff_with(client, *LOG_VIEW).post(url, post).status_code == 403
    dead_event.refresh_from_db()
    assert dead_event.status == WebhookStatus.DEAD
    assert (
        staff_with(client, *LOG_VIEW, "integrations.change_webhookevent").post(url, post).status_code == 302
    )
    dead_event.refresh_from_db()
    assert dead_event.status == WebhookStatus.VERIFIED


def test_replaying_from_the_logs_page_needs_the_change_permission(client, dead_writeback):
    url = reverse("admin-integration-logs", args=["fake"])
    post = {"action": "replay", "writeback": [dead_writeback.pk]}
    assert staff_with(client, *LOG_VIEW).post(url, post).status_code == 403
    dead_writeback.refresh_from_db()
    assert dead_writeback.status == WritebackStatus.DEAD
    assert (
        staff_with(client, *LOG_VIEW, "integrations.change_writebackmessage").post(url, post).status_code
        == 302
    )
    dead_writeback.refresh_from_db()
    assert dead_writeback.status == WritebackStatus.PENDING


def test_run_timeline_needs_view_permissions_and_its_replay_the_change_permission(client, dead_writeback):
    url = reverse("admin:integrations-run-timeline", args=[dead_writeback.run_id])
    assert staff_with(client).get(url).status_code == 403
    assert staff_with(client, *TIMELINE_VIEW).get(url).status_code == 200
    assert staff_with(client, *TIMELINE_VIEW).post(url, {"writeback": dead_writeback.pk}).status_code == 403
    dead_writeback.refresh_from_db()
    assert dead_writeback.status == WritebackStatus.DEAD
    staff_with(client, *TIMELINE_VIEW, "integrations.change_writebackmessage").post(
        url, {"writeback": dead_writeback.pk}
    )
    dead_writeback.refresh_from_db()
    assert dead_writeback.status == WritebackStatus.PENDING


def test_outbox_replay_page_needs_the_change_permission(client, dead_writeback):
    url = reverse("admin:integrations_writebackmessage_replay", args=[dead_writeback.pk])
    assert staff_with(client, "integrations.view_writebackmessage").get(url).status_code == 403
    viewer = staff_with(client, "integrations.view_writebackmessage", "integrations.change_writebackmessage")
    assert viewer.get(url).status_code == 200


@pytest.mark.parametrize(
    ("changelist", "action", "permission"),
    [
        ("admin:integrations_webhookevent_changelist", "reprocess", "integrations.change_webhookevent"),
        ("admin:integrations_writebackmessage_changelist", "replay", "integrations.change_writebackmessage"),
    ],
)
def test_admin_bulk_actions_need_the_change_permission(
    client, dead_event, dead_writeback, changelist, action, permission
):
    row = dead_event if action == "reprocess" else dead_writeback
    view = permission.replace(".change_", ".view_")
    post = {"action": action, "_selected_action": [row.pk]}
    page = staff_with(client, view).get(reverse(changelist)).content.decode()
    assert f'value="{action}"' not in page  # not offered...
    staff_with(client, view).post(reverse(changelist), post)  # ...and not run when posted anyway
    row.refresh_from_db()
    assert row.status in (WebhookStatus.DEAD, WritebackStatus.DEAD)
    assert (
        f'value="{action}"' in staff_with(client, view, permission).get(reverse(changelist)).content.decode()
    )
    staff_with(client, view, permission).post(reverse(changelist), post)
    row.refresh_from_db()
    assert row.status in (WebhookStatus.VERIFIED, WritebackStatus.PENDING)


# --- What each staff member is offered: only the actions they may run (issue 21) ----------------


def refused_readably(response, reason: str = "You do not have permission to do this.") -> bool:
    """A 403 on the site's error page (a heading and a sentence), not a bare status."""
    page = response.content.decode()
    return response.status_code == 403 and "<h1>Not allowed</h1>" in page and reason in page


def test_logs_page_shows_reprocess_and_replay_only_to_staff_who_may_use_them(
    client, dead_event, dead_writeback
):
    url = reverse("admin-integration-logs", args=["fake"])
    reprocess_controls = ('value="reprocess"', 'value="reprocess-range"', 'type="checkbox" name="event"')
    replay_controls = ('value="replay"', 'type="checkbox" name="writeback"', 'name="force"')

    viewer = staff_with(client, *LOG_VIEW, "integrations.view_writebackmessage")
    page = viewer.get(url).content.decode()
    assert 'id="webhook-log"' in page and 'id="writeback-attention"' in page  # the rows are shown...
    assert f">{dead_writeback.run_id}<" in page  # (the timeline link needs more permissions)
    for control in (*reprocess_controls, *replay_controls):
        assert control not in page  # ...without actions the viewer cannot run
    refused = viewer.post(url, {"action": "reprocess", "event": [dead_event.pk]})
    assert refused_readably(refused)

    page = staff_with(client, *LOG_VIEW, "integrations.change_webhookevent").get(url).content.decode()
    assert all(control in page for control in reprocess_controls)
    assert not any(control in page for control in replay_controls)

    replayer = staff_with(client, *LOG_VIEW, "integrations.change_writebackmessage", *TIMELINE_VIEW)
    page = replayer.get(url).content.decode()
    assert all(control in page for control in replay_controls)
    assert not any(control in page for control in reprocess_controls)
    timeline = reverse("admin:integrations-run-timeline", args=[dead_writeback.run_id])
    assert f'href="{timeline}"' in page


def test_stuck_write_backs_on_the_logs_page_need_the_write_back_view_permission(client):
    integration = IntegrationFactory(workspace__name="Secretive Customer Ltd")
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, provider="fake")
    WritebackMessage.objects.create(
        integration=integration, run=run, kind="result-note", event="completed", idempotency_key="k",
        status=WritebackStatus.DEAD, last_error="ATS said 422: candidate 9f2 archived",
    )  # fmt: skip
    url = reverse("admin-integration-logs", args=["fake"])
    stuck_row = (
        "Secretive Customer Ltd",
        "result-note",
        "candidate 9f2 archived",
        'id="writeback-attention"',
    )

    page = staff_with(client, *LOG_VIEW).get(url).content.decode()
    assert 'id="webhook-log"' in page  # the log itself is shown...
    assert not any(shown in page for shown in stuck_row)  # ...not the stuck write-backs
    assert "Write-backs needing attention" not in page

    page = staff_with(client, *LOG_VIEW, "integrations.view_writebackmessage").get(url).content.decode()
    assert all(shown in page for shown in stuck_row)


def test_staff_run_timeline_shows_replay_only_to_staff_who_may_replay(client, dead_writeback):
    url = reverse("admin:integrations-run-timeline", args=[dead_writeback.run_id])
    viewer = staff_with(client, *TIMELINE_VIEW)
    page = viewer.get(url).content.decode()
    assert 'id="timeline"' in page and 'value="Replay"' not in page
    assert 'href="/admin/integrations/fake/logs' not in page  # no log permissions either
    assert refused_readably(viewer.post(url, {"writeback": dead_writeback.pk}))
    page = (
        staff_with(client, *TIMELINE_VIEW, "integrations.change_writebackmessage").get(url).content.decode()
    )
    assert 'value="Replay"' in page


def test_outbox_list_shows_replay_buttons_only_to_staff_who_may_replay(client, dead_writeback):
    changelist = reverse("admin:integrations_writebackmessage_changelist")
    replay = reverse("admin:integrations_writebackmessage_replay", args=[dead_writeback.pk])
    viewer = staff_with(client, "integrations.view_writebackmessage")
    page = viewer.get(changelist).content.decode()
    assert f"#{dead_writeback.pk}" in page or str(dead_writeback.pk) in page
    assert f'href="{replay}"' not in page
    assert refused_readably(viewer.get(replay))
    page = (
        staff_with(client, "integrations.view_writebackmessage", "integrations.change_writebackmessage")
        .get(changelist)
        .content.decode()
    )
    assert f'href="{replay}"' in page


@pytest.mark.parametrize("editor", [False, True])
def test_integration_admin_links_the_logs_only_for_staff_who_may_open_them(client, editor):
    integration = IntegrationFactory()
    changelist = reverse("admin:integrations_integration_changelist")
    change = reverse("admin:integrations_integration_change", args=[integration.pk])
    logs = f"{reverse('admin-integration-logs', args=['fake'])}?workspace={integration.workspace_id}"
    model = ("integrations.view_integration", "integrations.change_integration")[: 1 + editor]

    without = staff_with(client, *model)
    assert without.get(logs).status_code == 403  # where the link would lead
    for url in (changelist, change):
        response = without.get(url)
        page = response.content.decode()
        assert response.status_code == 200 and str(integration.workspace) in page  # the row is shown...
        assert f'href="{logs}"' not in page  # ...without a link to a 403, nor an empty Logs column
        assert "column-logs_link" not in page and "field-logs_link" not in page

    viewer = staff_with(client, *model, *LOG_VIEW)
    for url in (changelist, change):
        assert f'href="{logs}"' in viewer.get(url).content.decode()
    assert viewer.get(logs).status_code == 200


def test_revoking_reconnect_links_in_the_admin_needs_the_change_permission(client):
    from urllib.parse import urlsplit

    from integrations.services.reconnect import reconnect_link_create

    integration = IntegrationFactory()
    link = urlsplit(reconnect_link_create(integration=integration)).path
    changelist = reverse("admin:integrations_integration_changelist")
    post = {"action": "revoke_reconnect_links", "_selected_action": [integration.pk]}
    viewer = staff_with(client, "integrations.view_integration")
    assert 'value="revoke_reconnect_links"' not in viewer.get(changelist).content.decode()
    viewer.post(changelist, post)
    client.logout()
    assert client.get(link).status_code == 200  # still open
    editor = staff_with(client, "integrations.view_integration", "integrations.change_integration")
    assert 'value="revoke_reconnect_links"' in editor.get(changelist).content.decode()
    editor.post(changelist, post)
    client.logout()
    assert client.get(link).status_code == 410


@pytest.mark.parametrize(("role", "may_replay"), [("member", False), ("admin", True)])
def test_customer_timeline_offers_replay_by_workspace_role_not_by_staff_status(client, role, may_replay):
    from tests.factories import MembershipFactory

    integration = IntegrationFactory()
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, provider="fake")
    message = WritebackMessage.objects.create(
        integration=integration, run=run, kind="r", event="completed", idempotency_key="k", status=WritebackStatus.DEAD
    )  # fmt: skip
    staff = MembershipFactory(workspace=integration.workspace, role=role).user
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    page = client.get(reverse("integrations:run-timeline", args=[run.pk])).content.decode()
    assert ("Replay from here" in page) is may_replay
    response = client.post(reverse("integrations:writeback-replay", args=[run.pk, message.pk]))
    message.refresh_from_db()
    if may_replay:
        assert response.status_code == 302 and message.status == WritebackStatus.PENDING
    else:
        assert refused_readably(response, "Only workspace owners and admins can do this.")
        assert message.status == WritebackStatus.DEAD
