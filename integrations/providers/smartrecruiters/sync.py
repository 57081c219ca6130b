"""SmartRecruiters' side of the ATS data sync (engine: integrations/sync/services.py), for
SmartRecruitersProvider.sync_page / sync_fetch. Kept apart from client.py/mappers.py while the
provider is still being finished; the mapping functions below are pure, like mappers.py's.

SmartRecruiters Customer API, paging as SR's own parameter text says (SRO `paths./jobs.get`
Jobs_searchJobsByParams and `paths./candidates.get` Candidates_searchResults in
konfig-sdks/openapi-examples:smartrecruiters/openapi.yaml @03ba507a; the same text in OCM
`src/Tools/SmartRecruitersJobsJobsAll.php` / `SmartRecruitersCandidatesCandidatesAll.php`
@c985435e, generated from SR's `jobs-api.json` / `candidates-api.json`) [F]:
- both lists take `limit` (1-100) and `pageId`; the next `pageId` is the answer's `nextPageId`
  or, for both, the `next` link of the `Link` header (RFC 5988; SRO's example
  `</candidates?limit=10&pageId=...>; rel="next"`). We follow `nextPageId`, else the link, and
  stop when there is neither;
- GET /jobs: "You must set `job_id` value for `sort` parameter if you use `pageId`"; the default
  sort "Can't be used with pageId parameter (request might not return all results)". We send
  `sort=job_id` on every jobs page, the first too, so the `nextPageId` we follow belongs to that
  order. `offset` is "very slow and is deprecated, please use `pageId` instead": never sent;
- GET /candidates has no `offset` at all: never sent. (A cursor stored by an older version, with
  `offset` and no `pageId`, restarts the list from its first page: records are upserted, never
  duplicated.)
- An answer without a next page whose `totalFound` says more than the run has read ends the run
  with a warning naming both numbers (partial, not a silent success) [I: SR does not say whether
  `totalFound` can exceed what `pageId` paging hands out];
- `GET /candidates` filters by `updatedAfter` (ISO 8601): our incremental sync. The checkpoint is
  the time of the run's first page less an overlap for clock skew, carried in the cursor and
  stored by the service only when the run succeeds;
- a candidate's applications are its job assignments (`primaryAssignment`, then
  `secondaryAssignments`): application id = "<candidate id>:<job id>"; its place in the pipeline
  is the assignment's `status` (SRO CandidateStatusEnum) and `subStatus` (free text);
- SR publishes no per-job stages (SRO's Job has no hiring process; constants.CANDIDATE_STATUSES
  says why the Configuration API's hiring processes do not help): every job's stages are SR's
  candidate statuses, "<job id>:<status>" with the job as the stage's plan, and an application's
  stage is "<job id>:<its status>", titled with the sub-status ("In review: Assessment"). Jobs are
  read in full each run.

An answer we cannot read is a failed run with the reason, never a silent zero (the rule Knit's
sync follows, knit/sync.py page_read): no `content` list, or a page whose items none has an `id`,
raises ATSValidationError; items without an `id` on an otherwise readable page are skipped with
a warning on the run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from django.utils import timezone

from integrations.base import (
    ATSValidationError,
    SyncedApplication,
    SyncedCandidate,
    SyncedJob,
    SyncedStage,
    SyncPage,
    SyncRecord,
    response_json_or_none,
    sync_cursor_load,
    sync_iso_datetime,
    sync_page_size,
)

from . import constants, mappers

if TYPE_CHECKING:
    import requests

    from .client import SmartRecruitersClient, SmartRecruitersCompanyClient

    # The company credentials once SR issued them (provider.reads_client), else the OAuth token.
    ReadsClient = SmartRecruitersClient | SmartRecruitersCompanyClient

RESOURCES = ("jobs", "candidates")
PAGE_LIMIT = 100
JOBS_SORT = "job_id"  # GET /jobs `sort`: "The only supported sorting order when using pageId"
OVERLAP = dt.timedelta(minutes=5)
LISTS = {"jobs": ("/jobs", "jobs.list"), "candidates": ("/candidates", "candidates.list")}


# --- mapping (pure) ---------------------------------------------------------------------------


def job_records(job: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    job_id = str(job["id"])
    location = job.get("location") or {}
    department = job.get("department")
    status = job.get("status")
    out: list[SyncRecord] = [
        SyncedJob(
            external_id=job_id,
            title=str(job.get("title") or job.get("name") or "")[:300],
            status=str(status.get("id") if isinstance(status, Mapping) else status or "")[:40],
            # SRO Job.department is optional; without one the job has none (never the text "None").
            department=str((department.get("label") if isinstance(department, Mapping) else "") or "")[:200],
            location=", ".join(str(location[k]) for k in ("city", "country") if location.get(k))[:200],
            requisition_id=str(job.get("refNumber") or "")[:120],
            plan_external_id=job_id,
            updated_at=sync_iso_datetime(job.get("updatedOn") or job.get("lastActivityOn")),
        )
    ]
    # SR publishes no per-job stages (constants.CANDIDATE_STATUSES): a job's pipeline is SR's
    # candidate statuses, in SRO's enum order, one stage record each per job.
    for order, candidate_status in enumerate(constants.CANDIDATE_STATUSES, start=1):
        out.append(
            SyncedStage(
                external_id=f"{job_id}:{candidate_status}",
                title=mappers.status_label(candidate_status)[:200],
                plan_external_id=job_id,
                order=order,
                kind=candidate_status,
            )
        )
    return tuple(out)


def _assignment(
    candidate_id: str, assignment: Mapping[str, Any], updated: dt.datetime | None
) -> SyncedApplication:
    job = assignment.get("job") or {}
    job_id = str(job.get("id") or "")
    status, sub_status = mappers.pipeline_position(assignment)
    return SyncedApplication(
        external_id=f"{candidate_id}:{job_id}",
        candidate_external_id=candidate_id,
        job_external_id=job_id,
        # A status SR adds later has no stage record (job_records): kept as the status only.
        stage_external_id=f"{job_id}:{status}" if status in constants.CANDIDATE_STATUSES else "",
        stage_title=mappers.stage_title(status, sub_status)[:200],
        status=status[:40],
        applied_at=sync_iso_datetime(assignment.get("appliedOn") or assignment.get("createdOn")),
        updated_at=updated,
    )


def candidate_records(candidate: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    candidate_id = str(candidate["id"])
    updated = sync_iso_datetime(candidate.get("updatedOn"))
    name = " ".join(str(candidate.get(k) or "") for k in ("firstName", "lastName")).strip()
    out: list[SyncRecord] = [
        SyncedCandidate(
            external_id=candidate_id,
            name=name[:300],
            email=str(candidate.get("email") or "")[:254],
            phone=str(candidate.get("phoneNumber") or "")[:60],
            profile_url=str((candidate.get("actions") or {}).get("details", {}).get("url") or "")[:500]
            if isinstance((candidate.get("actions") or {}).get("details"), Mapping)
            else "",
            updated_at=updated,
        )
    ]
    assignments = [candidate.get("primaryAssignment"), *(candidate.get("secondaryAssignments") or [])]
    for assignment in assignments:
        if isinstance(assignment, Mapping) and (assignment.get("job") or {}).get("id"):
            out.append(_assignment(candidate_id, assignment, updated))
    return tuple(out)


# --- paging -------------------------------------------------------------------------------------


def page_limit(client: ReadsClient) -> int:
    return sync_page_size(client.integration, PAGE_LIMIT)


def sync_page(client: ReadsClient, resource: str, cursor: str, sync_token: str) -> SyncPage:
    path, operation = LISTS[resource]
    position = sync_cursor_load(cursor)
    mark = str(position.get("mark") or (timezone.now() - OVERLAP).isoformat())
    params: dict[str, Any] = {"limit": page_limit(client)}
    if resource == "jobs":
        params["sort"] = JOBS_SORT  # SRO GET /jobs: the only order `pageId` paging supports
    if position.get("pageId"):
        params["pageId"] = position["pageId"]
    if resource == "candidates" and sync_token:
        params["updatedAfter"] = sync_token
    page_no = int(position.get("page") or 0) + 1
    response = client.request("GET", path, operation=operation, params=params)
    body = response_json_or_none(response)
    request_id = client.vendor_request_id(response)
    records, count, warnings = page_read(resource, body, page_no=page_no, request_id=request_id)
    # Items read so far in this run (cursors stored before the rename call it "offset").
    read = int(position.get("read", position.get("offset")) or 0) + count
    page_id = next_page_id(response, body)
    total = _int(body.get("totalFound"))
    if page_id is None and read < total:
        warnings = (
            *warnings,
            f"SmartRecruiters reported totalFound {total} for GET {path} but handed no next page "
            f"(no nextPageId, no Link rel=next) after {read}: {read} of {total} {resource} were read.",
        )
    return SyncPage(
        records=records,
        next_cursor=json.dumps({"pageId": page_id, "mark": mark, "read": read, "page": page_no})
        if page_id
        else "",
        more=page_id is not None,
        sync_token=mark if resource == "candidates" and page_id is None else "",
        warnings=warnings,
        request_id=request_id,
    )


def next_page_id(response: requests.Response, body: Mapping[str, Any]) -> str | None:
    """The `pageId` of the next page: the body's `nextPageId`, else the `pageId` query parameter of
    the `Link` header's rel="next" URL (SRO, both lists), else None: the last page."""
    if body.get("nextPageId"):
        return str(body["nextPageId"])
    url = (response.links.get("next") or {}).get("url") or ""
    found = parse_qs(urlsplit(url).query).get("pageId")
    return found[0] if found and found[0] else None


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def page_read(
    resource: str, body: Any, *, page_no: int, request_id: str = ""
) -> tuple[tuple[SyncRecord, ...], int, tuple[str, ...]]:
    """(records, items read, warnings) of one SR list answer. Raises ATSValidationError when the
    answer has no `content` list, or none of its items has an id (module docstring)."""
    path, _ = LISTS[resource]
    raw = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(raw, list):
        shape = (
            "no content list"
            if not isinstance(body, Mapping) or "content" not in body
            else f"content as {type(raw).__name__}, not a list"
        )
        raise ATSValidationError(
            f"SmartRecruiters' answer to GET {path} (page {page_no}) has {shape}: nothing could be synced. "
            "SmartRecruiters may have changed its API.",
            request_id=request_id,
        )
    readable = [i for i in raw if isinstance(i, Mapping) and i.get("id")]
    skipped = len(raw) - len(readable)
    if raw and not readable:
        raise ATSValidationError(
            f"SmartRecruiters returned {len(raw)} {resource} on page {page_no} of GET {path}, none with an id, "
            "so none could be synced. SmartRecruiters' data model may have changed.",
            request_id=request_id,
        )
    warnings = (
        (f"{skipped} of {len(raw)} {resource} on this page had no id and were skipped.",) if skipped else ()
    )
    records: list[SyncRecord] = []
    for item in readable:
        records.extend(job_records(item) if resource == "jobs" else candidate_records(item))
    # Counts what SR sent, readable or not (set against `totalFound`).
    return tuple(records), len(raw), warnings


def sync_fetch(client: ReadsClient, resource: str, external_id: str) -> SyncPage:
    """One candidate (with its assignments); 404 → ATSNotFound from the client."""
    if resource != "candidates":
        raise ValueError(f"SmartRecruiters records of {resource!r} are not fetched one by one")
    candidate_id = external_id.split(":")[0]
    response = client.request(
        "GET", f"/candidates/{quote(candidate_id, safe='')}", operation="candidates.get"
    )
    body = response_json_or_none(response)
    if not isinstance(body, Mapping):
        raise ATSValidationError(
            f"SmartRecruiters' answer to GET /candidates/{candidate_id} is not a candidate object: nothing "
            "could be refreshed. SmartRecruiters may have changed its API.",
            request_id=client.vendor_request_id(response),
        )
    return SyncPage(records=candidate_records(body if body.get("id") else {**body, "id": candidate_id}))
