"""Error answers of the partner API, in the shape Ashby's published partner OpenAPI gives them
(its shared error schema: `success: false`, `errors` (deprecated, a list of codes) and
`errorInfo {code, message, requestId, meta}`), plus `message` on the 409/422 of assessment.start,
which Ashby shows to the recruiter.

`errorInfo.requestId` is this request's id: the one in our log lines and in the response's
`X-Request-ID` header (jobcannon/core/middleware.py), so a requestId an Ashby user reads out to
support finds the request in our logs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from rest_framework.response import Response

from jobcannon.core.logging import current_request_id


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
