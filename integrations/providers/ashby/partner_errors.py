"""Error answers of the partner API, in the shape Ashby's partner OpenAPI gives them (as its
third-party mirror carries it, tests/fixtures/ashby/openapi/README.md)
(its shared error schema: `success: false`, `errors` (deprecated, a list of codes) and
`errorInfo {code, message, requestId, meta}`), plus `message` on the 409/422 of assessment.start,
which Ashby shows to the recruiter.

`errorInfo.requestId` is this request's id: the one in our log lines and in the response's
`X-Request-ID` header (jobcannon/core/middleware.py), so a requestId an Ashby user reads out to
support finds the request in our logs.

Every refusal, by a view or by the shared inbound guard before any view runs, has the status the
refused operation lists (`refusal`): the spec lists no 400, 401, 405, 406, 413, 415 or 429. The one
answer with a status the spec does not list is our own failure (`server_failure`: 500, or 503 with
the database down), still in the envelope with its request id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.response import Response

from jobcannon.core.logging import current_request_id

# Operations, as the last segment of the URL Ashby calls (`<partner base URL>/<operation>`).
START = "assessment.start"
LIST = "assessment.list"
CANCEL = "assessment.cancel"
CUSTOM_FIELD_LIST = "assessment.customField.list"


def error_envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Ashby's error envelope (the spec's shared error schema: `errors` + `errorInfo` required,
    `errorInfo.meta` an object)."""
    info: dict[str, Any] = {
        "code": code,
        "message": message,
        "requestId": current_request_id() or uuid.uuid4().hex,
    }
    if details is not None:
        info["meta"] = dict(details) if isinstance(details, Mapping) else {"details": details}
    return {"success": False, "errors": [code], "errorInfo": info}


def ashby_error(status: int, code: str, message: str, details: Any = None) -> Response:
    return Response(error_envelope(code, message, details), status=status)


def recruiter_message(status: int, code: str, message: str, details: Any = None) -> Response:
    """409/422: Ashby shows `message` to the recruiter as is; the envelope beside it names the
    code and the request id (for support)."""
    return Response({"message": message, **error_envelope(code, message, details)}, status=status)


def refusal(operation: str, code: str, message: str, details: Any = None) -> tuple[int, dict[str, Any]]:
    """(status, body) with which `operation` refuses a call, in the status its spec lists:
    - assessment.start: 422 `{message}` ("shown to the user in Ashby") plus the envelope.
    - assessment.list: 200, the envelope plus `results: null`. Its 200 is `oneOf` a success
      that requires only `success` and the error envelope, so a bare envelope matches both
      branches and is invalid (the spec's own example body too); a `results` that is not a list
      matches the error branch only. Ashby reads `success: false` first either way.
    - assessment.cancel, assessment.customField.list: 200, the envelope (their success branch
      requires `results` / `fields`, so the envelope matches only the error branch)."""
    body = error_envelope(code, message, details)
    if operation == START:
        return 422, {"message": message, **body}
    if operation == LIST:
        return 200, {**body, "results": None}
    return 200, body


def server_failure(operation: str, *, unavailable: bool) -> tuple[int, dict[str, Any]]:
    """(status, body) when `operation` failed on our side (a bug, the database down): Ashby's
    envelope with the request id, and a 5xx, one status no operation lists.

    Why a 5xx and not the operation's refusal (422 / 200 envelope): the spec's statuses describe
    the caller's request (200 done or refused, 409 already assessed, 422 "shown to the user in
    Ashby" so the recruiter fixes something). An internal failure is none of those: a 422 would
    tell the recruiter to fix input that is fine, and a 200 `success: false` is a final answer
    no client retries. A 5xx says "the server failed, the request may be sent again" (RFC 9110
    §15.6); whether Ashby retries a partner call is not documented (its /docs/retries page is
    about webhooks), so this is the honest answer, not a promise of a retry. Sending it again is
    safe: assessment.start is idempotent on application + type, assessment.cancel on the run.
    503 when the database is unreachable (transient), 500 otherwise. The exception's text is
    never in the body (only in our log line, scrubbed, under the same request id)."""
    status = 503 if unavailable else 500
    code = "service_unavailable" if unavailable else "internal_error"
    what = "is briefly unavailable" if unavailable else "hit an internal error"
    body = error_envelope(code, "")
    message = (
        f"JobCannon {what} and could not complete {operation}; nothing is wrong with the request. "
        "Please try again in a few minutes. If it keeps failing, contact JobCannon support with "
        f"request id {body['errorInfo']['requestId']}."
    )
    body["errorInfo"]["message"] = message
    if operation == START:  # what Ashby shows the recruiter, as on its 409/422
        return status, {"message": message, **body}
    return status, body


# The shared inbound guard's generic codes in Ashby's vocabulary: `invalid_input` is Ashby's
# code for "Request payload is malformed" (the spec's error example), `rate_limit_exceeded` its
# rate-limit code (shared/reference/ashby-api.md §3.3).
GUARD_CODES = {
    "bad_request": "invalid_input",
    "unsupported_media_type": "invalid_input",
    "rate_limited": "rate_limit_exceeded",
}


def guard_refusal(
    request: HttpRequest,
    *,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """AshbyProvider.partner_refusal: what the inbound guard (integrations/middleware.py)
    answers instead of its generic 400/413/415/429. A plain JsonResponse: the guard answers
    outside DRF, so a DRF Response would never be rendered."""
    operation = request.path.rstrip("/").rsplit("/", 1)[-1]
    if code == "rate_limited":  # the caller's failed-authentication budget (a 422 Ashby shows)
        wait = (details or {}).get("retry_after", 1)
        message = (
            "Too many calls with a missing or wrong JobCannon partner API key came from this address: "
            "check the key in Ashby's JobCannon settings, then retry in "
            f"{wait} seconds."
        )
    status, body = refusal(operation, GUARD_CODES.get(code, code), message, details)
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def flatten_detail(detail: Any, prefix: str = "") -> list[str]:
    """DRF validation detail -> ["candidate.email: Not a valid string.", ...]."""
    if isinstance(detail, Mapping):
        out: list[str] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else f"{prefix}{key}"
            out += flatten_detail(value, f"{name}." if name else prefix)
        return out
    if isinstance(detail, list):
        return [line for item in detail for line in flatten_detail(item, prefix)]
    return [f"{prefix.rstrip('.')}: {detail}" if prefix else str(detail)]
