"""The built-in Knit: the Knit API our client calls, and Knit's Ashby workflow endpoint that turns
Ashby's assessment.start / assessment.cancel into signed `record.new` / `record.deleted` webhooks.

Behaves like Knit on the wire as far as we know it: Bearer API key + X-Knit-Integration-Id on
every call, {"success": false, "error": {"msg"}} with 401/404/422, injectable 429/5xx. State is
in SimulatorObject rows so the web server and the worker share one sandbox. Dev and tests only:
it keeps sandbox API keys in plain JSON on purpose (it has to sign with them)."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
import uuid
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.models import SimulatorObject

from . import constants
from .webhooks import js_stringify, sign

P = "knit"

# --- state -----------------------------------------------------------------------------------


def _get(kind: str, key: str) -> SimulatorObject | None:
    return SimulatorObject.objects.filter(provider=P, kind=kind, key=key).first()


def _put(kind: str, key: str, data: dict[str, Any]) -> SimulatorObject:
    obj, _ = SimulatorObject.objects.update_or_create(provider=P, kind=kind, key=key, defaults={"data": data})
    return obj


def sim_list(kind: str) -> list[SimulatorObject]:
    return list(SimulatorObject.objects.filter(provider=P, kind=kind).order_by("-created_at", "-id"))


def sim_account_register(
    *, api_key: str, integration_id: str, webhook_url: str = "", label: str = ""
) -> dict:
    """A Knit account with one Ashby integration. webhook_url may be a path on this server
    (resolved against JOBCANNON_BASE_URL when sending, never stored absolute)."""
    existing = _get(constants.SIM_ACCOUNT, integration_id)
    data = {
        **(existing.data if existing else {}),
        "api_key": api_key,
        "integration_id": integration_id,
        "webhook_url": webhook_url or (existing.data.get("webhook_url", "") if existing else ""),
        "label": label or "Sandbox account",
        "sign_mode": "raw",
        "fail_next": [],
    }
    return _put(constants.SIM_ACCOUNT, integration_id, data).data


def sim_account_create(label: str = "") -> dict:
    return sim_account_register(
        api_key=f"knit_sandbox_{secrets.token_urlsafe(24)}",
        integration_id=f"int_{secrets.token_hex(8)}",
        label=label,
    )


def sim_account_update(integration_id: str, **changes: Any) -> None:
    account = _get(constants.SIM_ACCOUNT, integration_id)
    if account is not None:
        account.data = {**account.data, **changes}
        account.save(update_fields=["data", "updated_at"])


# --- the Knit API (/sim/knit/v1.0/...) --------------------------------------------------------


def _error(status: int, msg: str, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse({"success": False, "error": {"msg": msg}}, status=status)
    for k, v in (headers or {}).items():
        response[k] = v
    return response


def _authenticate(request: HttpRequest) -> tuple[SimulatorObject | None, JsonResponse | None]:
    header = request.headers.get("Authorization", "")
    integration_id = request.headers.get(constants.AUTH_HEADER_INTEGRATION, "")
    if not header.startswith("Bearer ") or not integration_id:
        return None, _error(401, "Missing Authorization: Bearer <API key> or X-Knit-Integration-Id header.")
    account = _get(constants.SIM_ACCOUNT, integration_id)
    if account is None or not hmac.compare_digest(
        account.data["api_key"].encode(), header[7:].strip().encode()
    ):
        return None, _error(401, "Invalid API key or integration id.")
    injected = account.data.get("fail_next") or []
    if injected:  # fault injection from the simulator dashboard: the next calls fail as configured
        status = int(injected[0])
        sim_account_update(integration_id, fail_next=injected[1:])
        return None, _error(
            status, f"Simulated failure {status}.", {"Retry-After": "30"} if status == 429 else None
        )
    return account, None


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_http_methods(["GET"])
def api_jobs(request: HttpRequest) -> JsonResponse:
    account, error = _authenticate(request)
    if error:
        return error
    return JsonResponse(
        {
            "success": True,
            "data": {
                "jobs": [{"id": "job_456def", "name": "Senior Frontend Engineer"}],
                "pagination": {"next": None},
            },
        }
    )


@csrf_exempt
@require_http_methods(["POST"])
def api_secrets_create(request: HttpRequest) -> JsonResponse:
    account, error = _authenticate(request)
    if error:
        return error
    secret_key = f"knit_ashby_{secrets.token_urlsafe(24)}"
    _put(
        constants.SIM_SECRET,
        secret_key,
        {"integration_id": account.key, "revoked": False, "created_at": timezone.now().isoformat()},
    )
    base_url = settings.JOBCANNON_BASE_URL + reverse("integrations:sim-knit:workflow-base")
    return JsonResponse({"success": True, "data": {"secretKey": secret_key, "baseUrl": base_url}})


@csrf_exempt
@require_http_methods(["POST"])
def api_secrets_revoke(request: HttpRequest) -> JsonResponse:
    account, error = _authenticate(request)
    if error:
        return error
    body = _body(request) or {}
    secret = _get(constants.SIM_SECRET, str(body.get("secretKey", "")))
    if secret is None or secret.data.get("integration_id") != account.key:
        return _error(404, "Unknown secretKey.")
    secret.data = {**secret.data, "revoked": True}
    secret.save(update_fields=["data", "updated_at"])
    return JsonResponse({"success": True, "data": {}})


def _record_submission(account: SimulatorObject, mode: str, assessment_id: str, body: dict[str, Any]) -> str:
    submission_id = f"sub_{uuid.uuid4().hex[:16]}"
    inner = body.get("body") if mode == constants.RESULT_MODE_PASSTHROUGH else None
    if isinstance(inner, dict):  # Ashby's own fields say what the update means
        status = (
            "COMPLETED"
            if "assessment_result" in inner
            else "CANCELLED"
            if "cancelled_reason" in inner
            else "IN_PROGRESS"
        )
    else:
        status = str(body.get("status", ""))
    _put(
        constants.SIM_SUBMISSION,
        submission_id,
        {
            "integration_id": account.key,
            "mode": mode,
            "body": body,
            "assessment_id": assessment_id,
            "status": status,
            "received_at": timezone.now().isoformat(),
        },
    )
    assessment = _get(constants.SIM_ASSESSMENT, assessment_id)
    if assessment is not None and assessment.data.get("status") != "CANCELLED":
        assessment.data = {**assessment.data, "status": status}
        assessment.save(update_fields=["data", "updated_at"])
    return submission_id


def _known_assessment(account: SimulatorObject, assessment_id: str) -> SimulatorObject | None:
    assessment = _get(constants.SIM_ASSESSMENT, assessment_id)
    return assessment if assessment and assessment.data.get("integration_id") == account.key else None


@csrf_exempt
@require_http_methods(["POST"])
def api_assessment_update(request: HttpRequest) -> JsonResponse:
    account, error = _authenticate(request)
    if error:
        return error
    body = _body(request)
    if body is None:
        return _error(400, "The body must be a JSON object.")
    assessment_id = str(body.get("candidateAssessmentId") or "")
    if not assessment_id or body.get("status") not in ("IN_PROGRESS", "COMPLETED", "CANCELLED"):
        return _error(
            422, "candidateAssessmentId and status (IN_PROGRESS, COMPLETED, CANCELLED) are required."
        )
    if _known_assessment(account, assessment_id) is None:
        return _error(404, f"Unknown candidate assessment {assessment_id}.")
    submission_id = _record_submission(account, constants.RESULT_MODE_UPDATE, assessment_id, body)
    return JsonResponse({"success": True, "data": {"id": submission_id}})


@csrf_exempt
@require_http_methods(["POST"])
def api_passthrough(request: HttpRequest) -> JsonResponse:
    account, error = _authenticate(request)
    if error:
        return error
    body = _body(request)
    inner = (body or {}).get("body")
    if body is None or body.get("path") != "/assessment.update" or not isinstance(inner, dict):
        return _error(422, "This simulator passes through only POST /assessment.update with a JSON body.")
    assessment_id = str(inner.get("assessment_id") or "")
    if _known_assessment(account, assessment_id) is None:
        # What Ashby answers for an unknown id, wrapped by Knit.
        return _error(404, f"Ashby: assessment {assessment_id!r} not found.")
    submission_id = _record_submission(account, constants.RESULT_MODE_PASSTHROUGH, assessment_id, body)
    return JsonResponse({"success": True, "data": {"response": {"success": True}, "id": submission_id}})


# --- Knit's Ashby workflow endpoint: Ashby → Knit → our webhook ----------------------------------


class WorkflowError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def account_for_secret(secret_key: str) -> SimulatorObject:
    """Knit checks the API key Ashby presents: one of its assessment secrets, not revoked."""
    secret = _get(constants.SIM_SECRET, secret_key.strip()) if secret_key else None
    if secret is None or secret.data.get("revoked"):
        raise WorkflowError(401, "Knit rejected Ashby's API key (unknown or revoked secretKey).")
    account = _get(constants.SIM_ACCOUNT, secret.data["integration_id"])
    if account is None:
        raise WorkflowError(401, "The Knit account of this secretKey no longer exists.")
    return account


def _envelope(event_type: str, assessment: dict[str, Any], run_ms: int) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    return {
        "eventType": event_type,
        "eventData": {"candidateAssessment": assessment},
        "eventId": f"evt_{now_ms}{secrets.token_hex(3)}",
        "recordId": assessment["id"],
        "syncType": "real_time",
        "syncDataType": constants.SYNC_DATA_TYPE_ASSESSMENTS,
        "syncJobId": "ats_assessments_real_time",
        "syncRunId": f"real_time_{run_ms}",
        "triggeredAt": now_ms,
    }


def record_new_payload(assessment_id: str, start: dict[str, Any], package: dict[str, Any]) -> dict[str, Any]:
    """Seed 003's record.new, field for field, from Ashby's assessment.start body."""
    cand, app, job = start.get("candidate") or {}, start.get("application") or {}, start.get("job") or {}
    assessment = {
        "applicationId": app.get("ashby_id"),
        "assessmentPackage": {
            "description": package.get("description"),
            "id": start.get("assessment_type_id"),
            "metaData": None,
            "name": package.get("name"),
            "type": package.get("type"),
        },
        "callbackUrl": None,
        "candidate": {
            "emails": [{"email": cand["email"], "type": "PRIMARY"}] if cand.get("email") else None,
            "firstName": cand.get("first_name"),
            "id": cand.get("ashby_id"),
            "lastName": cand.get("last_name"),
            "links": None,
            "location": package.get("location"),
            "phones": None,
        },
        "id": assessment_id,
        "jobId": job.get("ashby_id"),
        "metaData": None,
        "originData": start,
        "status": "NOT_SPECIFIED",
    }
    return _envelope(constants.EVENT_RECORD_NEW, assessment, int(time.time() * 1000))


def record_deleted_payload(assessment_id: str) -> dict[str, Any]:
    """Seed 003's record.deleted: everything null but the id."""
    assessment = {
        "applicationId": None,
        "assessmentPackage": {"description": None, "id": None, "metaData": None, "name": None, "type": None},
        "callbackUrl": None,
        "candidate": {
            "emails": None,
            "firstName": None,
            "id": None,
            "lastName": None,
            "links": None,
            "location": None,
            "phones": None,
        },
        "id": assessment_id,
        "jobId": None,
        "metaData": None,
        "originData": {"assessment_id": assessment_id},
        "status": "CANCELLED",
    }
    return _envelope(constants.EVENT_RECORD_DELETED, assessment, int(time.time() * 1000))


