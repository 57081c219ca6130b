"""Synced candidate data follows the workspace's retention policy (Workspace.retention_days):

- a record the ATS deleted, merged away or no longer lists is purged once it has been removed
  for longer than the window (the tombstone keeps a late page from bringing it back meanwhile);
- the copy held for an integration that no longer syncs (disconnected, needs re-authorization,
  sync turned off) is purged once nothing has refreshed it for longer than the window;
- sync run logs finished longer ago than the window are deleted (runs that found nothing to do,
  after a day).

A live record of a syncing integration is current data, not old data: it stays (the weekly full
pass re-reads it and removes what the ATS dropped). A candidate erased on a privacy request
keeps only a tombstone with the ATS id, so the next sync does not copy them again.

Runs in bounded chunks, each its own short transaction."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations.models import Integration, IntegrationStatus
from jobcannon.workspaces.models import Workspace

from .models import (
    UNFINISHED,
    Application,
    Candidate,
    DeletionReason,
    InterviewStage,
    Job,
    SyncedRecord,
    SyncRun,
    SyncStatus,
)
from .records import PERSONAL

logger = logging.getLogger(__name__)
CHUNK = 500
IDLE_RUNS_KEPT = dt.timedelta(days=1)
MAX_CHUNKS = 200  # per model and window per call; the next scheduled call continues


def _not_syncing() -> Q:
    return ~Q(integration__status=IntegrationStatus.CONNECTED) | Q(
        integration__provider_settings__sync_enabled=False
    )


def _delete_in_chunks(qs: QuerySet) -> int:
    total = 0
    for _ in range(MAX_CHUNKS):
        ids = list(qs.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        with transaction.atomic():
            total += qs.model.objects.filter(pk__in=ids).delete()[0]
    return total


def synced_data_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the policy over every workspace window. Returns what was deleted, by kind."""
    now = now or timezone.now()
    counts = {"applications": 0, "candidates": 0, "jobs": 0, "stages": 0, "sync_runs": 0}
    for days in sorted(set(Workspace.objects.values_list("retention_days", flat=True))):
        cutoff = now - dt.timedelta(days=days)
        scope = Q(integration__workspace__retention_days=days)
        expired = (Q(deleted_at__lt=cutoff) & ~Q(deletion_reason=DeletionReason.ERASED)) | (
            _not_syncing() & Q(last_seen_at__lt=cutoff) & ~Q(deletion_reason=DeletionReason.ERASED)
        )
        models: list[tuple[str, type[SyncedRecord]]] = [
            ("applications", Application),
            ("candidates", Candidate),
            ("jobs", Job),
            ("stages", InterviewStage),
        ]
        for name, model in models:
            counts[name] += _delete_in_chunks(model.objects.filter(scope, expired))
        runs = SyncRun.objects.filter(scope, finished_at__lt=cutoff).exclude(status__in=UNFINISHED)
        counts["sync_runs"] += _delete_in_chunks(runs)
    # Routine runs that found nothing to do are noise after a day (a tick every 15–60 minutes).
    idle = SyncRun.objects.filter(
        status=SyncStatus.SUCCEEDED,
        records_upserted=0,
        records_deleted=0,
        attempts=1,
        finished_at__lt=now - IDLE_RUNS_KEPT,
    )
    counts["sync_runs"] += _delete_in_chunks(idle)
    if any(counts.values()):
        logger.info("sync.retention_purged", extra=counts)
    return counts


@transaction.atomic
def synced_candidate_erase(*, workspace: Workspace, email: str) -> int:
    """A privacy erasure: every synced candidate of the workspace with this address loses their
    personal data at once and their applications are deleted; an ATS-id-only tombstone stays so
    later syncs do not copy them back. Returns the candidates erased."""
    email = (email or "").strip()
    if not email:
        return 0
    integrations = Integration.objects.filter(workspace=workspace)
    candidates = Candidate.objects.filter(integration__in=integrations, email__iexact=email)
    rows = list(candidates.values_list("pk", "integration_id", "external_id"))
    if not rows:
        return 0
    ids = [pk for pk, _, _ in rows]
    Application.objects.filter(candidate_id__in=ids).delete()
    for _, integration_id, external_id in rows:  # applications synced before their candidate row
        Application.objects.filter(integration_id=integration_id, candidate_external_id=external_id).delete()
    Candidate.objects.filter(pk__in=ids).update(
        **PERSONAL, deleted_at=timezone.now(), deletion_reason=DeletionReason.ERASED
    )
    return len(ids)
