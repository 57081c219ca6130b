"""The built-in SmartRecruiters sandbox's job and candidate lists, as the data sync uses them (dev
and tests only): jobs and candidates in SRO's published `Job` / `Candidate` shapes (held against the
vendor file by test_published_list_shapes.py), `jobId` filter, paging,
`updatedAfter`, `updatedOn` on each item, `GET /candidates/{id}`, and a test lever: a failure
injected on page N (`integrations.sync.simulator.fault_set("smartrecruiters", "candidates.list", page=N)`).
Mounted by simulator_plugin.SmartRecruitersSimulatorPlugin.urlpatterns; simulator.py serves no list.

Paging as SR documents it (SRO `paths./jobs.get` / `paths./candidates.get`,
konfig-sdks/openapi-examples:smartrecruiters/openapi.yaml @03ba507a; OCM
SmartRecruitersJobsJobsAll.php / SmartRecruitersCandidatesCandidatesAll.php) [F]: `limit` (1-100),
`pageId` from the previous answer's `nextPageId`, also handed out as a `Link: <…>; rel="next"`
header; `totalFound`. Refused, 400 in SRO's ErrorResponse shape (`sr_error`):
- GET /jobs with `pageId` but without `sort=job_id` ("You must set `job_id` value for `sort`
  parameter if you use `pageId`"), code INVALID_PAGE_ID, the one code SRO lists for GET /jobs'
  400 ("provided page id is invalid"). [I] SR's own text says the default order with `pageId`
  "might not return all results", not that SR refuses it: the sandbox is stricter, so that our
  mistake shows as a failed run instead of a silent partial one;
- GET /candidates with `offset`, a parameter SRO does not list for it, code VALIDATION [I: SR
  publishes neither how it treats an unknown parameter (if ignored, every "page" would be the
  first) nor a code for it; the sandbox refuses it so that ours shows].
GET /jobs still takes the deprecated `offset` (SRO lists it, `deprecated: true`); `sort=job_id`
orders the jobs by id."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime

from integrations.simulator_plugins.models import SimulatorObject
from integrations.sync import simulator as faults

from . import constants
from . import simulator_state as state
from .simulator_http import CANDIDATE_LISTS, api, sr_error

MAX_LIMIT = 100


def _rows(kind: str, company_id: str) -> list[SimulatorObject]:
    return list(
        SimulatorObject.objects.filter(provider=state.P, kind=kind, data__company=company_id).order_by(
            "created_at", "id"
        )
    )


def _action(request: HttpRequest, path: str) -> dict[str, str]:
    """SRO Action {url, method}: where the full record is, on this sandbox's API path (SR's
    point at its API host)."""
    root = request.path[: request.path.index("/api/") + len("/api")]
    return {"url": request.build_absolute_uri(root + path), "method": "GET"}


def _job(row: SimulatorObject) -> dict[str, Any]:
    """SRO components.schemas.Job: no hiring process (SR publishes no per-job stages)."""
    d = row.data
    return {
        "id": row.key,
        "title": d["title"],
        "refNumber": d.get("refNumber", f"REF-{row.pk}"),
        "createdOn": row.created_at.isoformat(),
        "updatedOn": row.updated_at.isoformat(),
        "status": d.get("status", "SOURCING"),
        "postingStatus": d.get("postingStatus", "PUBLIC"),
        "location": {"city": "Berlin", "country": "Germany", "countryCode": "de"},
    }


def _candidate(
    request: HttpRequest, row: SimulatorObject, jobs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """SRO components.schemas.Candidate: the primary assignment's `status` is SR's enum string and
    `subStatus` the company's step (simulator_state.stage_status), never a stage id."""
    d = row.data
    job = (jobs or {}).get(d["jobId"]) or state.job_get(d["jobId"])
    status, sub_status = state.stage_status(job, d.get("stageId", "new"))
    assignment: dict[str, Any] = {
        "job": {
            "id": d["jobId"],
            "title": (job or {}).get("title", ""),
            "actions": {"details": _action(request, f"/jobs/{d['jobId']}")},
        },
        "status": status,
    }
    if sub_status:
        assignment["subStatus"] = sub_status
    return {
        "id": row.key,
        "internal": False,
        "firstName": d["firstName"],
        "lastName": d["lastName"],
        "email": d["email"],
        "createdOn": d.get("created") or row.created_at.isoformat(),
        "updatedOn": row.updated_at.isoformat(),
        "primaryAssignment": assignment,
        "actions": {
            "details": _action(request, f"/candidates/{row.key}"),
            "properties": _action(request, f"/candidates/{row.key}/properties"),
        },
    }


