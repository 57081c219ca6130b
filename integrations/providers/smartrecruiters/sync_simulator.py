"""The built-in SmartRecruiters sandbox's job and candidate lists, as the data sync uses them (dev
and tests only): the simulator's own answers (same content items, `jobId` filter) plus paging
(`limit`, `offset`, `pageId` → `nextPageId`, `totalFound`), `updatedAfter`, `updatedOn` on each
item, `GET /candidates/{id}`, and a test lever: a failure injected on page N
(`integrations.sync.simulator.fault_set("smartrecruiters", "candidates.list", page=N)`).
Mounted ahead of simulator.py's routes by SmartRecruitersProvider.simulator_urls."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime

from integrations.models import SimulatorObject
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


def _job(row: SimulatorObject) -> dict[str, Any]:
    d = row.data
    return {
        "id": row.key,
        "title": d["title"],
        "refNumber": d.get("refNumber", f"REF-{row.pk}"),
        "status": d.get("status", "SOURCING"),
        "location": {"city": "Berlin", "country": "de"},
        "hiringProcess": {"stages": d["stages"]},
        "updatedOn": row.updated_at.isoformat(),
    }


def _candidate(row: SimulatorObject) -> dict[str, Any]:
    d = row.data
    return {
        "id": row.key,
        "firstName": d["firstName"],
        "lastName": d["lastName"],
        "email": d["email"],
        "primaryAssignment": {"job": {"id": d["jobId"]}, "status": {"stageId": d["stageId"]}},
        "updatedOn": row.updated_at.isoformat(),
    }


def _page(request: HttpRequest, operation: str, items: list[dict[str, Any]]) -> JsonResponse:
    try:
        limit = max(1, min(MAX_LIMIT, int(request.GET.get("limit", MAX_LIMIT))))
        page_id = request.GET.get("pageId")
        offset = int(faults.unopaque(page_id).get("o", 0)) if page_id else int(request.GET.get("offset", 0))  # type: ignore[union-attr]
    except (ValueError, TypeError, AttributeError):
        return sr_error(400, "VALIDATION", "limit (1-100), offset or pageId is invalid.")
    status = faults.fault_take(state.P, operation, offset // limit + 1)
    if status:
        return sr_error(
            status, "SERVICE_UNAVAILABLE", "SmartRecruiters is temporarily unavailable (simulated)."
        )
    chunk = items[offset : offset + limit]
    body: dict[str, Any] = {"totalFound": len(items), "offset": offset, "limit": limit, "content": chunk}
    if offset + limit < len(items):
        body["nextPageId"] = faults.opaque({"o": offset + limit})
    return JsonResponse(body)


def _since(request: HttpRequest, rows: list[SimulatorObject]) -> list[SimulatorObject] | None:
    raw = request.GET.get("updatedAfter")
    if not raw:
        return rows
    after = parse_datetime(raw)
    return None if after is None else [r for r in rows if r.updated_at >= after]


@api(constants.SCOPE_JOBS_READ)
def jobs_list(request: HttpRequest, company: dict[str, Any]) -> JsonResponse:
    rows = _since(request, _rows("job", company["id"]))
    if rows is None:
        return sr_error(400, "VALIDATION", "updatedAfter must be an ISO 8601 date-time.")
    return _page(request, "jobs.list", [_job(r) for r in rows])


@api(constants.SCOPE_CANDIDATES_READ, concurrency=CANDIDATE_LISTS)
def candidates_list(request: HttpRequest, company: dict[str, Any]) -> JsonResponse:
    rows = _since(request, _rows("candidate", company["id"]))
    if rows is None:
        return sr_error(400, "VALIDATION", "updatedAfter must be an ISO 8601 date-time.")
    if request.GET.get("jobId"):
        rows = [r for r in rows if r.data.get("jobId") == request.GET["jobId"]]
    return _page(request, "candidates.list", [_candidate(r) for r in rows])


@api(constants.SCOPE_CANDIDATES_READ)
def candidate_get(request: HttpRequest, company: dict[str, Any], candidate_id: str) -> JsonResponse:
    row = SimulatorObject.objects.filter(provider=state.P, kind="candidate", key=candidate_id).first()
    if row is None or row.data.get("company") != company["id"]:
        return sr_error(404, "NOT_FOUND", f"Candidate {candidate_id} not found.")
    return JsonResponse(_candidate(row))


def urlpatterns() -> list:
    return [
        path("api/jobs", jobs_list, name="api-jobs-sync"),
        path("api/candidates", candidates_list, name="api-candidates-sync"),
        path("api/candidates/<str:candidate_id>", candidate_get, name="api-candidate-sync"),
    ]
