"""Data for the simulator's sync endpoints (simulator_sync.py), in SimulatorObject rows (provider
"ashby"): jobs with their interview plan, plans with their stages, candidates and applications,
plus the levers tests and developers pull (expire every sync token, add warnings, change a
record so the next incremental sync returns it). Dev/test only."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from integrations.simulator_plugins.models import SimulatorObject

from . import simulator_store as state

STAGES = (
    ("Application Review", "PreInterviewScreen"),
    ("Assessment", "Active"),
    ("Onsite", "Active"),
    ("Offer", "Offer"),
    ("Hired", "Hired"),
)
NAMES = ("Robin Sample", "Alex Example", "Sam Placeholder", "Jordan Testcase", "Casey Fixture", "Riley Mock")


# --- levers ----------------------------------------------------------------------------------


def sync_tokens_expire(account_id: str) -> None:
    state.account_update(account_id, sync_tokens_valid_after=timezone.now().isoformat())


def sync_warnings_set(account_id: str, endpoint: str, warnings: list[str]) -> None:
    account = state.account_get(account_id)
    current = dict((account.data if account else {}).get("sync_warnings") or {})
    state.account_update(account_id, sync_warnings={**current, endpoint: list(warnings)})


def touch(kind: str, key: str, **changes: Any) -> SimulatorObject:
    """Change a record (its updated_at moves, so the next incremental sync returns it)."""
    obj = SimulatorObject.objects.get(provider=state.P, kind=kind, key=key)
    obj.data = {**obj.data, **changes}
    obj.save(update_fields=["data", "updated_at"])
    return obj


# --- data --------------------------------------------------------------------------------------


def plan_create(
    account_id: str, *, plan_id: str | None = None, stage_ids: dict[str, str] | None = None
) -> SimulatorObject:
    plan_id = plan_id or str(uuid.uuid4())
    stage_ids = stage_ids or {}
    stages = [
        {
            "id": stage_ids.get(title) or str(uuid.uuid4()),
            "title": title,
            "type": kind,
            "orderInInterviewPlan": n,
        }
        for n, (title, kind) in enumerate(STAGES, start=1)
    ]
    return state.put(
        "interview_plan", plan_id, {"account": account_id, "title": "Default plan", "stages": stages}
    )


def job_create(
    account_id: str,
    *,
    title: str,
    job_id: str | None = None,
    plan_id: str | None = None,
    location: str = "Remote (EU)",
) -> SimulatorObject:
    plan = state.get("interview_plan", plan_id) if plan_id else None
    plan = plan or plan_create(account_id, plan_id=plan_id)
    return state.put(
        "job",
        job_id or str(uuid.uuid4()),
        {
            "account": account_id,
            "title": title,
            "status": "Open",
            "location": {"id": str(uuid.uuid4()), "name": location},
            "departmentId": str(uuid.uuid4()),
            # The spec's job schema (webhooks.jobCreate): customRequisitionId is a uuid, and
            # confidential and employmentType are required.
            "customRequisitionId": str(uuid.uuid4()),
            "confidential": False,
            "employmentType": "FullTime",
            "defaultInterviewPlanId": plan.key,
            "createdAt": state.now_iso(),
        },
    )


def application_create(
    account_id: str,
    *,
    candidate_id: str,
    job_id: str,
    stage_title: str = "Application Review",
    application_id: str | None = None,
) -> SimulatorObject:
    job = state.get("job", job_id)
    plan = state.get("interview_plan", job.data["defaultInterviewPlanId"]) if job else None
    stage = next((s for s in (plan.data["stages"] if plan else []) if s["title"] == stage_title), None)
    return state.put(
        "application",
        application_id or str(uuid.uuid4()),
        {
            "account": account_id,
            "candidate_id": candidate_id,
            "job_id": job_id,
            "stage_id": stage["id"] if stage else "",
            "status": "Active",
            "createdAt": state.now_iso(),
        },
    )


def records_for_candidate(candidate: SimulatorObject) -> None:
    """A candidate made on the simulator's page gets the job, plan and application it names."""
    d = candidate.data
    if state.get("job", d["job"]["id"]) is None:
        plan_create(d["account"], plan_id=d["plan_id"], stage_ids={"Assessment": d["stage_id"]})
        job_create(d["account"], title=d["job"]["name"], job_id=d["job"]["id"], plan_id=d["plan_id"])
    if state.get("application", d["application_id"]) is None:
        application_create(
            d["account"],
            candidate_id=candidate.key,
            job_id=d["job"]["id"],
            stage_title="Assessment",
            application_id=d["application_id"],
        )


def candidate_applications(account_id: str) -> dict[str, dict[str, Any]]:
    """Per candidate id, the application its profile shows (its first) and that application's job,
    from the application and job rows: sync_seed's candidates have only those rows, where a
    candidate made on the page (simulator_state.candidate_create) also carries them in its data."""
    jobs = {j.key: j.data for j in state.list_for("job", account_id)}
    out: dict[str, dict[str, Any]] = {}
    for app in state.list_for("application", account_id):
        job = jobs.get(app.data.get("job_id", "")) or {}
        out.setdefault(
            app.data.get("candidate_id", ""),
            {
                "application_id": app.key,
                "job": {
                    "id": app.data.get("job_id", ""),
                    "name": job.get("title", ""),
                    "req_id": job.get("customRequisitionId", ""),
                },
            },
        )
    return out


def candidate_application(candidate: SimulatorObject, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the profile page shows and assessment.start sends for a candidate: application id, job
    (id, name, req_id) and hiring team. `found`: its candidate_applications() entry, if at hand."""
    d = candidate.data
    if found is None:
        found = candidate_applications(d.get("account", "")).get(candidate.key)
    found = found or {}
    job = d.get("job") or found.get("job") or {}
    return {
        "application_id": d.get("application_id") or found.get("application_id", ""),
        "job": {"id": job.get("id", ""), "name": job.get("name", ""), "req_id": job.get("req_id", "")},
        "hiring_team": [d["hiring_manager"]] if d.get("hiring_manager") else [],
    }


def sync_seed(account_id: str, *, jobs: int = 2, candidates: int = 5) -> list[SimulatorObject]:
    """A small hiring pipeline to sync (no webhooks are sent). Returns the candidates."""
    made_jobs = [
        job_create(account_id, title=t) for t in ("Backend Engineer", "Data Analyst", "Designer")[:jobs]
    ]
    out = []
    for n in range(candidates):
        name = NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else f" {n}")
        first, _, last = name.partition(" ")
        candidate = state.put(
            "candidate",
            str(uuid.uuid4()),
            {
                "account": account_id,
                "name": name,
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
                "created_at": state.now_iso(),
            },
        )
        application_create(account_id, candidate_id=candidate.key, job_id=made_jobs[n % len(made_jobs)].key)
        out.append(candidate)
    return out
