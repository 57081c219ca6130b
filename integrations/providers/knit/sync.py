"""Knit's side of the ATS data sync (engine: integrations/sync/services.py), for
KnitProvider.sync_page. Structured like the Lever and SmartRecruiters sync modules; the mapping
functions below are pure.

What our sources say about Knit's unified ATS read API (README.md in this folder, "Data sync"):
- [F] every call carries `Authorization: Bearer <key>` and `X-Knit-Integration-Id` (reference §3);
- [2nd] "List Jobs" is `GET https://api.getknit.dev/v1.0/ats.job.list`, paginated
  (https://getknit.dev/solutions-use-cases/get-job-posting-details-from-ats), and Knit pages
  with cursors "identically regardless of how the provider implements it"
  (https://developers.getknit.dev/docs/ats-apps-guides);
- [F] Knit's candidate object (seed 003's `candidateAssessment.candidate`): `id`, `firstName`,
  `lastName`, `emails[{email, type}]`, `phones[{phoneNumber, type}]`, `links`, `location`.
Everything else is [I], one constant or one mapper each, cheap to correct once Knit confirms:
the candidate and application list paths, `pageSize` / `cursor` in, `{"data": {<items>: [...],
"pagination": {"next": cursor | null}}}` out (the shape simulator.py already answers for
`ats.jobs`), `updatedAfter` (ISO 8601) as the change filter, a job's `stages`, an application's
`currentStage`.

Incremental sync: candidates and applications are asked for `updatedAfter` the checkpoint. The
checkpoint is the time the run's first page was asked for, less an overlap for clock skew (and
for Knit's own copy of Ashby lagging behind), carried in our cursor and stored by the service
only when the run succeeds. Jobs (with their stages) are read in full each run. A cursor Knit
refuses (400, e.g. expired) on a resumed run makes the service start that pass over."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from integrations.base import (
    SyncedApplication,
    SyncedCandidate,
    SyncedJob,
    SyncedStage,
    SyncPage,
    SyncRecord,
    sync_cursor_load,
    sync_iso_datetime,
    sync_page_size,
)

from .mappers import _obj, _str

if TYPE_CHECKING:
    from .client import KnitClient

RESOURCES = ("jobs", "candidates", "applications")
PAGE_LIMIT = 100
OVERLAP = dt.timedelta(minutes=5)
# Resource → (path under API_BASE, the list's key inside `data`). [2nd] ats.job.list; [I] the others.
LISTS: dict[str, tuple[str, str]] = {
    "jobs": ("ats.job.list", "jobs"),
    "candidates": ("ats.candidate.list", "candidates"),
    "applications": ("ats.application.list", "applications"),
}
INCREMENTAL = frozenset({"candidates", "applications"})


def _when(value: Any) -> dt.datetime | None:
    """ISO 8601 (Knit's webhooks use epoch ms for triggeredAt, so accept that too)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    return sync_iso_datetime(value)


def _name(value: Any) -> str:
    """A name given as a string, an object with `name`, or a list of those (the first)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return _str(_obj(value).get("name")) if isinstance(value, Mapping) else _str(value)


# --- mapping (pure) ---------------------------------------------------------------------------


def job_records(job: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    """A job and its hiring stages. Knit's ids for an Ashby account are Ashby's; an Ashby interview
    plan (and so its stage ids) can serve several jobs, so a stage is "<job id>:<stage id>" with
    the job as its plan (as for SmartRecruiters)."""
    job_id = _str(job.get("id"))
    out: list[SyncRecord] = [
        SyncedJob(
            external_id=job_id,
            title=(_str(job.get("name")) or _str(job.get("title")))[:300],
            status=_str(job.get("status"))[:40],
            department=_name(job.get("departments") or job.get("department"))[:200],
            location=_name(job.get("locations") or job.get("location"))[:200],
            requisition_id=_str(job.get("requisitionId"))[:120],
            plan_external_id=job_id,
            url=_str(job.get("url") or job.get("jobUrl"))[:500],
            updated_at=_when(job.get("updatedAt")),
        )
    ]
    stages = job.get("stages")
    stages = stages if isinstance(stages, list) else []
    for order, stage in enumerate((_obj(s) for s in stages if _str(_obj(s).get("id"))), start=1):
        out.append(
            SyncedStage(
                external_id=f"{job_id}:{_str(stage.get('id'))}",
                title=(_str(stage.get("name")) or _str(stage.get("id")))[:200],
                plan_external_id=job_id,
                order=order,
                kind=_str(stage.get("type"))[:60],
            )
        )
    return tuple(out)


def candidate_from(candidate: Mapping[str, Any]) -> SyncedCandidate:
    emails = [_obj(e) for e in candidate.get("emails") or [] if isinstance(e, Mapping)]
    # The same preference as the assessment webhooks (mappers.py): PRIMARY/PERSONAL first.
    emails.sort(key=lambda e: _str(e.get("type")).upper() not in ("PRIMARY", "PERSONAL"))
    phones = [_str(_obj(p).get("phoneNumber")) for p in candidate.get("phones") or []]
    name = " ".join(n for n in (_str(candidate.get("firstName")), _str(candidate.get("lastName"))) if n)
    return SyncedCandidate(
        external_id=_str(candidate.get("id")),
        name=name[:300],
        email=next((_str(e.get("email")) for e in emails if _str(e.get("email"))), "")[:254],
        phone=next((p for p in phones if p), "")[:60],
        profile_url=_str(candidate.get("profileUrl"))[:500],
        updated_at=_when(candidate.get("updatedAt")),
    )


def application_from(application: Mapping[str, Any]) -> SyncedApplication:
    job_id = _str(application.get("jobId")) or _str(_obj(application.get("job")).get("id"))
    stage = _obj(application.get("currentStage"))
    stage_id = _str(stage.get("id"))
    return SyncedApplication(
        external_id=_str(application.get("id")),
        candidate_external_id=_str(application.get("candidateId"))
        or _str(_obj(application.get("candidate")).get("id")),
        job_external_id=job_id,
        stage_external_id=f"{job_id}:{stage_id}" if job_id and stage_id else "",
        stage_title=_str(stage.get("name"))[:200],
        status=_str(application.get("status"))[:40],
        applied_at=_when(application.get("appliedAt") or application.get("createdAt")),
        updated_at=_when(application.get("updatedAt")),
    )


def records_from(resource: str, item: Mapping[str, Any]) -> tuple[SyncRecord, ...]:
    if resource == "jobs":
        return job_records(item)
    if resource == "candidates":
        return (candidate_from(item),)
    return (application_from(item),)


# --- paging -------------------------------------------------------------------------------------


def page_limit(client: KnitClient) -> int:
    return sync_page_size(client.integration, PAGE_LIMIT)


def sync_page(client: KnitClient, resource: str, cursor: str, sync_token: str) -> SyncPage:
    path, key = LISTS[resource]
    position = sync_cursor_load(cursor)
    # The checkpoint this run will store: when its first page was asked for, less the overlap.
    mark = str(position.get("mark") or (timezone.now() - OVERLAP).isoformat())
    params: dict[str, Any] = {"pageSize": page_limit(client)}
    if position.get("cursor"):
        params["cursor"] = position["cursor"]
    if resource in INCREMENTAL and sync_token:
        params["updatedAfter"] = sync_token
    response = client.request("GET", path, operation=path, params=params)
    body = response.json()
    data = _obj(body.get("data")) if isinstance(body, Mapping) else {}
    items = [i for i in data.get(key) or [] if isinstance(i, Mapping) and _str(i.get("id"))]
    records: list[SyncRecord] = []
    for item in items:
        records.extend(records_from(resource, item))
    following = _str(_obj(data.get("pagination")).get("next"))
    seen = int(position.get("seen") or 0) + len(items)
    return SyncPage(
        records=tuple(records),
        next_cursor=json.dumps({"cursor": following, "mark": mark, "seen": seen}) if following else "",
        more=bool(following),
        sync_token=mark if resource in INCREMENTAL and not following else "",
        request_id=client.vendor_request_id(response),
    )
