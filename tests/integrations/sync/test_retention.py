"""Synced candidate data follows the workspace's retention window and privacy erasure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from integrations.models import IntegrationStatus
from integrations.sync.models import Application, Candidate, DeletionReason, SyncMode, SyncRun, SyncStatus
from integrations.sync.retention import synced_candidate_erase, synced_data_purge
from integrations.sync.services import sync_integration, sync_run_start
from tests.factories import IntegrationFactory, WorkspaceFactory


def _ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.mark.django_db
def test_removed_candidates_are_purged_once_past_the_workspace_window():
    workspace = WorkspaceFactory(retention_days=30)
    integration = IntegrationFactory(
        workspace=workspace, provider="ashby", status=IntegrationStatus.CONNECTED
    )
    old = Candidate.objects.create(
        integration=integration,
        external_id="c-old",
        deleted_at=_ago(31),
        deletion_reason=DeletionReason.DELETED,
    )
    recent = Candidate.objects.create(
        integration=integration,
        external_id="c-recent",
        deleted_at=_ago(5),
        deletion_reason=DeletionReason.MISSING,
    )
    live = Candidate.objects.create(
        integration=integration, external_id="c-live", name="Alex Example", last_seen_at=_ago(200)
    )
    Application.objects.create(
        integration=integration, external_id="a-old", candidate=old, deleted_at=_ago(40)
    )

    counts = synced_data_purge()

    assert counts["candidates"] == 1 and counts["applications"] == 1
    assert set(Candidate.objects.values_list("external_id", flat=True)) == {
        recent.external_id,
        live.external_id,
    }


@pytest.mark.django_db
def test_the_copy_of_an_integration_that_no_longer_syncs_ages_out():
    workspace = WorkspaceFactory(retention_days=7)
    stopped = IntegrationFactory(workspace=workspace, provider="ashby", status=IntegrationStatus.DISCONNECTED)
    syncing = IntegrationFactory(
        workspace=workspace, provider="ashby", environment="production", status=IntegrationStatus.CONNECTED
    )
    Candidate.objects.create(integration=stopped, external_id="c-1", last_seen_at=_ago(8))
    Candidate.objects.create(integration=stopped, external_id="c-2", last_seen_at=_ago(2))
    Candidate.objects.create(integration=syncing, external_id="c-3", last_seen_at=_ago(8))

    synced_data_purge()

    assert set(Candidate.objects.values_list("external_id", flat=True)) == {"c-2", "c-3"}


@pytest.mark.django_db
def test_each_workspace_keeps_its_own_window():
    short = IntegrationFactory(workspace=WorkspaceFactory(retention_days=10), provider="ashby")
    long = IntegrationFactory(workspace=WorkspaceFactory(retention_days=365), provider="ashby")
    for integration in (short, long):
        Candidate.objects.create(
            integration=integration, external_id="gone", deleted_at=_ago(20), deletion_reason="deleted_in_ats"
        )

    synced_data_purge()

    assert list(Candidate.objects.values_list("integration_id", flat=True)) == [long.pk]


@pytest.mark.django_db
def test_old_sync_run_logs_are_deleted_but_an_unfinished_run_is_kept():
    integration = IntegrationFactory(workspace=WorkspaceFactory(retention_days=30), provider="ashby")
    done = SyncRun.objects.create(
        integration=integration,
        resource="jobs",
        mode=SyncMode.FULL,
        status=SyncStatus.SUCCEEDED,
        finished_at=_ago(31),
    )
    failed = SyncRun.objects.create(
        integration=integration,
        resource="candidates",
        mode=SyncMode.FULL,
        status=SyncStatus.FAILED,
        finished_at=_ago(31),
    )

    assert synced_data_purge()["sync_runs"] == 1
    assert not SyncRun.objects.filter(pk=done.pk).exists() and SyncRun.objects.filter(pk=failed.pk).exists()


@pytest.mark.django_db
def test_privacy_erasure_removes_the_candidate_and_later_syncs_do_not_bring_them_back(ashby):
    sync_integration(integration=ashby)
    target = Candidate.objects.filter(integration=ashby).order_by("pk").first()
    email = target.email

    assert synced_candidate_erase(workspace=ashby.workspace, email=email.upper()) == 1

    target.refresh_from_db()
    assert target.name == "" and target.email == "" and target.deletion_reason == DeletionReason.ERASED
    assert not Application.objects.filter(
        integration=ashby, candidate_external_id=target.external_id
    ).exists()
    sync_run_start(integration=ashby, resource="candidates", full=True)
    target.refresh_from_db()
    assert target.email == "" and target.deletion_reason == DeletionReason.ERASED
    synced_data_purge(now=timezone.now() + dt.timedelta(days=3650))
    assert Candidate.objects.filter(pk=target.pk).exists(), "the tombstone outlives the window"


@pytest.mark.django_db
def test_erasure_only_touches_the_workspace_that_asked(ashby, other_workspace):
    elsewhere = IntegrationFactory(workspace=other_workspace, provider="ashby")
    Candidate.objects.create(
        integration=elsewhere, external_id="x", email="robin.sample@example.com", name="Robin"
    )
    Candidate.objects.create(
        integration=ashby, external_id="y", email="robin.sample@example.com", name="Robin"
    )

    assert synced_candidate_erase(workspace=ashby.workspace, email="robin.sample@example.com") == 1
    assert Candidate.objects.get(integration=elsewhere).name == "Robin"


@pytest.mark.django_db
def test_idle_routine_runs_are_pruned_after_a_day_and_busy_ones_kept():
    integration = IntegrationFactory(workspace=WorkspaceFactory(retention_days=90), provider="ashby")
    idle = SyncRun.objects.create(
        integration=integration,
        resource="jobs",
        mode=SyncMode.INCREMENTAL,
        status=SyncStatus.SUCCEEDED,
        finished_at=_ago(2),
    )
    busy = SyncRun.objects.create(
        integration=integration,
        resource="jobs",
        mode=SyncMode.INCREMENTAL,
        status=SyncStatus.SUCCEEDED,
        records_upserted=3,
        finished_at=_ago(2),
    )
    today = SyncRun.objects.create(
        integration=integration,
        resource="jobs",
        mode=SyncMode.INCREMENTAL,
        status=SyncStatus.SUCCEEDED,
        finished_at=_ago(0.1),
    )

    synced_data_purge()

    assert set(SyncRun.objects.values_list("pk", flat=True)) == {busy.pk, today.pk}
    assert idle.pk not in set(SyncRun.objects.values_list("pk", flat=True))
