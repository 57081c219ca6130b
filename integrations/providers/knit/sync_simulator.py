"""The built-in Knit's unified ATS lists, as the data sync uses them (dev and tests only):
`GET v1.0/ats.job.list` and `ats.application.list` for the account the Bearer key and
X-Knit-Integration-Id name, answering Knit's published shapes (sync.py lists the sources):
`{"success": true, "data": {"jobs" | "applications": [...], "nextPageToken": token | null}}`, each
item nested under `info` (a job with departments / offices / stages, an application with its
candidate inside info, its location a string, and its currentStage; the keys of Knit's published
application example, questionResponses included), empty collections as null, the next page asked for
with `pageToken`, X-Knit-Execution-Id on every answer.

Knit, not the caller, picks the page size (PAGE_SIZE here; tests lower it). Page tokens expire
after TOKEN_TTL_SECONDS (400 "Invalid or expired pageToken", [I]: Knit documents no lifetime).
A failure can be injected on page N (`integrations.sync.simulator.fault_set("knit",
"ats.application.list", page=N)`). Mounted ahead of simulator.py's routes by
KnitProvider.simulator_urls.

State: SimulatorObject(provider="knit") kinds `ats_job`, `ats_candidate`, `ats_application`, each
with the account's `integration_id`; `sync_seed` fills an account."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.simulator_plugins.models import SimulatorObject
from integrations.sync import simulator as faults

from . import constants
from .simulator import P, _authenticate, _error, ats_only, knit_json

PAGE_SIZE = 50
TOKEN_TTL_SECONDS = 15 * 60
STAGES = (
    ("stg_applied", "Application Review", "PreInterviewScreen"),
    ("stg_screen", "Recruiter Screen", "Active"),
    ("stg_assessment", "Assessment", "Active"),
    ("stg_offer", "Offer", "Offer"),
)
# Knit's published application example gives the candidate's location as one string ("Delhi, India").
LOCATIONS = ("Berlin, Germany", "Austin, TX", "Remote")
KIND_JOB, KIND_CANDIDATE, KIND_APPLICATION = "ats_job", "ats_candidate", "ats_application"
KIND = {"jobs": KIND_JOB, "applications": KIND_APPLICATION}
OPERATION = {"jobs": constants.PATH_JOB_LIST, "applications": constants.PATH_APPLICATION_LIST}


def sync_seed(integration_id: str, *, jobs: int = 2, candidates: int = 5) -> list[dict[str, Any]]:
    """Jobs (with STAGES) and candidates with one application each, at the first stage. Returns
    the candidates' data. Rows are created in order, so lists come back in that order."""
    job_ids = []
    for n in range(jobs):
        job_id = f"job_{integration_id}_{n}"
        SimulatorObject.objects.create(
            provider=P,
            kind=KIND_JOB,
            key=job_id,
            data={"integration_id": integration_id, "title": f"Sandbox role {n + 1}", "status": "OPEN"},
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
            "location": LOCATIONS[n % len(LOCATIONS)],
        }
        SimulatorObject.objects.create(provider=P, kind=KIND_CANDIDATE, key=person["id"], data=person)
        application = {
            "integration_id": integration_id,
            "candidateId": person["id"],
            "jobId": job_ids[n % len(job_ids)] if job_ids else None,
            "stageId": STAGES[0][0],
            "status": "ACTIVE",
        }
        SimulatorObject.objects.create(
            provider=P, kind=KIND_APPLICATION, key=f"app_{integration_id}_{n}", data=application
        )
        people.append({**person, "applicationId": f"app_{integration_id}_{n}"})
    return people


def sync_record_update(kind: str, key: str, **changes: Any) -> None:
    """Change one record (its updatedAt moves on), as an edit in the ATS would."""
    row = SimulatorObject.objects.get(provider=P, kind=kind, key=key)
    row.data = {**row.data, **changes}
    row.save(update_fields=["data", "updated_at"])


