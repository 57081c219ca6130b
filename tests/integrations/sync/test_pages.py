"""The customer's sync-runs page and run detail (workspace-scoped), and the staff full resync."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import IntegrationActivity
from integrations.registry import provider_for
from integrations.sync import simulator as faults
from integrations.sync.models import SyncMode, SyncRun, SyncStatus
from integrations.sync.services import sync_integration, sync_run_start
from integrations.sync.tasks import sync_resource_task
from tests.factories import IntegrationFactory


@pytest.mark.django_db
def test_runs_page_shows_pages_records_warnings_errors_and_checkpoint(
    client_in_workspace, ashby, django_assert_max_num_queries
):
    sync_integration(integration=ashby)
    faults.fault_set("ashby", "candidate.list", page=2)
    failed = sync_run_start(integration=ashby, resource="candidates", full=True)

    with django_assert_max_num_queries(30):
        response = client_in_workspace.get(reverse("sync:runs", args=[ashby.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Failed (resumes on the next run)" in html and failed.last_error["request_id"] in html
    assert "Succeeded" in html and "Interview stages" in html
    checkpoint = SyncRun.objects.get(integration=ashby, resource="applications").checkpoint_out
    assert checkpoint[:13] in html, "the checkpoint a run produced is shown"
    assert "candidates" in html.lower() and "every 30 minutes" in html


@pytest.mark.django_db
def test_run_detail_lists_the_calls_with_ashby_request_ids(client_in_workspace, ashby):
    faults.fault_set("ashby", "candidate.list", page=2)
    run = sync_run_start(integration=ashby, resource="candidates")

    html = client_in_workspace.get(reverse("sync:run", args=[ashby.pk, run.pk])).content.decode()

    assert run.last_error["request_id"] in html and "Ashby failed (503)" in html
    assert "continues from page 2" in html and "stored only when the whole run succeeds" in html
    assert html.count("candidate.list") >= 2


@pytest.mark.django_db
def test_another_workspaces_integration_and_runs_answer_404(client_in_workspace, ashby, other_workspace):
    foreign = IntegrationFactory(workspace=other_workspace, provider="ashby")
    run = SyncRun.objects.create(integration=foreign, resource="jobs", mode=SyncMode.FULL)
    mine = SyncRun.objects.create(
        integration=ashby, resource="jobs", mode=SyncMode.FULL, status=SyncStatus.SUCCEEDED
    )

    assert client_in_workspace.get(reverse("sync:runs", args=[foreign.pk])).status_code == 404
    assert client_in_workspace.get(reverse("sync:run", args=[foreign.pk, run.pk])).status_code == 404
    assert client_in_workspace.get(reverse("sync:run", args=[ashby.pk, run.pk])).status_code == 404
    assert client_in_workspace.get(reverse("sync:run", args=[ashby.pk, mine.pk])).status_code == 200


@pytest.mark.django_db
def test_runs_page_needs_sign_in(client, ashby):
    response = client.get(reverse("sync:runs", args=[ashby.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_staff_full_resync_action_queues_a_full_run_that_ignores_the_checkpoint(
    admin_client, ashby, enqueued
):
    first = sync_run_start(integration=ashby, resource="candidates")

    response = admin_client.post(
        reverse("admin:sync_syncrun_changelist"),
        {"action": "full_resync", "_selected_action": [first.pk]},
        follow=True,
    )

    assert response.status_code == 200 and "Full resync queued" in response.content.decode()
    assert enqueued == [
        ("integrations.sync.refresh.sync_resource_task", ashby.pk, "candidates", True, "staff")
    ]
    assert IntegrationActivity.objects.filter(integration=ashby, kind="sync.full_resync_requested").exists()
    sync_resource_task(*enqueued[0][1:])
    run = SyncRun.objects.filter(integration=ashby, resource="candidates").order_by("-pk").first()
    assert run.mode == SyncMode.FULL and run.trigger == "staff" and run.status == SyncStatus.SUCCEEDED


@pytest.mark.django_db
def test_staff_full_resync_of_a_whole_integration_from_the_integrations_list(admin_client, ashby, enqueued):
    response = admin_client.post(
        reverse("admin:sync_syncedintegration_changelist"),
        {"action": "full_resync", "_selected_action": [ashby.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert [call[2] for call in enqueued] == ["jobs", "stages", "candidates", "applications"]


@pytest.mark.django_db
def test_customers_cannot_reach_the_staff_action(client_in_workspace, ashby):
    response = client_in_workspace.get(reverse("admin:sync_syncrun_changelist"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_admin_sets_the_interval_and_a_bad_one_is_refused_with_a_reason(
    client_in_workspace, ashby, membership
):
    membership.role = "admin"
    membership.save()
    url = reverse("sync:runs", args=[ashby.pk])

    bad = client_in_workspace.post(url, {"enabled": "on", "interval_minutes": "5"})
    assert bad.status_code == 400 and "greater than or equal to 15" in bad.content.decode()

    ok = client_in_workspace.post(url, {"enabled": "on", "interval_minutes": "45"})
    assert ok.status_code == 302
    ashby.refresh_from_db()
    assert ashby.provider_settings["sync_interval_minutes"] == 45


@pytest.mark.django_db
def test_turning_sync_off_deletes_the_copy(client_in_workspace, ashby, membership):
    from integrations.sync.models import Candidate, SyncCheckpoint

    membership.role = "owner"
    membership.save()
    sync_integration(integration=ashby)
    assert Candidate.objects.filter(integration=ashby).exists()

    client_in_workspace.post(reverse("sync:runs", args=[ashby.pk]), {"interval_minutes": "30"})

    ashby.refresh_from_db()
    assert ashby.provider_settings["sync_enabled"] is False
    assert not Candidate.objects.filter(integration=ashby).exists()
    assert not SyncCheckpoint.objects.filter(integration=ashby).exists()
    line = IntegrationActivity.objects.get(integration=ashby, kind="sync.settings_changed")
    assert "turned off" in line.message


@pytest.mark.django_db
def test_members_cannot_change_sync_settings(client_in_workspace, ashby, membership):
    membership.role = "member"
    membership.save()
    response = client_in_workspace.post(reverse("sync:runs", args=[ashby.pk]), {"interval_minutes": "30"})
    assert response.status_code == 403
    ashby.refresh_from_db()
    assert ashby.provider_settings.get("sync_enabled", True) is True


@pytest.mark.django_db
def test_ashby_integration_page_links_to_the_sync_and_lists_its_webhooks(client_in_workspace, ashby):
    from integrations.providers.ashby.webhooks import register

    register(client=provider_for(ashby).client(ashby), integration=ashby)

    html = client_in_workspace.get(reverse("integrations:detail", args=[ashby.pk])).content.decode()

    assert reverse("sync:runs", args=[ashby.pk]) in html
    assert "candidateDelete" in html and "candidateMerge" in html


@pytest.mark.django_db
def test_staff_full_resync_needs_the_checkpoint_change_permission(client, ashby, enqueued):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    run = sync_run_start(integration=ashby, resource="candidates")
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="sync", codename="view_syncrun")
    )
    client.force_login(staff)
    post = {"action": "full_resync", "_selected_action": [run.pk]}
    client.post(reverse("admin:sync_syncrun_changelist"), post)
    assert enqueued == []  # staff who may only look at the runs cannot start a resync
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="sync", codename="change_synccheckpoint")
    )
    client.force_login(staff)
    client.post(reverse("admin:sync_syncrun_changelist"), post)
    assert [call[0] for call in enqueued] == ["integrations.sync.refresh.sync_resource_task"]
