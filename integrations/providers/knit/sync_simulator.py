"""The built-in Knit's unified ATS lists, as the data sync uses them (dev and tests only):
`GET v1.0/ats.job.list`, `ats.candidate.list`, `ats.application.list` for the account the Bearer
key and X-Knit-Integration-Id name, with `pageSize` / `cursor` → `pagination.next` paging,
`updatedAfter` (ISO 8601), `updatedAt` on each item, cursors that expire after CURSOR_TTL_SECONDS
(400 "Invalid or expired cursor", [I]: Knit documents no lifetime), and a test lever: a failure
injected on page N (`integrations.sync.simulator.fault_set("knit", "ats.candidate.list", page=N)`).
Shapes are the guesses sync.py lists. Mounted ahead of simulator.py's routes by
KnitProvider.simulator_urls.

State: SimulatorObject(provider="knit") kinds `ats_job`, `ats_candidate`, `ats_application`, each
with the account's `integration_id`; `sync_seed` fills an account."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.models import SimulatorObject
from integrations.sync import simulator as faults

from .simulator import P, _authenticate, _error

MAX_PAGE_SIZE = 100
CURSOR_TTL_SECONDS = 15 * 60
STAGES = (
    ("stg_applied", "Application Review", "PreInterviewScreen"),
    ("stg_screen", "Recruiter Screen", "Active"),
    ("stg_assessment", "Assessment", "Active"),
    ("stg_offer", "Offer", "Offer"),
)
KIND = {"jobs": "ats_job", "candidates": "ats_candidate", "applications": "ats_application"}


def sync_seed(integration_id: str, *, jobs: int = 2, candidates: int = 5) -> list[dict[str, Any]]:
    """Jobs (with STAGES) and candidates with one application each, at the first stage. Returns
    the candidates' data. Rows are created in order, so lists come back in that order."""
    job_ids = []
    for n in range(jobs):
        job_id = f"job_{integration_id}_{n}"
        SimulatorObject.objects.create(
            provider=P,
            kind=KIND["jobs"],
            key=job_id,
            data={"integration_id": integration_id, "name": f"Sandbox role {n + 1}", "status": "OPEN"},
        )
        job_ids.append(job_id)
    people = []
    for n in range(candidates):
        person = {
            "id": f"cand_{integration_id}_{n}",
            "integration_id": integration_id,
            "firstName": f"Sam{n}",
            "lastName": "Example",
            "email": f"sam{n}@example.com",
        }
        SimulatorObject.objects.create(provider=P, kind=KIND["candidates"], key=person["id"], data=person)
        application = {
            "integration_id": integration_id,
            "candidateId": person["id"],
            "jobId": job_ids[n % len(job_ids)] if job_ids else "",
            "stageId": STAGES[0][0],
            "status": "ACTIVE",
        }
        SimulatorObject.objects.create(
            provider=P, kind=KIND["applications"], key=f"app_{integration_id}_{n}", data=application
        )
        people.append({**person, "applicationId": f"app_{integration_id}_{n}"})
    return people


def sync_record_update(kind: str, key: str, **changes: Any) -> None:
    """Change one record (its updatedAt moves on), as an edit in the ATS would."""
    row = SimulatorObject.objects.get(provider=P, kind=kind, key=key)
    row.data = {**row.data, **changes}
    row.save(update_fields=["data", "updated_at"])


def _stage(stage_id: str) -> dict[str, str]:
    name = next((s[1] for s in STAGES if s[0] == stage_id), stage_id)
    return {"id": stage_id, "name": name}


def _item(resource: str, row: SimulatorObject) -> dict[str, Any]:
    d, updated = row.data, row.updated_at.isoformat()
    if resource == "jobs":
        return {
            "id": row.key,
            "name": d["name"],
            "status": d.get("status", "OPEN"),
            "departments": [{"id": "dep_eng", "name": "Engineering"}],
            "locations": [{"name": "Remote"}],
            "stages": [{"id": s[0], "name": s[1], "type": s[2]} for s in STAGES],
            "updatedAt": updated,
        }
    if resource == "candidates":
        return {
            "id": row.key,
            "firstName": d["firstName"],
            "lastName": d["lastName"],
            "emails": [{"email": d["email"], "type": "PERSONAL"}],
            "phones": [],
            "links": [],
            "location": None,
            "updatedAt": updated,
        }
    return {
        "id": row.key,
        "candidateId": d["candidateId"],
        "jobId": d["jobId"],
        "currentStage": _stage(d["stageId"]),
        "status": d.get("status", "ACTIVE"),
        "appliedAt": row.created_at.isoformat(),
        "updatedAt": updated,
    }


def _list(request: HttpRequest, resource: str) -> JsonResponse:
    account = _authenticate(request)
    if isinstance(account, JsonResponse):
        return account
    operation = f"ats.{resource[:-1]}.list"
    try:
        size = max(1, min(MAX_PAGE_SIZE, int(request.GET.get("pageSize", MAX_PAGE_SIZE))))
    except ValueError:
        return _error(400, "pageSize must be a number from 1 to 100.")
    offset = 0
    if request.GET.get("cursor"):
        position = faults.unopaque(request.GET["cursor"])
        if position is None or time.time() - float(position.get("t", 0)) > CURSOR_TTL_SECONDS:
            return _error(400, "Invalid or expired cursor: start again from the first page.")
        offset = int(position.get("o", 0))
    rows = SimulatorObject.objects.filter(provider=P, kind=KIND[resource], data__integration_id=account.key)
    if request.GET.get("updatedAfter"):
        after = parse_datetime(request.GET["updatedAfter"])
        if after is None:
            return _error(400, "updatedAfter must be an ISO 8601 date-time.")
        rows = rows.filter(updated_at__gte=after)
    status = faults.fault_take(P, operation, offset // size + 1)
    if status:
        return _error(status, "Knit is temporarily unavailable (simulated).")
    chunk = list(rows.order_by("created_at", "id")[offset : offset + size + 1])
    following = faults.opaque({"o": offset + size, "t": time.time()}) if len(chunk) > size else None
    return JsonResponse(
        {
            "success": True,
            "data": {
                resource: [_item(resource, row) for row in chunk[:size]],
                "pagination": {"next": following},
            },
        }
    )


@csrf_exempt
@require_http_methods(["GET"])
def job_list(request: HttpRequest) -> JsonResponse:
    return _list(request, "jobs")


@csrf_exempt
@require_http_methods(["GET"])
def candidate_list(request: HttpRequest) -> JsonResponse:
    return _list(request, "candidates")


@csrf_exempt
@require_http_methods(["GET"])
def application_list(request: HttpRequest) -> JsonResponse:
    return _list(request, "applications")


def urlpatterns() -> list:
    return [
        path("v1.0/ats.job.list", job_list, name="api-job-list"),
        path("v1.0/ats.candidate.list", candidate_list, name="api-candidate-list"),
        path("v1.0/ats.application.list", application_list, name="api-application-list"),
    ]
