"""Knit's side of the ATS data sync (engine: integrations/sync/services.py), for
KnitProvider.sync_page. The mapping functions are pure.

What Knit publishes (README.md in this folder, "Data sync", lists every source):
- [2nd] a job is `{"info": {id, title, status, createdAt, updatedAt, ...}, "departments": [{id, name}],
  "offices": [{id, name}], "stages": [...], ...}` (Job Data Models,
  https://developers.getknit.dev/reference/job-data-models, published for the Sync API: "Use data type
  ats_jobs in the Sync APIs"; the list answering them is what a live-verified client shows);
- [2nd] an application is `{"info": {id, status, candidate: {id, firstName, lastName, emails, phones,
  links, location}, appliedAt, updatedAt, jobId, ...}, "currentStage": {...}, ...}` (Application
  Data Models, https://developers.getknit.dev/reference/application-data-models, likewise);
- [F] every answer is `{"success": true, "data": {...}}` (https://developers.getknit.dev/reference/api-response-structures);
- [2nd] List Jobs is GET ats.job.list (https://getknit.dev/solutions-use-cases/get-job-posting-details-from-ats),
  List Applications GET ats.application.list, both paged with `pageToken` in and
  `data.nextPageToken` out, lists in `data.jobs` / `data.applications`, a stage as `{id, text}`,
  empty collections as null (a live-verified Knit client found by code search: "unified_knit").

Knit has no candidate list in our sources; an application carries its candidate (info.candidate),
so the applications pass writes both, as Lever's opportunities do. Knit's `updatedAfter` filter is
"NA" for Ashby (Native ATS Filter Support Matrix, developers.getknit.dev/docs/native-ats-filter-support-matrix),
so every run reads everything: no checkpoint; upserts make re-reads harmless, and each complete pass
lets the engine retire what Knit no longer lists.

Items are never dropped silently: an item without an id (`info.id`) is unreadable, and so is an
application without its job (`info.jobId`) or its candidate's id (`info.candidate.id`): we keep an
application as a candidate in a job's pipeline, read through its candidate (the sync selectors,
privacy export and erasure) with its stage scoped to the job; Knit's published example has both, and
its record.deleted event names an application by applicationId, candidateId and jobId. A page of only unreadable
items fails the run with the reasons, a page with some is kept and the run ends "partial" with a
warning naming how many were skipped and why."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
)

from . import constants
from .mappers import _obj, _str

if TYPE_CHECKING:
    from .client import KnitClient

RESOURCES = ("jobs", "applications")
# Resource → (path under API_BASE, the list's key inside `data`).
LISTS: dict[str, tuple[str, str]] = {
    "jobs": (constants.PATH_JOB_LIST, "jobs"),
    "applications": (constants.PATH_APPLICATION_LIST, "applications"),
}


def _list(value: Any) -> list[Mapping[str, Any]]:
    """Knit sends empty collections as null: None, a non-list, or non-objects inside become []."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _info(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """The documented `info` object; an item without one is read flat (older examples)."""
    info = item.get("info")
    return info if isinstance(info, Mapping) else item


def item_id(item: Mapping[str, Any]) -> str:
    return _str(_info(item).get("id"))


def _candidate_id(info: Mapping[str, Any]) -> str:
    return _str(_obj(info.get("candidate")).get("id")) or _str(info.get("candidateId"))


def unusable_because(resource: str, item: Any) -> str:
    """What the item lacks that we need (module docstring), or "" when we can use it."""
    if not isinstance(item, Mapping) or not item_id(item):
        return "no id (info.id)"
    if resource == "applications":
        info = _info(item)
        if not _str(info.get("jobId")):
            return "no job (info.jobId)"
        if not _candidate_id(info):
            return "no candidate id (info.candidate.id)"
    return ""


def _first_name(value: Any) -> str:
    items = _list(value)
    return _str(items[0].get("name")) if items else ""


def _stage_name(stage: Mapping[str, Any]) -> str:
    # [2nd] Knit names a stage `text`; `name` is accepted too.
    return _str(stage.get("text")) or _str(stage.get("name"))


# --- mapping (pure) ---------------------------------------------------------------------------


def job_records(job: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    """A job and its hiring stages. Knit's ids for an Ashby account are Ashby's; an Ashby interview
    plan (and so its stage ids) can serve several jobs, so a stage is "<job id>:<stage id>" with
    the job as its plan (as for SmartRecruiters)."""
    info = _info(job)
    job_id = _str(info.get("id"))
    out: list[SyncRecord] = [
        SyncedJob(
            external_id=job_id,
            title=(_str(info.get("title")) or _str(info.get("name")))[:300],
            status=_str(info.get("status"))[:40],
            department=_first_name(job.get("departments"))[:200],
            location=(_first_name(job.get("offices")) or _str(info.get("location")))[:200],
            requisition_id=_str(info.get("requisitionId"))[:120],
            plan_external_id=job_id,
            url=(_str(info.get("infoUrl")) or _str(info.get("url")))[:500],
            updated_at=sync_iso_datetime(info.get("updatedAt")),
        )
    ]
    stages = [s for s in _list(job.get("stages")) if _str(s.get("id"))]
    for order, stage in enumerate(stages, start=1):
        out.append(
            SyncedStage(
                external_id=f"{job_id}:{_str(stage.get('id'))}",
                title=(_stage_name(stage) or _str(stage.get("id")))[:200],
                plan_external_id=job_id,
                order=order,
                kind=_str(stage.get("type"))[:60],
            )
        )
    return tuple(out)


def candidate_from(candidate: Mapping[str, Any]) -> SyncedCandidate:
    emails = _list(candidate.get("emails"))
    # The same preference as the assessment webhooks (mappers.py): PRIMARY/PERSONAL first.
    emails.sort(key=lambda e: _str(e.get("type")).upper() not in ("PRIMARY", "PERSONAL"))
    phones = [_str(p.get("phoneNumber")) for p in _list(candidate.get("phones"))]
    name = " ".join(n for n in (_str(candidate.get("firstName")), _str(candidate.get("lastName"))) if n)
    return SyncedCandidate(
        external_id=_str(candidate.get("id")),
        name=name[:300],
        email=next((_str(e.get("email")) for e in emails if _str(e.get("email"))), "")[:254],
        phone=next((p for p in phones if p), "")[:60],
        profile_url=_str(candidate.get("profileUrl"))[:500],
        # Knit's candidate object has no updatedAt: never let it hide a newer copy.
        updated_at=None,
    )


def application_records(application: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    """The application and the candidate it carries (info.candidate)."""
    info = _info(application)
    candidate = _obj(info.get("candidate"))
    candidate_id = _candidate_id(info)
    job_id = _str(info.get("jobId"))
    stage = _obj(application.get("currentStage"))
    stage_id = _str(stage.get("id"))
    out: list[SyncRecord] = []
    if _str(candidate.get("id")):
        out.append(candidate_from(candidate))
    out.append(
        SyncedApplication(
            external_id=_str(info.get("id")),
            candidate_external_id=candidate_id,
            job_external_id=job_id,
            stage_external_id=f"{job_id}:{stage_id}" if job_id and stage_id else "",
            stage_title=_stage_name(stage)[:200],
            status=_str(info.get("status"))[:40],
            applied_at=sync_iso_datetime(info.get("appliedAt")),
            updated_at=sync_iso_datetime(info.get("updatedAt")),
        )
    )
    return tuple(out)


def records_from(resource: str, item: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    return job_records(item) if resource == "jobs" else application_records(item)


# --- paging -------------------------------------------------------------------------------------


def page_read(
    resource: str, body: Any, *, page_no: int, request_id: str = ""
) -> tuple[tuple[SyncRecord, ...], str, tuple[str, ...]]:
    """(records, next page token, warnings) of one Knit list answer. Raises ATSValidationError
    when the answer is not a list we can read, or none of its items is."""
    path, key = LISTS[resource]
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping) or key not in data:
        raise ATSValidationError(
            f"Knit's answer to GET /v1.0/{path} (page {page_no}) has no data.{key} list: nothing could be "
            "synced. Knit may have changed its List API.",
            request_id=request_id,
        )
    raw = data.get(key)
    if raw is not None and not isinstance(raw, list):
        # null is Knit's empty collection; anything else is not a list we can read.
        raise ATSValidationError(
            f"Knit's answer to GET /v1.0/{path} (page {page_no}) has data.{key} as "
            f"{type(raw).__name__}, not a list: nothing could be synced. Knit may have changed its List API.",
            request_id=request_id,
        )
    items = raw or []
    reasons = [unusable_because(resource, i) for i in items]
    readable = [i for i, reason in zip(items, reasons, strict=True) if not reason]
    skipped = len(items) - len(readable)
    why = ", ".join(f"{n} had {reason}" for reason, n in Counter(r for r in reasons if r).items())
    if items and not readable:
        raise ATSValidationError(
            f"Knit returned {len(items)} {resource} on page {page_no} of GET /v1.0/{path} and none could be "
            f"synced: {why}. Knit's data model may have changed.",
            request_id=request_id,
        )
    warnings = (f"{skipped} of {len(items)} {resource} on this page were skipped: {why}.",) if skipped else ()
    records: list[SyncRecord] = []
    for item in readable:
        records.extend(records_from(resource, item))
    return tuple(records), _str(data.get(constants.NEXT_PAGE_TOKEN)), warnings


def sync_page(client: KnitClient, resource: str, cursor: str, sync_token: str) -> SyncPage:
    """One page; `cursor` is our JSON {"token": Knit's pageToken, "page": n}. `sync_token` is
    ignored: Knit reads everything every run (module docstring)."""
    path, _ = LISTS[resource]
    position = sync_cursor_load(cursor)
    params: dict[str, Any] = {}
    if position.get("token"):
        params[constants.PAGE_TOKEN_PARAM] = position["token"]
    page_no = int(position.get("page") or 0) + 1
    response = client.request("GET", path, operation=path, params=params or None)
    body = response_json_or_none(response)
    request_id = client.vendor_request_id(response)
    records, following, warnings = page_read(resource, body, page_no=page_no, request_id=request_id)
    return SyncPage(
        records=records,
        next_cursor=json.dumps({"token": following, "page": page_no}) if following else "",
        more=bool(following),
        warnings=warnings,
        request_id=request_id,
    )
