"""Knit's passthrough to Ashby: the request body Knit expects and how to read its answer. Pure.

Knit wraps the app's own answer inside its envelope, so `{"success": true}` from Knit only means
Knit delivered the call; whether Ashby applied the assessment.update is in the wrapped response:
    {"success": true, "data": {"response": {"body": "<Ashby's JSON, as a string>", "headers": {...}}}}
Sources (constants.PATH_PASSTHROUGH): [F] https://getknit.dev/solutions-use-cases/update-applicant-scores-to-ats
(`method`, `path`, optional `baseUrl`); [2nd] Knit passthrough clients (the body goes out as a JSON
string, the app's body comes back as a string in data.response.body). Ashby answers HTTP 200 with
`{"success": false, "errors": [...], "errorInfo": {"code", "message"}}` when it refuses
(shared/reference/ashby-api.md §3.3). [I] the wrapped HTTP status: Knit's field name was not
retrievable, so `statusCode` or `status` is read when present (an int 100-599), else Knit's own HTTP
status when it is an error (public passthrough clients take Knit's status as the app's), otherwise
Ashby's own `success` decides."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from integrations.base import (
    ATSError,
    ATSNotFound,
    ATSPermissionError,
    ATSRateLimited,
    ATSServerError,
    ATSValidationError,
)

from . import constants


def request_body(ashby_body: Mapping[str, Any]) -> dict[str, Any]:
    """Knit's passthrough request: Ashby's assessment.update body serialised as a JSON string."""
    return {
        "method": "POST",
        "path": constants.ASHBY_UPDATE_PATH,
        "body": json.dumps(dict(ashby_body), separators=(",", ":"), ensure_ascii=False),
    }


def _status(wrapped: Mapping[str, Any]) -> int | None:
    for key in ("statusCode", "status"):
        value = wrapped.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
        if isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
            return int(value)
    return None


def _ashby_message(body: Any) -> tuple[str, str]:
    """Ashby's error text and code from {errors, errorInfo} (errors may be strings or objects)."""
    if not isinstance(body, Mapping):
        return "", ""
    info = body.get("errorInfo")
    if isinstance(info, Mapping) and (info.get("message") or info.get("code")):
        return str(info.get("message") or info.get("code")), str(info.get("code") or "")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        texts = [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
        return "; ".join(texts), texts[0]
    return str(body.get("message") or ""), ""


def ashby_outcome(
    data: Mapping[str, Any], *, request_id: str = "", knit_status: int = 200
) -> ATSError | None:
    """None when Ashby accepted the update; otherwise the error, classified like a direct call.
    `knit_status` is Knit's own HTTP status: when the wrapped answer names no status of its own, a
    Knit error status is taken as Ashby's ([2nd] public passthrough clients read it that way)."""
    wrapped = data.get("response")
    if not isinstance(wrapped, Mapping):
        return ATSValidationError(
            "Knit accepted the passthrough call but its answer carried no Ashby response "
            "(data.response), so we cannot tell whether Ashby stored the result.",
            request_id=request_id,
        )
    raw = wrapped.get("body")
    try:
        body = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        body = None
    status = _status(wrapped)
    if status is None and knit_status >= 400:
        status = knit_status
    message, code = _ashby_message(body)
    kw: dict[str, Any] = {"status_code": status, "vendor_code": code, "request_id": request_id}
    if status is not None and status >= 400:
        text = f"Ashby answered {status} through Knit's passthrough" + (f": {message}" if message else ".")
        if status in (401, 403):
            return ATSPermissionError(
                text + " Knit's Ashby connection lacks the candidatesWrite permission or its key was "
                "revoked: reconnect Ashby in Knit.",
                **kw,
            )
        if status == 404:
            return ATSNotFound(text, **kw)
        if status == 429:
            return ATSRateLimited(text, **kw)
        if status >= 500:
            return ATSServerError(text, **kw)
        return ATSValidationError(text, **kw)
    if isinstance(body, Mapping) and body.get("success") is True:
        return None
    if code == "rate_limit_exceeded":
        return ATSRateLimited(f"Ashby is rate limiting (through Knit's passthrough): {message}", **kw)
    if isinstance(body, Mapping) and body.get("success") is False:
        return ATSValidationError(
            f"Ashby refused the assessment.update through Knit's passthrough: {message or 'no reason given'}",
            **kw,
        )
    return ATSValidationError(
        "Knit's passthrough answer did not carry Ashby's {success: true}; the result was not "
        f"confirmed (Ashby's answer: {str(raw)[:200]!r}).",
        **kw,
    )