def deliver_webhook(account: SimulatorObject, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the event to the account's registered webhook URL, signed like Knit, over real HTTP."""
    url = account.data.get("webhook_url", "")
    if not url:
        raise WorkflowError(409, "No webhook URL is registered for this Knit account (simulator dashboard).")
    if url.startswith("/"):
        url = settings.JOBCANNON_BASE_URL + url
    body = json.dumps(payload, indent=1).encode()  # not compact: proves we verify the raw bytes
    signed = js_stringify(payload) if account.data.get("sign_mode") == "json_stringify" else body
    headers = {
        "Content-Type": "application/json",
        constants.SIGNATURE_HEADER: sign(account.data["api_key"], signed),
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=15)
        status, text = response.status_code, response.text[:500]
    except requests.RequestException as exc:
        status, text = 0, f"{type(exc).__name__}: {exc}"
    delivery = {
        "event_type": payload["eventType"],
        "event_id": payload["eventId"],
        "url": url,
        "status": status,
        "response": text,
        "assessment_id": payload["recordId"],
        "sent_at": timezone.now().isoformat(),
        "integration_id": account.key,
    }
    _put(constants.SIM_DELIVERY, payload["eventId"], delivery)
    return delivery


def ashby_assessment_start(
    secret_key: str, start: dict[str, Any], package: dict[str, Any] | None = None
) -> dict:
    account = account_for_secret(secret_key)
    if not start.get("assessment_type_id") or not (start.get("candidate") or {}).get("email"):
        raise WorkflowError(422, "assessment_type_id and candidate.email are required.")
    assessment_id = "ats_ass_" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")[:21]
    _put(
        constants.SIM_ASSESSMENT,
        assessment_id,
        {
            "integration_id": account.key,
            "start": start,
            "status": "NOT_SPECIFIED",
            "created_at": timezone.now().isoformat(),
        },
    )
    delivery = deliver_webhook(account, record_new_payload(assessment_id, start, package or {}))
    return {"assessment_id": assessment_id, "delivery": delivery}


def ashby_assessment_cancel(secret_key: str, assessment_id: str) -> dict:
    account = account_for_secret(secret_key)
    assessment = _known_assessment(account, assessment_id)
    if assessment is None:
        raise WorkflowError(404, f"Unknown assessment {assessment_id!r}.")
    assessment.data = {**assessment.data, "status": "CANCELLED"}
    assessment.save(update_fields=["data", "updated_at"])
    return {
        "assessment_id": assessment_id,
        "delivery": deliver_webhook(account, record_deleted_payload(assessment_id)),
    }


def _ashby_secret(request: HttpRequest) -> str:
    # Ashby sends Basic base64("<key>:"); tolerate the key in the password field too.
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return ""
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return ""
    return user or password


@csrf_exempt
@require_http_methods(["POST"])
def workflow(request: HttpRequest, action: str) -> JsonResponse:
    body = _body(request)
    if body is None:
        return JsonResponse({"success": False, "message": "The body must be a JSON object."}, status=400)
    try:
        if action == "assessment.start":
            result = ashby_assessment_start(_ashby_secret(request), body)
        elif action == "assessment.cancel":
            result = ashby_assessment_cancel(_ashby_secret(request), str(body.get("assessment_id", "")))
        else:
            return JsonResponse(
                {"success": False, "message": f"Unsupported Ashby call {action}."}, status=404
            )
    except WorkflowError as exc:
        return JsonResponse({"success": False, "message": exc.message}, status=exc.status)
    return JsonResponse({"success": True, "results": {"assessment_id": result["assessment_id"]}})


def _urlpatterns() -> list:
    from . import simulator_pages as pages

    return [
        path("", pages.dashboard, name="dashboard"),
        path("ashby/", pages.ashby, name="ashby"),
        path("submissions/", pages.submissions, name="submissions"),
        path("v1.0/ats.jobs", api_jobs, name="api-jobs"),
        path("v1.0/ats.assessment.secrets.create", api_secrets_create, name="api-secrets-create"),
        path("v1.0/ats.assessment.secrets.revoke", api_secrets_revoke, name="api-secrets-revoke"),
        path("v1.0/ats.candidate.assessment.update", api_assessment_update, name="api-assessment-update"),
        path("v1.0/passthrough", api_passthrough, name="api-passthrough"),
        path("workflows/webhook/ashby/", workflow, {"action": ""}, name="workflow-base"),
        path("workflows/webhook/ashby/<str:action>", workflow, name="workflow"),
    ]


urlpatterns = _urlpatterns()
