"""The Ashby API endpoints the simulator implements (the ones our client calls), with Ashby's
response envelopes: `{"success": true, "results": ...}`, or HTTP 200 with `success: false`,
`errors[]` and `errorInfo` (reference §3.3). Auth and rate limiting are in simulator_api.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import JsonResponse

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from . import simulator_state as state
from .simulator_support import is_uuid, strip_unsupported

BLOB_TYPES = {
    constants.BLOB_NUMERIC,
    constants.BLOB_DURATION,
    constants.BLOB_URL,
    constants.BLOB_STRING,
    constants.BLOB_BOOLEAN,
}


def ashby_json(body: dict[str, Any], status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response[constants.REQUEST_ID_HEADER] = uuid.uuid4().hex.upper()[:26]
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def failure(
    code: str, message: str, status: int = 200, errors: list | None = None, **headers: str
) -> JsonResponse:
    request_id = uuid.uuid4().hex.upper()[:26]
    response = ashby_json(
        {
            "success": False,
            "errors": errors or [code],
            "errorInfo": {"code": code, "message": message, "requestId": request_id},
        },
        status,
        **headers,
    )
    response[constants.REQUEST_ID_HEADER] = request_id
    return response


class Caller:
    def __init__(self, account: str, kind: str, grants: list[str], credential: str):
        self.account, self.kind, self.grants, self.credential = account, kind, grants, credential


# --- endpoints --------------------------------------------------------------------------------


def _api_key_info(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    """The spec, /apiKey.info: `results.{title, createdAt, scopes}`, scopes "List of permission
    scopes that this API key is authorized for" (example ["jobs:read", "candidates:read"]): the
    key's permissions in that form (constants.API_KEY_SCOPE_PERMISSIONS, our inference). A key
    made with `scopes_listed: False` answers without them, as older keys do; an OAuth token
    has no permission list."""
    if caller.kind != "api_key":
        return ashby_json({"success": True, "results": {"title": "OAuth app", "createdAt": state.now_iso()}})
    key = state.get("api_key", caller.credential)
    data = key.data if key else {}
    results: dict[str, Any] = {
        "title": data.get("title", ""),
        "createdAt": data.get("created_at") or state.now_iso(),
    }
    if data.get("scopes_listed", True):
        results["scopes"] = [
            constants.PERMISSION_API_KEY_SCOPES[p]
            for p in data.get("permissions", [])
            if p in constants.PERMISSION_API_KEY_SCOPES
        ]
    return ashby_json({"success": True, "results": results})


def _webhook_create(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    webhook_type, url, token = body.get("webhookType"), body.get("requestUrl"), body.get("secretToken")
    # The spec's webhookType enum: seed 000's candidate.created / assessment.completed are not in it.
    if not isinstance(webhook_type, str) or webhook_type not in constants.WEBHOOK_TYPES:
        return failure("invalid_input", f"webhookType {webhook_type!r} is not a valid webhook type.")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not isinstance(token, str):
        return failure("invalid_input", "requestUrl (an http(s) URL) and secretToken are required.")
    webhook = state.put(
        "webhook",
        str(uuid.uuid4()),
        {
            "account": caller.account,
            "webhookType": webhook_type,
            "requestUrl": url,
            "secretToken": token,
            "enabled": True,
        },
    )
    # Ashby pings a new webhook; an error answer (>400) creates it disabled. That ping is the
    # creation's check, so it is not retried (simulator_webhooks.py).
    status = state.webhook_send(webhook, constants.EVENT_PING, {"webhookActionType": "ping"}, retry=False)
    webhook.refresh_from_db()
    webhook.data = {**webhook.data, "enabled": 200 <= status < 400}
    webhook.save(update_fields=["data", "updated_at"])
    return ashby_json(
        {
            "success": True,
            "results": {
                "id": webhook.key,
                "enabled": webhook.data["enabled"],
                "requestUrl": url,
                "webhookType": webhook_type,
            },
        }
    )


def _webhook_delete(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    if not is_uuid(body.get("webhookId")):
        return failure("invalid_input", "webhookId must be a UUID.")
    webhook = state.get("webhook", str(body.get("webhookId", "")))
    if webhook is None or webhook.data.get("account") != caller.account:
        return failure("webhook_not_found", "No such webhook.")
    webhook.delete()
    return ashby_json({"success": True, "results": {"webhookId": webhook.key}})


def _valid_blob(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(k), str) and value.get(k) for k in ("identifier", "label"))
        and value.get("type") in BLOB_TYPES
        and isinstance(value.get("value"), str | int | float | bool)
    )


def _assessment_update(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    aid, ts = body.get("assessment_id"), body.get("timestamp")
    if not is_uuid(aid) or not isinstance(ts, int) or isinstance(ts, bool):
        return failure("invalid_input", "assessment_id (a UUID) and timestamp (int64 ms) are required.")
    if "assessment_status" not in body and "cancelled_reason" not in body:
        return failure("invalid_input", "assessment_status is required when cancelled_reason is not set.")
    blobs = [
        body[k]
        for k in ("assessment_status", "assessment_result", "assessment_profile_url", "cancelled_reason")
        if k in body
    ] + list(body.get("metadata") or [])
    if not all(_valid_blob(b) for b in blobs):
        return failure(
            "invalid_input", "Every value must be an {identifier, label, type, value} blob of a known type."
        )
    if (
        "assessment_result" in body
        and (body.get("assessment_profile_url") or {}).get("type") != constants.BLOB_URL
    ):
        return failure(
            "invalid_input", "assessment_profile_url (type url) is required with assessment_result."
        )
    with transaction.atomic():
        assessment = (
            SimulatorObject.objects.select_for_update()
            .filter(provider=state.P, kind="assessment", key=aid)
            .first()
        )
        if assessment is None or assessment.data.get("account") != caller.account:
            return failure(
                "assessment_not_found", f"No assessment {aid!r} was started in this Ashby account."
            )
        d = assessment.data
        in_order = ts > d.get("last_timestamp", 0)
        d["updates"] = [
            *d.get("updates", []),
            {"received_at": state.now_iso(), "timestamp": ts, "in_order": in_order, "body": body},
        ]
        if in_order:
            d["last_timestamp"] = ts
            if "cancelled_reason" in body:
                d["status"], d["cancelled_reason"] = "Cancelled", body["cancelled_reason"]["value"]
            elif "assessment_result" in body:
                d["status"] = "Completed"
                d["result"] = {
                    k: body.get(k) for k in ("assessment_result", "assessment_profile_url", "metadata")
                }
            else:
                d["status"] = str(body["assessment_status"]["value"])
        assessment.data = d
        assessment.save(update_fields=["data", "updated_at"])
    # No webhook follows: Ashby has no assessment-completed webhook type (reference §2).
    return ashby_json({"success": True, "results": {}})


def _candidate_create_note(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    if not is_uuid(body.get("candidateId")):
        return failure("invalid_input", "candidateId must be a UUID.")
    candidate = state.get("candidate", str(body.get("candidateId", "")))
    if candidate is None or candidate.data.get("account") != caller.account:
        return failure("candidate_not_found", "No such candidate.")
    note = body.get("note")
    content = note.get("value") if isinstance(note, dict) else note
    if not isinstance(content, str) or not content.strip():
        return failure("invalid_input", "note is required (a string or {type, value}).")
    note_type = note.get("type", "text/plain") if isinstance(note, dict) else "text/plain"
    if note_type not in ("text/plain", "text/html"):
        return failure("invalid_input", "note.type must be text/plain or text/html.")
    stripped: list[str] = []
    if note_type == "text/html":
        # "Any unsupported elements will be stripped out of the note's content before posting."
        content, stripped = strip_unsupported(content)
    note_id = str(uuid.uuid4())
    state.put(
        "note",
        note_id,
        {
            "account": caller.account,
            "candidate_id": candidate.key,
            "content": content[:20000],
            "type": note_type,
            "stripped_tags": stripped,  # what Ashby threw away (shown on the candidate page)
            "created_at": state.now_iso(),
        },
    )
    return ashby_json(
        {
            "success": True,
            "results": {
                "id": note_id,
                "createdAt": state.now_iso(),
                "content": content,
                "author": {"id": "api", "firstName": "JobCannon", "lastName": "", "email": ""},
            },
        }
    )


def _candidate_info(caller: Caller, body: dict[str, Any]) -> JsonResponse:
    candidate = state.get("candidate", str(body.get("id", "")))
    if candidate is None or candidate.data.get("account") != caller.account:
        return failure("candidate_not_found", "No such candidate.")
    return ashby_json(
        {
            "success": True,
            "results": {
                **state.candidate_payload(candidate),
                "applicationIds": [
                    a.key
                    for a in state.list_for("application", caller.account)
                    if a.data.get("candidate_id") == candidate.key
                ],
            },
        }
    )


ENDPOINTS: dict[str, tuple[Callable[[Caller, dict[str, Any]], JsonResponse], str, str]] = {
    # endpoint: (handler, OAuth scope needed, API-key permission needed)
    # API-key permissions as Ashby's OpenAPI states them (constants.ENDPOINT_PERMISSIONS).
    constants.EP_API_KEY_INFO: (_api_key_info, "", constants.PERMISSION_API_KEYS_READ),
    constants.EP_WEBHOOK_CREATE: (
        _webhook_create,
        constants.SCOPE_WEBHOOK_WRITE,
        constants.PERMISSION_API_KEYS_WRITE,
    ),
    constants.EP_WEBHOOK_DELETE: (
        _webhook_delete,
        constants.SCOPE_WEBHOOK_WRITE,
        constants.PERMISSION_API_KEYS_WRITE,
    ),
    constants.EP_ASSESSMENT_UPDATE: (
        _assessment_update,
        constants.SCOPE_CANDIDATE_WRITE,
        constants.PERMISSION_CANDIDATES_WRITE,
    ),
    constants.EP_CANDIDATE_CREATE_NOTE: (
        _candidate_create_note,
        constants.SCOPE_CANDIDATE_WRITE,
        constants.PERMISSION_CANDIDATES_WRITE,
    ),
    constants.EP_CANDIDATE_INFO: (
        _candidate_info,
        constants.SCOPE_CANDIDATE_READ,
        constants.PERMISSION_CANDIDATES_READ,
    ),
}
