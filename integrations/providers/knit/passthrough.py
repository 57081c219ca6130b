"""Knit's passthrough to Ashby: the request body Knit expects and how to read its answer. Pure.

Knit wraps the app's own answer inside its envelope, so `{"success": true}` from Knit only means
Knit delivered the call; whether Ashby applied the assessment.update is in the wrapped response.
Knit's published passthrough example (developers.getknit.dev/docs/passthrough-requests-for-getting-the-job-related-fields,
tests/fixtures/knit/api/passthrough__published_example.json) answers
    {"success": true, "data": {"response": {"body": "<string>", "headers": {...}}}}
with no status field of the app's own. Sources (constants.PATH_PASSTHROUGH): [F] that example and
https://getknit.dev/solutions-use-cases/update-applicant-scores-to-ats (`method`, `path`, optional
`baseUrl`); [2nd] Knit passthrough clients (the body goes out as a JSON string). Ashby answers HTTP 200
with `{"success": false, "errors": [...], "errorInfo": {"code", "message"}}` when it refuses
(shared/reference/ashby-api.md §3.3), so Ashby's own `success` decides. [I] a wrapped HTTP status:
Knit's example shows none, so `statusCode` or `status` is read only when present (an int 100-599),
else Knit's own HTTP status when it is an error (public passthrough clients take Knit's status as the
app's).

A wrapped 401/403 is Ashby refusing *Knit's* connection to Ashby (the key Knit holds was revoked, or
lacks a permission), not our Knit API key: `AshbyConnectionRefused`, held and retried, never
needs-reauth (re-entering the Knit key would change nothing)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from integrations.base import (
    ATSError,
    ATSNotFound,
    ATSRateLimited,
    ATSServerError,
    ATSValidationError,
)

from . import constants


class AshbyConnectionRefused(ATSError):
    """Ashby answered 401/403 to the assessment.update Knit passed through: Ashby no longer accepts
    the connection Knit holds for it (its key revoked or deactivated, or without the permission the
    call needs). Only the customer can fix it, inside Knit (reconnect Ashby there); our Knit API key
    is fine, so the integration is not marked needs-reauth. Retryable, so the outbox keeps the write
    (retrying with backoff, this reason on the row and in the health warnings) and "Test credentials
    now" sends the held writes at once (services.knit_results_resume)."""

    code = "knit_ashby_connection_refused"
    status = 409
    retryable = True


# What assessment.update needs in Ashby ([F] shared/reference/ashby-api.md §1.7: "Requires the
# candidatesWrite permission"); named when Ashby's answer does not name one itself.
ASHBY_UPDATE_PERMISSION = "candidatesWrite"
# Ashby's code for a key without the module permission (shared/reference/ashby-api.md §3.1).
ASHBY_MISSING_PERMISSION = "missing_endpoint_permission"
# Ashby's permission names are <module>Read / <module>Write (candidatesWrite, jobsRead, ...).
_PERMISSION = re.compile(r"\b[a-z][A-Za-z]*(?:Read|Write)\b")


# How the string body is to be sent on to the app, and the app's answer asked for: [2nd] a public
# Knit passthrough client (code search "make_passthrough_call": `"contentType": content_type or
# "application/json"`, `"headers": headers or {"Accept": "application/json"}`). Ashby's API takes
# only JSON (shared/reference/ashby-api.md §1: every endpoint is a JSON POST), so the body must not
# be forwarded as text/plain or a form.
PASSTHROUGH_CONTENT_TYPE = "application/json"
PASSTHROUGH_HEADERS = {"Accept": "application/json"}


def request_body(ashby_body: Mapping[str, Any]) -> dict[str, Any]:
    """Knit's passthrough request: Ashby's assessment.update body serialised as a JSON string,
    with the content type Knit forwards it under and the app's answer asked for as JSON."""
    return {
        "method": "POST",
        "path": constants.ASHBY_UPDATE_PATH,
        "body": json.dumps(dict(ashby_body), separators=(",", ":"), ensure_ascii=False),
        "contentType": PASSTHROUGH_CONTENT_TYPE,
        "headers": dict(PASSTHROUGH_HEADERS),
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


def _named_permission(body: Any, message: str) -> str:
    """The permission Ashby says is missing: `errors[].parameter` (Ashby's 403
    missing_endpoint_permission, shared/reference/ashby-api.md §3.3), else one its message names."""
    if isinstance(body, Mapping):
        for item in body.get("errors") or []:
            parameter = item.get("parameter") if isinstance(item, Mapping) else None
            if isinstance(parameter, str) and _PERMISSION.fullmatch(parameter.strip()):
                return parameter.strip()
    found = _PERMISSION.search(message)
    return found.group(0) if found else ""


def _connection_refused(text: str, body: Any, message: str, kw: dict[str, Any]) -> ATSError:
    permission = _named_permission(body, message)
    if permission:
        fix = f"with an Ashby API key that has the {permission} permission Ashby names"
    else:
        fix = (
            "with a valid Ashby API key (Ashby deactivated or refused the one Knit holds; assessment.update "
            f"needs the {ASHBY_UPDATE_PERMISSION} permission)"
        )
    return AshbyConnectionRefused(
        f"{text.rstrip('.')}. This is Ashby refusing Knit's connection to Ashby, not your Knit API key (re-entering the "
        f"Knit key changes nothing): reconnect Ashby inside Knit (Knit dashboard → Integrations → the "
        f"Ashby integration) {fix}. JobCannon keeps the result and retries it; press “Test credentials "
        "now” after reconnecting to send it at once.",
        **kw,
    )


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
            return _connection_refused(text, body, message, kw)
        if status == 404:
            return ATSNotFound(text, **kw)
        if status == 429:
            return ATSRateLimited(text, **kw)
        if status >= 500:
            return ATSServerError(text, **kw)
        return ATSValidationError(text, **kw)
    if isinstance(body, Mapping) and body.get("success") is True:
        return None
    if code == ASHBY_MISSING_PERMISSION:
        # Ashby's 403 body, wrapped without a status of its own (Knit's example shows none).
        return _connection_refused(
            f"Ashby refused the assessment.update through Knit's passthrough: {message}", body, message, kw
        )
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
