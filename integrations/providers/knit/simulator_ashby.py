"""The built-in Knit, Ashby side: Knit's Ashby workflow endpoint (the `baseUrl` + `secretKey` Ashby
is given) turns Ashby's assessment.start / assessment.cancel into `record.new` / `record.deleted`
webhooks shaped exactly like seed 003's examples, signed with the Knit API key and POSTed over
real HTTP to the webhook URL registered for the account."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from .simulator import (
    SIM_ACCOUNT,
    SIM_ASSESSMENT,
    SIM_DELIVERY,
    SIM_SECRET,
    execution_id,
    json_body,
    sim_assessment_for,
    sim_get,
    sim_put,
)
from .webhooks import js_stringify, sign


class WorkflowError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def account_for_secret(secret_key: str) -> SimulatorObject:
    """Knit checks the API key Ashby presents: one of its assessment secrets. Knit documents no
    revoke call (README.md), so the sandbox has none either: a secret JobCannon retired stays
    valid here, as it would at Knit until Knit support revokes it."""
    secret = sim_get(SIM_SECRET, secret_key.strip()) if secret_key else None
    if secret is None:
        raise WorkflowError(401, "Knit rejected Ashby's API key (unknown secretKey).")
    account = sim_get(SIM_ACCOUNT, secret.data["integration_id"])
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
    # Knit's webhook dispatch headers (developers.getknit.dev/reference/api-response-structures):
    # the signature, the execution id of this dispatch and the integration id.
    headers = {
        "Content-Type": "application/json",
        constants.SIGNATURE_HEADER: sign(account.data["api_key"], signed),
        constants.EXECUTION_ID_HEADER: execution_id(),
        constants.AUTH_HEADER_INTEGRATION: account.key,
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
    sim_put(SIM_DELIVERY, payload["eventId"], delivery)
    return delivery


def ashby_assessment_start(
    secret_key: str, start: dict[str, Any], package: dict[str, Any] | None = None
) -> dict:
    account = account_for_secret(secret_key)
    if not start.get("assessment_type_id") or not (start.get("candidate") or {}).get("email"):
        raise WorkflowError(422, "assessment_type_id and candidate.email are required.")
    assessment_id = "ats_ass_" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")[:21]
    sim_put(
        SIM_ASSESSMENT,
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
    assessment = sim_assessment_for(account, assessment_id)
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
    body = json_body(request)
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
