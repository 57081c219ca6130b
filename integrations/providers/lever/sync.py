"""Lever's side of the ATS data sync (engine: integrations/sync/services.py), for
LeverProvider.sync_page / sync_fetch. Kept apart from client.py/mappers.py while the Lever
provider is still being finished; the mapping functions below are pure, like mappers.py's.

Lever Data API v1 (https://hire.lever.co/developer/documentation, reference
lever-smartrecruiters-knit.md §1.3, §1.7):
- lists page with `limit` (1–100) and `offset` = the previous page's opaque `next`, answering
  `{"data": [...], "hasNext": bool, "next": "..."}`;
- `GET /opportunities` filters by `updated_at_start` (ms): our incremental sync. The checkpoint is
  the time the run's first page was asked for, less an overlap for clock skew between Lever and
  us (re-reading a few records is harmless: they are upserted by id). It is carried in our cursor
  and becomes the sync token on the last page, stored by the service only when the run succeeds;
- an opportunity is one candidacy of a person (`contact` is the stable person id): it yields a
  candidate (the contact) and an application (the opportunity, at most one posting);
- postings and stages have no change filter: they are read in full each run (small lists);
  stages are account-wide, in pipeline order."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from integrations.base import (
    SyncedApplication,
    SyncedCandidate,
    SyncedJob,
    SyncedStage,
    SyncPage,
    SyncRecord,
    sync_cursor_load,
    sync_page_size,
)

if TYPE_CHECKING:
    from .client import LeverClient

RESOURCES = ("jobs", "stages", "applications")
PAGE_LIMIT = 100
OVERLAP_MS = 5 * 60 * 1000
# Resource → (path, operation name for scopes/logs, fixed query).
LISTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "jobs": ("/postings", "postings.list", {}),
    "stages": ("/stages", "stages.list", {}),
    "applications": ("/opportunities", "opportunities.list", {"expand": ["applications", "stage"]}),
}


def _when(ms: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC) if isinstance(ms, int | float) and ms > 0 else None


def _id(value: Any) -> str:
    """Lever fields that are an id, or the object itself when expanded."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


# --- mapping (pure) ---------------------------------------------------------------------------


def job_from(posting: Mapping[str, Any]) -> SyncedJob:
    categories = posting.get("categories") or {}
    codes = posting.get("requisitionCodes") or []
    return SyncedJob(
        external_id=str(posting["id"]),
        title=str(posting.get("text") or "")[:300],
        status=str(posting.get("state") or "")[:40],
        department=str(categories.get("department") or categories.get("team") or "")[:200],
        location=str(categories.get("location") or "")[:200],
        requisition_id=str(codes[0] if codes else "")[:120],
        url=str((posting.get("urls") or {}).get("show") or "")[:500],
        updated_at=_when(posting.get("updatedAt")),
    )


def stage_from(stage: Mapping[str, Any], *, order: int) -> SyncedStage:
    return SyncedStage(external_id=str(stage["id"]), title=str(stage.get("text") or "")[:200], order=order)


def opportunity_records(opp: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    contact = _id(opp.get("contact")) or str(opp["id"])
    applications = [a for a in opp.get("applications") or [] if isinstance(a, Mapping)]
    application = applications[0] if applications else {}
    phones = opp.get("phones") or []
    stage = opp.get("stage")
    updated = _when(opp.get("updatedAt"))
    archived = opp.get("archived")
    candidate = SyncedCandidate(
        external_id=contact,
        name=str(opp.get("name") or "")[:300],
        email=str((opp.get("emails") or [""])[0] or "")[:254],
        phone=str(phones[0].get("value") if phones and isinstance(phones[0], Mapping) else "")[:60],
        profile_url=str((opp.get("urls") or {}).get("show") or "")[:500],
        updated_at=updated,
    )
    return (
        candidate,
        SyncedApplication(
            external_id=str(opp["id"]),
            candidate_external_id=contact,
            job_external_id=_id(application.get("posting")),
            stage_external_id=_id(stage),
            stage_title=str(stage.get("text") or "")[:200] if isinstance(stage, Mapping) else "",
            status="archived" if archived else str(application.get("status") or "active")[:40],
            applied_at=_when(application.get("createdAt") or opp.get("createdAt")),
            updated_at=updated,
        ),
    )


# --- paging -------------------------------------------------------------------------------------


def page_limit(client: LeverClient) -> int:
    return sync_page_size(client.integration, PAGE_LIMIT)


def sync_page(client: LeverClient, resource: str, cursor: str, sync_token: str) -> SyncPage:
    path, operation, fixed = LISTS[resource]
    position = sync_cursor_load(cursor)
    # The checkpoint this run will store: when its first page was asked for, less the overlap.
    mark = int(position.get("mark") or time.time() * 1000 - OVERLAP_MS)
    params: dict[str, Any] = {**fixed, "limit": page_limit(client)}
    if position.get("offset"):
        params["offset"] = position["offset"]
    if resource == "applications" and sync_token:
        params["updated_at_start"] = int(sync_token)
    response = client.request("GET", path, operation=operation, params=params)
    body = response.json()
    items = [i for i in body.get("data") or [] if isinstance(i, Mapping)]
    seen = int(position.get("seen") or 0)
    records: list[SyncRecord] = []
    if resource == "jobs":
        records = [job_from(i) for i in items]
    elif resource == "stages":
        records = [stage_from(i, order=seen + n) for n, i in enumerate(items, start=1)]
    else:
        for item in items:
            records.extend(opportunity_records(item))
    more = bool(body.get("hasNext") and body.get("next"))
    next_cursor = (
        json.dumps({"offset": body["next"], "mark": mark, "seen": seen + len(items)}) if more else ""
    )
    return SyncPage(
        records=tuple(records),
        next_cursor=next_cursor,
        more=more,
        sync_token=str(mark) if resource == "applications" and not more else "",
        request_id=client.vendor_request_id(response),
    )


def sync_fetch(client: LeverClient, resource: str, external_id: str) -> SyncPage:
    """One opportunity (a webhook named it); 404 → ATSNotFound from the client."""
    if resource != "applications":
        raise ValueError(f"Lever records of {resource!r} are not fetched one by one")
    body = client.request(
        "GET",
        f"/opportunities/{external_id}",
        operation="opportunities.get",
        params={"expand": ["applications", "stage"]},
    ).json()
    return SyncPage(records=opportunity_records(body.get("data") or {"id": external_id}))
