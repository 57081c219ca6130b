"""Writing synced records: upsert by (integration, ATS id), deletions, merges, and the sweep of
records a full pass no longer saw. Called by the run service (a page at a time) and by webhook
handlers (one record at a time); each call is one transaction.

Ordering rules, because pages and webhooks race:
- an incoming record older than the stored one (`updated_at` as the ATS reports it) only marks
  the stored one as seen: a slow full-sync page never overwrites what a webhook just refreshed;
- a record the ATS deleted or merged stays a tombstone unless the ATS shows it changed after the
  deletion; one erased on a privacy request is never copied again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.utils import timezone

from integrations.base import (
    SyncedApplication,
    SyncedCandidate,
    SyncedDeletion,
    SyncedJob,
    SyncedStage,
    SyncRecord,
)
from integrations.models import Integration

from .models import (
    Application,
    Candidate,
    DeletionReason,
    InterviewStage,
    Job,
    SeenVia,
    SyncedRecord,
    SyncRun,
)

# Which columns each record type writes (besides the bookkeeping ones).
FIELDS: dict[type, tuple[str, ...]] = {
    SyncedJob: ("title", "status", "department", "location", "requisition_id", "plan_external_id", "url"),
    SyncedStage: ("title", "plan_external_id", "order", "kind"),
    SyncedCandidate: ("name", "email", "phone", "profile_url"),
    SyncedApplication: (
        "candidate_external_id",
        "job_external_id",
        "stage_external_id",
        "stage_title",
        "status",
        "applied_at",
    ),
}
MODEL_FOR: dict[type, type[SyncedRecord]] = {
    SyncedJob: Job,
    SyncedStage: InterviewStage,
    SyncedCandidate: Candidate,
    SyncedApplication: Application,
}
MODEL_BY_NAME: dict[str, type[SyncedRecord]] = {
    "job": Job,
    "stage": InterviewStage,
    "candidate": Candidate,
    "application": Application,
}
# The models a resource stream is the complete list of (swept after a full pass).
RESOURCE_MODELS: dict[str, tuple[type[SyncedRecord], ...]] = {
    "jobs": (Job,),
    "stages": (InterviewStage,),
    "candidates": (Candidate,),
    "applications": (Application,),
}
BOOKKEEPING = (
    "remote_updated_at",
    "last_seen_at",
    "last_seen_run",
    "last_seen_via",
    "deleted_at",
    "deletion_reason",
)
# Tombstones a later copy of the record must not silently undo.
STICKY = (DeletionReason.DELETED, DeletionReason.MERGED, DeletionReason.ERASED)
PERSONAL = {"name": "", "email": "", "phone": "", "profile_url": ""}
APPLY_ORDER = (SyncedJob, SyncedStage, SyncedCandidate, SyncedApplication)


@dataclass
class Applied:
    written: int = 0
    seen_only: int = 0
    deleted: int = 0
    models: set[type[SyncedRecord]] = field(default_factory=set)


# No savepoint when nested (a webhook's processing transaction, a sync page's): an error rolls
# the caller's transaction back anyway, and a savepoint is two more round trips per webhook.
@transaction.atomic(savepoint=False)
def records_apply(
    *,
    integration: Integration,
    records: Iterable[SyncRecord],
    run: SyncRun | None = None,
    via: str = SeenVia.SYNC,
    now: dt.datetime | None = None,
) -> Applied:
    """Upsert typed records (one page, or a webhook's record) and apply deletions."""
    now = now or timezone.now()
    by_type: dict[type, dict[str, Any]] = {}
    deletions: list[SyncedDeletion] = []
    for record in records:
        if isinstance(record, SyncedDeletion):
            deletions.append(record)
        else:
            # The same id twice in one batch: the last copy wins, it is still one row.
            by_type.setdefault(type(record), {})[record.external_id] = record
    out = Applied()
    for kind in APPLY_ORDER:
        batch = by_type.get(kind)
        if batch:
            written, seen = _upsert(integration, kind, list(batch.values()), run=run, via=via, now=now)
            out.written += written
            out.seen_only += seen
            out.models.add(MODEL_FOR[kind])
    for deletion in deletions:
        out.deleted += record_delete(
            integration=integration,
            model=deletion.model,
            external_id=deletion.external_id,
            merged_into=deletion.merged_into,
            now=now,
        )
    return out


def _upsert(
    integration: Integration,
    kind: type,
    records: Sequence[Any],
    *,
    run: SyncRun | None,
    via: str,
    now: dt.datetime,
) -> tuple[int, int]:
    model = MODEL_FOR[kind]
    ids = [r.external_id for r in records]
    stored = {
        ext: (updated, reason, deleted)
        for ext, updated, reason, deleted in model.objects.filter(
            integration=integration, external_id__in=ids
        ).values_list("external_id", "remote_updated_at", "deletion_reason", "deleted_at")
    }
    fresh, seen = [], []
    for record in records:
        updated, reason, deleted = stored.get(record.external_id, (None, "", None))
        if reason == DeletionReason.ERASED:
            continue
        if reason in STICKY and not (record.updated_at and deleted and record.updated_at > deleted):
            continue
        if updated and record.updated_at and record.updated_at < updated:
            seen.append(record.external_id)
            continue
        fresh.append(record)
    if seen:
        model.objects.filter(integration=integration, external_id__in=seen).update(
            last_seen_at=now, last_seen_run=run, last_seen_via=via
        )
    if not fresh:
        return 0, len(seen)
    fields = FIELDS[kind]
    refs = _references(integration, fresh) if kind is SyncedApplication else {}
    rows = []
    for record in fresh:
        values = {name: getattr(record, name) for name in fields}
        values.update(refs.get(record.external_id, {}))
        rows.append(
            model(
                integration=integration,
                external_id=record.external_id,
                remote_updated_at=record.updated_at,
                first_seen_at=now,
                last_seen_at=now,
                last_seen_run=run,
                last_seen_via=via,
                deleted_at=None,
                deletion_reason="",
                **values,
            )
        )
    # One INSERT … ON CONFLICT DO UPDATE: safe against a webhook inserting the same new record
    # concurrently (PostgreSQL and SQLite both support it).
    update = [*fields, *BOOKKEEPING, *(("candidate", "job", "stage") if kind is SyncedApplication else ())]
    model.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["integration", "external_id"], update_fields=update
    )
    if kind is not SyncedApplication:
        _backfill(integration, kind, [r.external_id for r in fresh])
    return len(fresh), len(seen)