def _page(request: HttpRequest, operation: str, items: list[dict[str, Any]]) -> JsonResponse:
    try:
        limit = max(1, min(MAX_LIMIT, int(request.GET.get("limit", MAX_LIMIT))))
        page_id = request.GET.get("pageId")
        offset = int(faults.unopaque(page_id).get("o", 0)) if page_id else int(request.GET.get("offset", 0))  # type: ignore[union-attr]
    except (ValueError, TypeError, AttributeError):
        if request.GET.get("pageId"):
            return sr_error(400, "INVALID_PAGE_ID", "The provided page id is invalid.")
        return sr_error(400, "VALIDATION", "limit (1-100) or offset is invalid.")
    status = faults.fault_take(state.P, operation, offset // limit + 1)
    if status:
        return sr_error(
            status, "SERVICE_UNAVAILABLE", "SmartRecruiters is temporarily unavailable (simulated)."
        )
    chunk = items[offset : offset + limit]
    body: dict[str, Any] = {"totalFound": len(items), "offset": offset, "limit": limit, "content": chunk}
    next_id = faults.opaque({"o": offset + limit}) if offset + limit < len(items) else ""
    if next_id:
        body["nextPageId"] = next_id
    response = JsonResponse(body)
    if next_id:
        # SRO: the next page is also "the HTTP header `Link` value of relation type `next`".
        query = {k: v for k, v in request.GET.items() if k not in ("pageId", "offset")}
        response["Link"] = f'<{request.path}?{urlencode({**query, "pageId": next_id})}>; rel="next"'
    return response


def _since(request: HttpRequest, rows: list[SimulatorObject]) -> list[SimulatorObject] | None:
    raw = request.GET.get("updatedAfter")
    if not raw:
        return rows
    after = parse_datetime(raw)
    return None if after is None else [r for r in rows if r.updated_at >= after]


@api(constants.SCOPE_JOBS_READ)
def jobs_list(request: HttpRequest, company: dict[str, Any]) -> JsonResponse:
    sort = request.GET.get("sort", "default")
    if sort not in ("default", "job_id"):
        return sr_error(400, "VALIDATION", "sort must be one of: default, job_id.")
    if request.GET.get("pageId") and sort != "job_id":
        return sr_error(
            400,
            "INVALID_PAGE_ID",
            "pageId can only be used with sort=job_id: you must set job_id value for sort parameter "
            "if you use pageId.",
        )
    rows = _since(request, _rows("job", company["id"]))
    if rows is None:
        return sr_error(400, "VALIDATION", "updatedAfter must be an ISO 8601 date-time.")
    jobs = [_job(r) for r in rows]
    if sort == "job_id":
        jobs.sort(key=lambda job: job["id"])
    return _page(request, "jobs.list", jobs)


@api(constants.SCOPE_CANDIDATES_READ, concurrency=CANDIDATE_LISTS)
def candidates_list(request: HttpRequest, company: dict[str, Any]) -> JsonResponse:
    if "offset" in request.GET:
        return sr_error(
            400,
            "VALIDATION",
            "GET /candidates takes no offset parameter: page with pageId (the previous page's "
            "nextPageId, or its Link rel=next).",
        )
    rows = _since(request, _rows("candidate", company["id"]))
    if rows is None:
        return sr_error(400, "VALIDATION", "updatedAfter must be an ISO 8601 date-time.")
    if request.GET.get("jobId"):
        rows = [r for r in rows if r.data.get("jobId") == request.GET["jobId"]]
    jobs = {r.key: {**r.data, "id": r.key} for r in _rows("job", company["id"])}
    return _page(request, "candidates.list", [_candidate(request, r, jobs) for r in rows])


@api(constants.SCOPE_CANDIDATES_READ)
def candidate_get(request: HttpRequest, company: dict[str, Any], candidate_id: str) -> JsonResponse:
    row = SimulatorObject.objects.filter(provider=state.P, kind="candidate", key=candidate_id).first()
    if row is None or row.data.get("company") != company["id"]:
        return sr_error(404, "NOT_FOUND", f"Candidate {candidate_id} not found.")
    return JsonResponse(_candidate(request, row))


def urlpatterns() -> list:
    return [
        path("api/jobs", jobs_list, name="api-jobs-sync"),
        path("api/candidates", candidates_list, name="api-candidates-sync"),
        path("api/candidates/<str:candidate_id>", candidate_get, name="api-candidate-sync"),
    ]
