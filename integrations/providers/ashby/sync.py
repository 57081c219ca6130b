"""Ashby's side of the data sync (seed 002 §4–6, reference §3.3–3.4), for AshbyProvider.sync_page
and sync_fetch. The sync service (integrations/sync/services.py) owns runs and checkpoints.

- `.list` endpoints: POST `{limit, cursor?, syncToken?}`; the answer has `results`,
  `moreDataAvailable`, `nextCursor`, and on the last page the `syncToken` to store.
- job.list, candidate.list and application.list sync incrementally with the stored syncToken;
  interviewPlan.list only pages (stages are re-read in full, one interviewStage.list per plan).
- A `success: false` answer to a request that sent a syncToken means "token expired": Ashby
  documents no error code for it (reference, "Not found" 2), so any refusal other than auth,
  permission or rate limit restarts the run as a full sync.
- `warnings` (partial success) travel on the page with the request id, so the service can
  show them; the client already maps 401 / 403 / missing_endpoint_permission and stores
  x-ashby-request-id (or errorInfo.requestId) on every OutboundCall row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from integrations.base import ATSValidationError, SyncPage, SyncRecord, SyncTokenExpired, sync_page_size

from . import constants, mappers

if TYPE_CHECKING:
    from integrations.models import Integration

    from .client import AshbyClient

RESOURCES = ("jobs", "stages", "candidates", "applications")
LISTS: dict[str, tuple[str, dict[str, Any], Callable[[Mapping[str, Any]], SyncRecord]]] = {
    "jobs": (constants.EP_JOB_LIST, {"expand": list(constants.JOB_EXPAND)}, mappers.job_from),
    "candidates": (constants.EP_CANDIDATE_LIST, {}, mappers.sync_candidate_from),
    "applications": (constants.EP_APPLICATION_LIST, {}, mappers.application_from),
}


def page_limit(integration: Integration) -> int:
    return sync_page_size(integration, constants.SYNC_PAGE_LIMIT)


def _warnings(data: Mapping[str, Any]) -> tuple[str, ...]:
    raw = data.get("warnings") or []
    items = raw if isinstance(raw, list) else [raw]
    return tuple(
        str(w.get("message") or w.get("code") or w) if isinstance(w, Mapping) else str(w) for w in items if w
    )


def sync_page(client: AshbyClient, resource: str, cursor: str, sync_token: str) -> SyncPage:
    if resource == "stages":
        return _stages_page(client, cursor)
    endpoint, extra, mapper = LISTS[resource]
    body: dict[str, Any] = {**extra, "limit": page_limit(client.integration)}
    if cursor:
        body["cursor"] = cursor
    if sync_token:
        body["syncToken"] = sync_token
    try:
        data = client.call(endpoint, body)
    except ATSValidationError as exc:
        if sync_token:
            raise SyncTokenExpired(
                f"Ashby refused the sync token on {endpoint}: {exc.message}",
                status_code=exc.status_code,
                vendor_code=exc.vendor_code,
                request_id=exc.request_id,
            ) from exc
        raise
    more = bool(data.get("moreDataAvailable"))
    return SyncPage(
        records=tuple(mapper(item) for item in data.get("results") or [] if isinstance(item, Mapping)),
        next_cursor=str(data.get("nextCursor") or "") if more else "",
        more=more,
        sync_token="" if more else str(data.get("syncToken") or ""),
        warnings=_warnings(data),
        request_id=client.last_request_id,
    )


def _stages_page(client: AshbyClient, cursor: str) -> SyncPage:
    body: dict[str, Any] = {"limit": page_limit(client.integration)}
    if cursor:
        body["cursor"] = cursor
    plans = client.call(constants.EP_INTERVIEW_PLAN_LIST, body)
    warnings = list(_warnings(plans))
    records: list[SyncRecord] = []
    for plan in plans.get("results") or []:
        if not isinstance(plan, Mapping) or not plan.get("id"):
            continue
        stages = client.call(constants.EP_INTERVIEW_STAGE_LIST, {"interviewPlanId": plan["id"]})
        warnings += _warnings(stages)
        records += [
            mappers.stage_from(s, plan_id=str(plan["id"]))
            for s in stages.get("results") or []
            if isinstance(s, Mapping)
        ]
    more = bool(plans.get("moreDataAvailable"))
    return SyncPage(
        records=tuple(records),
        next_cursor=str(plans.get("nextCursor") or "") if more else "",
        more=more,
        warnings=tuple(warnings),
        request_id=client.last_request_id,
    )


def sync_fetch(client: AshbyClient, resource: str, external_id: str) -> SyncPage:
    """One record via its `.info` endpoint (a webhook named it). *_not_found → ATSNotFound."""
    if resource == "applications":
        data = client.call(constants.EP_APPLICATION_INFO, {"applicationId": external_id})
        record: SyncRecord = mappers.application_from(data.get("results") or {"id": external_id})
    elif resource == "candidates":
        data = client.call(constants.EP_CANDIDATE_INFO, {"id": external_id})
        record = mappers.sync_candidate_from(data.get("results") or {"id": external_id})
    elif resource == "jobs":
        data = client.call(constants.EP_JOB_INFO, {"id": external_id, "expand": list(constants.JOB_EXPAND)})
        record = mappers.job_from(data.get("results") or {"id": external_id})
    else:
        raise ValueError(f"Ashby records of {resource!r} are not fetched one by one")
    return SyncPage(records=(record,), warnings=_warnings(data), request_id=client.last_request_id)