def _references(
    integration: Integration, records: Sequence[SyncedApplication]
) -> dict[str, dict[str, int | None]]:
    """Foreign keys of applications whose candidate / job / stage rows are already here."""

    # One query for the three (UNION ALL), not one per model: this runs for every webhook.
    wanted = {
        "candidate": (Candidate, {r.candidate_external_id for r in records} - {""}),
        "job": (Job, {r.job_external_id for r in records} - {""}),
        "stage": (InterviewStage, {r.stage_external_id for r in records} - {""}),
    }
    parts = [
        model.objects.filter(integration=integration, external_id__in=ids)
        .order_by()
        .annotate(ref_kind=Value(kind, output_field=CharField()))
        .values_list("ref_kind", "external_id", "pk")
        for kind, (model, ids) in wanted.items()
        if ids
    ]
    found: dict[str, dict[str, int]] = {"candidate": {}, "job": {}, "stage": {}}
    if parts:
        query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for kind, external_id, pk in query:
            found[kind][external_id] = pk
    candidates, jobs, stages = found["candidate"], found["job"], found["stage"]
    return {
        r.external_id: {
            "candidate_id": candidates.get(r.candidate_external_id),
            "job_id": jobs.get(r.job_external_id),
            "stage_id": stages.get(r.stage_external_id),
        }
        for r in records
    }


def _backfill(integration: Integration, kind: type, ids: list[str]) -> None:
    """Applications synced before their job / stage / candidate get the foreign key now."""
    fk, column = {
        SyncedJob: ("job", "job_external_id"),
        SyncedStage: ("stage", "stage_external_id"),
        SyncedCandidate: ("candidate", "candidate_external_id"),
    }[kind]
    target = MODEL_FOR[kind]
    Application.objects.filter(
        integration=integration, **{f"{fk}__isnull": True, f"{column}__in": ids}
    ).update(
        **{
            f"{fk}_id": Subquery(
                target.objects.filter(integration=integration, external_id=OuterRef(column)).values("pk")[:1]
            )
        }
    )


@transaction.atomic
def record_delete(
    *,
    integration: Integration,
    model: str,
    external_id: str,
    merged_into: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Soft-delete one record the ATS deleted (or merged into `merged_into`). A candidate's name
    and contact details are removed at once, and its applications go with it (or, on a merge,
    move to the surviving candidate). A record we never had is stored as a tombstone, so a page
    fetched before the deletion cannot bring it back. Returns the rows marked deleted."""
    now = now or timezone.now()
    cls = MODEL_BY_NAME[model]
    reason = reason or (DeletionReason.MERGED if merged_into else DeletionReason.DELETED)
    changes: dict[str, Any] = {"deleted_at": now, "deletion_reason": reason}
    if cls is Candidate:
        changes.update(PERSONAL, merged_into_external_id=merged_into)
    row, created = cls.objects.get_or_create(
        integration=integration,
        external_id=external_id,
        defaults={**changes, "last_seen_via": SeenVia.WEBHOOK},
    )
    if not created:
        if row.deletion_reason == DeletionReason.ERASED:
            return 0
        cls.objects.filter(pk=row.pk).update(**changes)
    count = 1
    if cls is Candidate:
        apps = Application.objects.filter(integration=integration, candidate_external_id=external_id)
        if merged_into:
            survivor = Candidate.objects.filter(integration=integration, external_id=merged_into).first()
            apps.update(candidate_external_id=merged_into, candidate=survivor)
        else:
            count += apps.filter(deleted_at__isnull=True).update(deleted_at=now, deletion_reason=reason)
    return count


def records_sweep_missing(
    *,
    integration: Integration,
    models: Iterable[type[SyncedRecord]],
    before: dt.datetime,
    now: dt.datetime | None = None,
) -> int:
    """After a complete full pass: what it did not see since `before` is no longer in the ATS."""
    now = now or timezone.now()
    total = 0
    for model in models:
        total += model.objects.filter(
            integration=integration, deleted_at__isnull=True, last_seen_at__lt=before
        ).update(deleted_at=now, deletion_reason=DeletionReason.MISSING)
    return total


def records_forget(*, integration: Integration) -> int:
    """Delete the whole synced copy of one integration (sync turned off) and its checkpoints, so
    turning it on again starts with a full sync."""
    from .models import SyncCheckpoint

    total = 0
    for model in (Application, Candidate, InterviewStage, Job):
        total += model.objects.filter(integration=integration).delete()[0]
    SyncCheckpoint.objects.filter(integration=integration).delete()
    return total
