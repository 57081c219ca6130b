"""The inbound guard: what an ATS sends us (webhook deliveries, partner API calls), checked before
any view runs. The body size limit before the body is read, content types we never accept, JSON
depth (partner calls only: a webhook's is checked by its intake once its signature verified),
each answered with the one JSON error shape; partner calls that fail authentication are charged
to the client address (the budgets: integrations/services/inbound_limits.py), before the failure
is written to any log (integrations/services/partner_auth.py), and answered 429 past the budget;
webhook deliveries whose 429 their request line and headers decide (a spent scan budget on the
seeds' hint-less route) are answered before the body is read
(webhook_intake.webhook_refusal_before_read); a body sent with Transfer-Encoding (chunked, no
Content-Length: Django would read it as empty) is refused 411, unread. A refusal of a body nobody reads closes its connection (close_after_response).

Most of these refusals on the webhook intake's paths never get here: the production WSGI entry
answers them before Django from the same rules and with the same bodies (integrations/services/
prewsgi.py, jobcannon/core/wsgi.py: the 411, the hint-less route's 413, and its 429 once this
process knows the scan budget is spent). What reaches the guard (other servers, the test client,
anything the early check left to Django) is answered here exactly as before.
A partner call's refusal is the provider's to shape when the vendor publishes the partner API's
statuses (ATSProvider.partner_refusal; Ashby's spec lists no 400/413/415/429).

In MIDDLEWARE and MACHINE_MIDDLEWARE (jobcannon/settings/base.py), after CommonMiddleware."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve

from integrations.registry import get_providers
from integrations.services.partner_auth import partner_failure_arm, partner_failure_scope
from integrations.services.prewsgi import LENGTH_REQUIRED_MESSAGE, SCAN_LOOKED
from integrations.services.webhook_intake import (
    inbound_body_too_large,
    webhook_body_limit,
    webhook_refusal_before_read,
)
from integrations.views import WebhookReceiveView
from jobcannon.core.clientaddr import client_address
from jobcannon.core.exceptions import error_body
from jobcannon.core.jsondepth import MAX_JSON_DEPTH, json_too_deep
from jobcannon.core.wsgi import close_after_response


def _inbound_kind(view_func: Any, request: HttpRequest) -> tuple[str, str] | None:
    """("webhook" | "partner", provider key) when the request is one an ATS sends us."""
    if getattr(view_func, "view_class", None) is WebhookReceiveView:
        match = request.resolver_match
        return ("webhook", str(match.kwargs.get("provider", ""))) if match else None
    match = request.resolver_match
    for namespace in match.namespaces if match else []:
        if namespace.startswith("partner-"):
            return "partner", namespace.removeprefix("partner-")
    return None


# Nobody sends us files: multipart bodies would only cost temp files and parsing.
REFUSED_CONTENT_TYPES = ("multipart/",)
# JSON depth (jobcannon/core/jsondepth.py): checked here for partner calls only. A webhook is
# depth-checked by its intake once its signature verified, just before it is parsed: scanning
# every unsigned body here cost ~2 ms per 64 KiB of bracket junk (benchmarks section 7).


class InboundGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        malformed = _malformed_length_refusal(request)
        if malformed is not None:
            return malformed
        # A partner call that fails authentication is charged to the client's failure budget
        # (integrations/services/inbound_limits.py, per address or IPv6 /64) once: by the view when
        # it records the failure (partner_auth_failure_record, which takes the budget BEFORE it
        # writes a row and writes nothing once it is spent; SmartRecruiters' 400 invalid_client
        # too), or here for any other 401/403. Past the budget the answer is 429. A call whose key
        # authenticated is never charged, so a failing caller cannot lock out a verified one.
        # Webhooks are charged by the intake itself, which knows whether a signature verified.
        with partner_failure_scope() as charge:
            response = self.get_response(request)
        if charge.armed and (charge.taken or response.status_code in (401, 403)):
            wait = charge.take()
            if wait:
                return _rate_limited(request, wait)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        inbound = _inbound_kind(view_func, request)
        if inbound is None:
            return None
        kind = inbound[0]
        request._inbound = inbound  # type: ignore[attr-defined]  # for _refusal after the view
        if "HTTP_TRANSFER_ENCODING" in request.META:
            # Django reads a body without Content-Length as empty: a chunked delivery would be
            # rejected as an empty body, however well signed, and its bytes drained unread. Pages
            # are not refused (this guard sees inbound calls only): no browser streams a request
            # body over HTTP/1.1, and a form read as empty fails its CSRF check or validation in
            # plain sight, where a webhook's rejection is only seen in the logs.
            close_after_response(request)
            return _refusal(request, 411, "length_required", LENGTH_REQUIRED_MESSAGE)
        length = int(request.META.get("CONTENT_LENGTH") or 0)  # digits: __call__ refused the rest
        limit, note = settings.WEBHOOK_MAX_BODY_BYTES, ""
        if kind == "webhook":  # the seeds' hint-less route takes less (checked before reading it)
            limit, note = webhook_body_limit(
                request=request, provider_key=inbound[1], public_id=view_kwargs.get("public_id")
            )
        if length > limit:
            close_after_response(request)  # the body is never read: no keep-alive drain of it
            too_large = inbound_body_too_large(length=length, limit=limit, note=note)["error"]
            return _refusal(request, 413, too_large["code"], too_large["message"], too_large["details"])
        content_type = (request.content_type or "").lower()
        if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(REFUSED_CONTENT_TYPES):
            return _refusal(
                request,
                415,
                "unsupported_media_type",
                f"Content-Type {content_type} is not accepted; send JSON.",
            )
        if (
            kind == "partner"  # webhooks: after verification (webhook_intake.py), never for junk
            and request.method in ("POST", "PUT", "PATCH")
            and json_too_deep(request.body)
        ):
            return _refusal(
                request,
                400,
                "bad_request",
                f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
            )
        # Rate limits are keyed on what a caller proves, so they are taken after verification:
        # by the webhook intake and, for partner calls, by VerifiedPartnerThrottle (verified)
        # and, once authentication failed, by partner_auth_failure_record or __call__ above. A
        # header a caller invents no longer buys a fresh bucket. One webhook refusal is known
        # before the body is read, and is answered here without reading it: the hint-less route's
        # spent scan budget (webhook_intake.webhook_refusal_before_read; the production WSGI entry
        # often answers it before Django, prewsgi.py, and then says so with SCAN_LOOKED).
        if kind == "webhook" and not request.META.get(SCAN_LOOKED):  # prewsgi asked it already
            refused = webhook_refusal_before_read(
                request=request,
                provider_key=inbound[1],
                public_id=view_kwargs.get("public_id"),
                address=client_address(request),
            )
            if refused is not None:
                response = JsonResponse(refused.body, status=refused.status_code, headers=refused.headers)
                response._has_been_logged = True  # type: ignore[attr-defined]  # the intake logged it (DEBUG)
                return response
        request._inbound_kind = kind  # type: ignore[attr-defined]
        if kind == "partner":
            partner_failure_arm(address=client_address(request))
        return None


_DIGITS = re.compile(r"[0-9]+")


def _malformed_length_refusal(request: HttpRequest) -> HttpResponse | None:
    """An inbound call whose Content-Length is not digits (RFC 9110 §8.6: `1*DIGIT`) is refused
    400 before the rest of the stack runs: django_prometheus' PrometheusAfterMiddleware, later in
    MIDDLEWARE, int()s the header in process_request and would answer a 500 before process_view
    ever saw it. (gunicorn answers such a request 400 itself; runserver and tests pass it on.)
    The URL is resolved here only for such a request, to know whether it is an inbound call;
    any other page gets a plain 400 (never the 500 the metrics middleware would raise)."""
    value = request.META.get("CONTENT_LENGTH") or ""
    if not value or _DIGITS.fullmatch(value):
        return None
    try:
        request.resolver_match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        request.resolver_match = None
    inbound = request.resolver_match and _inbound_kind(request.resolver_match.func, request)
    if not inbound:
        return HttpResponseBadRequest(
            "Bad request: Content-Length is not a number.", content_type="text/plain"
        )
    request._inbound = inbound  # type: ignore[attr-defined]
    return _refusal(request, 400, "bad_request", "Content-Length is not a number.")


def _refusal(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The guard's answer: the generic JSON error shape, unless the request is a partner call
    and its provider answers partner refusals its own way (ATSProvider.partner_refusal: Ashby's
    partner OpenAPI lists no 400/413/415/429 and has its own error envelope)."""
    kind, provider_key = getattr(request, "_inbound", ("", ""))
    if kind == "partner":
        provider = get_providers().get(provider_key)
        if provider is not None:
            answer = provider.partner_refusal(
                request, status=status, code=code, message=message, details=details, headers=headers
            )
            if answer is not None:
                return answer
    response = JsonResponse(error_body(code, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _rate_limited(request: HttpRequest, wait: float) -> HttpResponse:
    seconds = max(1, math.ceil(wait))
    return _refusal(
        request,
        429,
        "rate_limited",
        "Too many failed requests from this address; retry after the Retry-After delay.",
        {"retry_after": seconds},
        {"Retry-After": str(seconds)},
    )