def _candidate(key: str) -> dict[str, Any] | None:
    """Knit's Candidate object ([F] Application Data Models): id, firstName, lastName, phones,
    emails, links, location; empty collections null."""
    row = SimulatorObject.objects.filter(provider=P, kind=KIND_CANDIDATE, key=key).first()
    if row is None:
        return None
    d = row.data
    return {
        "id": row.key,
        "firstName": d.get("firstName"),
        "lastName": d.get("lastName"),
        "phones": None,
        "emails": [{"type": "PERSONAL", "email": d["email"]}] if d.get("email") else None,
        "links": None,
        "location": d.get("location"),
    }


def _job(row: SimulatorObject) -> dict[str, Any]:
    d = row.data
    return {
        "info": {
            "id": row.key,
            "title": d["title"],
            "description": None,
            "createdAt": row.created_at.isoformat(),
            "updatedAt": row.updated_at.isoformat(),
            "closedAt": None,
            "status": d.get("status", "OPEN"),
            "confidential": False,
        },
        "departments": [{"id": "dep_eng", "name": "Engineering"}],
        "offices": [{"id": "off_remote", "name": "Remote"}],
        "hiringManagers": None,
        "recruiters": None,
        "stages": [{"id": s[0], "text": s[1]} for s in STAGES],
    }


def _application(row: SimulatorObject) -> dict[str, Any]:
    d = row.data
    stage = next((s for s in STAGES if s[0] == d.get("stageId")), None)
    return {
        "info": {
            "id": row.key,
            "status": d.get("status", "ACTIVE"),
            "candidate": _candidate(d["candidateId"]),
            "origin": "NOT_SPECIFIED",
            "appliedAt": row.created_at.isoformat(),
            "updatedAt": row.updated_at.isoformat(),
            "jobId": d.get("jobId"),
            "owner": None,
            "creditedTo": None,
        },
        "currentStage": {"id": stage[0], "text": stage[1]} if stage else None,
        "interviews": None,
        "rejection": None,
        "offers": None,
        "attachments": None,
        # In Knit's published example (sync-watch-fields); the sandbox records no screening
        # answers, and null is Knit's empty list.
        "questionResponses": None,
    }


def _list(request: HttpRequest, resource: str) -> JsonResponse:
    account = _authenticate(request)
    if isinstance(account, JsonResponse):
        return account
    refused = ats_only(account, OPERATION[resource])
    if refused is not None:
        return refused
    offset = 0
    token = request.GET.get(constants.PAGE_TOKEN_PARAM)
    if token:
        position = faults.unopaque(token)
        if position is None or time.time() - float(position.get("t", 0)) > TOKEN_TTL_SECONDS:
            return _error(400, "Invalid or expired pageToken: start again from the first page.")
        offset = int(position.get("o", 0))
    size = PAGE_SIZE
    status = faults.fault_take(P, OPERATION[resource], offset // size + 1)
    if status:
        return _error(status, "Knit is temporarily unavailable (simulated).")
    rows = SimulatorObject.objects.filter(provider=P, kind=KIND[resource], data__integration_id=account.key)
    chunk = list(rows.order_by("created_at", "id")[offset : offset + size + 1])
    following = faults.opaque({"o": offset + size, "t": time.time()}) if len(chunk) > size else None
    render = _job if resource == "jobs" else _application
    return knit_json(
        {
            "success": True,
            "data": {resource: [render(row) for row in chunk[:size]], constants.NEXT_PAGE_TOKEN: following},
        }
    )


@csrf_exempt
@require_http_methods(["GET"])
def job_list(request: HttpRequest) -> JsonResponse:
    return _list(request, "jobs")


@csrf_exempt
@require_http_methods(["GET"])
def application_list(request: HttpRequest) -> JsonResponse:
    return _list(request, "applications")


def urlpatterns() -> list:
    return [
        path(f"v1.0/{constants.PATH_JOB_LIST}", job_list, name="api-job-list"),
        path(f"v1.0/{constants.PATH_APPLICATION_LIST}", application_list, name="api-application-list"),
    ]
