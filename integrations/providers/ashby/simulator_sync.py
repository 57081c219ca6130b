"""The simulator's sync endpoints, as Ashby pages and syncs (seed 002 §4, reference §3.4):

- job.list, candidate.list, application.list: `{limit ≤ 100, cursor?, syncToken?}` →
  `{success, results, moreDataAvailable, nextCursor}`, and on the last page a `syncToken`;
  with a syncToken only records changed since it was issued. interviewPlan.list only pages;
  interviewStage.list takes an interviewPlanId. application.info / job.info read one record.
- Records are ordered by when they last changed (then id), and a cursor means "after this
  record": a record changed during a sync moves behind the cursor and is still returned.
- Test levers: `simulator_sync_data.sync_tokens_expire(account)` makes every token issued so far answer
  `success: false` (`sync_token_expired`); `fault_set("ashby", "<endpoint>", page=N)` makes page N
  answer 503 once; `simulator_sync_data.sync_warnings_set(account, endpoint, [...])` adds a `warnings` array.

State: SimulatorObject kinds job, interview_plan, candidate, application (provider "ashby")."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.simulator_plugins.models import SimulatorObject
from integrations.sync import simulator as faults

from . import constants
from . import simulator_state as state
from .simulator_endpoints import Caller, ashby_json, failure
from .simulator_sync_data import touch

# --- wire shapes -----------------------------------------------------------------------------------


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def job_json(obj: SimulatorObject, expand: list[str]) -> dict[str, Any]:
    d = obj.data
    out = {
        "id": obj.key,
        "title": d["title"],
        "status": d.get("status", "Open"),
        "confidential": d.get("confidential", False),
        "employmentType": d.get("employmentType", "FullTime"),
        "locationId": d["location"]["id"],
        "departmentId": d.get("departmentId"),
        "defaultInterviewPlanId": d.get("defaultInterviewPlanId"),
        "customRequisitionId": d.get("customRequisitionId"),
        "createdAt": d.get("createdAt"),
        "updatedAt": _iso(obj.updated_at),
    }
    if "location" in expand:
        out["location"] = {"id": d["location"]["id"], "name": d["location"]["name"], "isArchived": False}
    return out


def candidate_json(obj: SimulatorObject) -> dict[str, Any]:
    d = obj.data
    email = {"value": d["email"], "type": "Work", "isPrimary": True} if d.get("email") else None
    return {
        "id": obj.key,
        "name": d["name"],
        "primaryEmailAddress": email,
        "emailAddresses": [email] if email else [],
        "primaryPhoneNumber": {"value": d["phone"], "type": "Mobile", "isPrimary": True}
        if d.get("phone")
        else None,
        "profileUrl": f"https://app.ashbyhq.com/candidates/{obj.key}",
        "createdAt": d.get("created_at"),
        "updatedAt": _iso(obj.updated_at),
    }


def application_json(obj: SimulatorObject) -> dict[str, Any]:
    d = obj.data
    candidate = state.get("candidate", d["candidate_id"])
    job = state.get("job", d["job_id"])
    plan = state.get("interview_plan", job.data.get("defaultInterviewPlanId", "")) if job else None
    stage = next((s for s in (plan.data["stages"] if plan else []) if s["id"] == d.get("stage_id")), None)
    return {
        "id": obj.key,
        "createdAt": d.get("createdAt"),
        "updatedAt": _iso(obj.updated_at),
        "status": d.get("status", "Active"),
        "candidate": state.candidate_payload(candidate)
        if candidate
        else {"id": d["candidate_id"], "name": ""},
        "currentInterviewStage": {**stage, "interviewPlanId": plan.key} if stage and plan else None,
        "job": {
            "id": d["job_id"],
            "title": job.data["title"] if job else "",
            "locationId": job.data["location"]["id"] if job else None,
            "departmentId": job.data.get("departmentId") if job else None,
        },
        "hiringTeam": [],
    }


# --- endpoints -------------------------------------------------------------------------------------


def _mark(obj: SimulatorObject) -> list[Any]:
    return [obj.updated_at.isoformat(), obj.pk]


def _after(qs, mark: list[Any] | None):
    if not mark:
        return qs
    at = parse_datetime(str(mark[0]))
    return qs.filter(updated_at__gt=at) | qs.filter(updated_at=at, pk__gt=int(mark[1]))


def _paged(
    kind: str, endpoint: str, render: Callable[[SimulatorObject], dict[str, Any]], *, incremental: bool = True
) -> Callable:
    def handler(caller: Caller, body: dict[str, Any]) -> JsonResponse:
        account = state.account_get(caller.account)
        limit = body.get("limit", constants.SYNC_PAGE_LIMIT)
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= constants.SYNC_PAGE_LIMIT
        ):
            return failure("invalid_input", "limit must be an integer from 1 to 100.")
        token, cursor = body.get("syncToken"), body.get("cursor")
        since: list[Any] | None = None
        if token is not None and incremental:
            parsed = faults.unopaque(str(token)) if isinstance(token, str) else None
            valid_after = (account.data if account else {}).get("sync_tokens_valid_after")
            if not parsed or parsed.get("a") != caller.account or parsed.get("k") != kind:
                return failure("invalid_input", "syncToken is not valid for this endpoint.")
            if valid_after and str(parsed.get("iat", "")) < valid_after:
                return failure(
                    constants.CODE_SYNC_TOKEN_EXPIRED, "The sync token has expired: run a full sync."
                )
            since = parsed.get("m")
        position: dict[str, Any] = {"p": 0, "m": since}
        if cursor is not None:
            decoded = faults.unopaque(str(cursor)) if isinstance(cursor, str) else None
            if not decoded or decoded.get("k") != kind:
                return failure("invalid_input", "cursor is not valid for this endpoint.")
            position = decoded
        page_no = int(position.get("p", 0)) + 1
        status = faults.fault_take(state.P, endpoint, page_no)
        if status:
            return failure("internal_error", f"Simulated failure of page {page_no}.", status)
        qs = SimulatorObject.objects.filter(provider=state.P, kind=kind, data__account=caller.account)
        rows = list(_after(qs, position.get("m")).order_by("updated_at", "pk")[: limit + 1])
        more, rows = len(rows) > limit, rows[:limit]
        last = _mark(rows[-1]) if rows else position.get("m")
        out: dict[str, Any] = {
            "success": True,
            "results": [render(r) for r in rows],
            "moreDataAvailable": more,
        }
        if more:
            out["nextCursor"] = faults.opaque({"k": kind, "p": page_no, "m": last})
        elif incremental:
            out["syncToken"] = faults.opaque(
                {"a": caller.account, "k": kind, "m": last, "iat": timezone.now().isoformat()}
            )
        warnings = ((account.data if account else {}).get("sync_warnings") or {}).get(endpoint)
        if warnings:
            out["warnings"] = list(warnings)
        return ashby_json(out)

    return handler


def _jobs(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    expand = body.get("expand") or []
    return _paged("job", constants.EP_JOB_LIST, lambda o: job_json(o, expand))(caller, body)


def _stages(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    plan = state.get("interview_plan", str(body.get("interviewPlanId", "")))
    if plan is None or plan.data.get("account") != caller.account:
        return failure("interview_plan_not_found", "No such interview plan.")
    stages = [{**s, "interviewPlanId": plan.key} for s in plan.data["stages"]]
    return ashby_json({"success": True, "results": stages, "moreDataAvailable": False})


def _info(kind: str, key_field: str, render: Callable[[SimulatorObject], dict[str, Any]]) -> Callable:
    def handler(caller: Caller, body: dict[str, Any]) -> JsonResponse:
        obj = state.get(kind, str(body.get(key_field, "")))
        if obj is None or obj.data.get("account") != caller.account:
            return failure(f"{kind}_not_found", f"No such {kind}.")
        return ashby_json({"success": True, "results": render(obj)})

    return handler


READ = constants.SCOPE_CANDIDATE_READ
SYNC_ENDPOINTS: dict[str, tuple[Callable[[Caller, dict[str, Any]], JsonResponse], str, str]] = {
    # endpoint: (handler, OAuth scope needed, API-key permission needed)
    constants.EP_JOB_LIST: (_jobs, READ, "jobsRead"),
    constants.EP_JOB_INFO: (_info("job", "id", lambda o: job_json(o, ["location"])), READ, "jobsRead"),
    constants.EP_INTERVIEW_PLAN_LIST: (
        _paged(
            "interview_plan",
            constants.EP_INTERVIEW_PLAN_LIST,
            lambda o: {"id": o.key, "title": o.data["title"], "isArchived": False},
            incremental=False,
        ),
        READ,
        "interviewsRead",
    ),
    constants.EP_INTERVIEW_STAGE_LIST: (_stages, READ, "interviewsRead"),
    constants.EP_CANDIDATE_LIST: (
        _paged("candidate", constants.EP_CANDIDATE_LIST, candidate_json),
        READ,
        "candidatesRead",
    ),
    constants.EP_APPLICATION_LIST: (
        _paged("application", constants.EP_APPLICATION_LIST, application_json),
        READ,
        "candidatesRead",
    ),
    constants.EP_APPLICATION_INFO: (
        _info("application", "applicationId", application_json),
        READ,
        "candidatesRead",
    ),
}


def candidate_delete(account_id: str, candidate_id: str) -> None:
    """Delete a candidate and their applications, then send candidateDelete (as Ashby does)."""
    SimulatorObject.objects.filter(
        provider=state.P, kind="application", data__candidate_id=candidate_id
    ).delete()
    SimulatorObject.objects.filter(provider=state.P, kind="candidate", key=candidate_id).delete()
    state.webhooks_fire(account_id, constants.EVENT_CANDIDATE_DELETE, {"candidate": {"id": candidate_id}})


def candidate_merge(account_id: str, deleted_id: str, merged_id: str) -> None:
    """Merge one candidate into another: applications move, the first is gone; candidateMerge."""
    for app in SimulatorObject.objects.filter(
        provider=state.P, kind="application", data__candidate_id=deleted_id
    ):
        touch("application", app.key, candidate_id=merged_id)
    SimulatorObject.objects.filter(provider=state.P, kind="candidate", key=deleted_id).delete()
    touch("candidate", merged_id)
    state.webhooks_fire(
        account_id,
        constants.EVENT_CANDIDATE_MERGE,
        {"deletedCandidate": {"id": deleted_id}, "mergedCandidate": {"id": merged_id}},
    )


def application_move(account_id: str, application_id: str, stage_title: str) -> SimulatorObject:
    """Move an application to another stage of its plan; candidateStageChange is sent."""
    app = state.get("application", application_id)
    assert app is not None
    job = state.get("job", app.data["job_id"])
    plan = state.get("interview_plan", job.data["defaultInterviewPlanId"]) if job else None
    stage = next(s for s in (plan.data["stages"] if plan else []) if s["title"] == stage_title)
    app = touch(
        "application",
        application_id,
        stage_id=stage["id"],
        status="Hired" if stage["type"] == "Hired" else "Active",
    )
    payload = {"application": application_json(app)}
    if stage["type"] != "Hired":
        state.webhooks_fire(account_id, constants.EVENT_CANDIDATE_STAGE_CHANGE, payload)
        return app
    # A hire "Also triggers applicationUpdate and candidateStageChange" (the spec,
    # webhooks.candidateHire), all three with the same webhookActionId (README "Webhook dedupe").
    action_id = str(uuid.uuid4())
    offer = {"id": str(uuid.uuid4()), "applicationId": app.key, "acceptanceStatus": "Accepted",
             "offerStatus": "CandidateAccepted"}  # fmt: skip
    state.webhooks_fire(
        account_id, constants.EVENT_CANDIDATE_HIRE, {**payload, "offer": offer}, action_id=action_id
    )
    state.webhooks_fire(account_id, constants.EVENT_APPLICATION_UPDATE, payload, action_id=action_id)
    state.webhooks_fire(account_id, constants.EVENT_CANDIDATE_STAGE_CHANGE, payload, action_id=action_id)
    return app
