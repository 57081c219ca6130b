"""Request-level protections:

- AuditContextMiddleware: who is acting, for the audit log.
- InboundGuardMiddleware: for webhook and partner API endpoints (what an ATS sends), the body
  size limit before the body is read, content types we never accept, JSON depth, each answered
  with the one JSON error shape; partner calls that fail authentication are charged to the
  client address (the budgets: integrations/services/inbound_limits.py), before the failure is
  written to any log (integrations/services/partner_auth.py), and answered 429 past the budget.
- MFARequiredMiddleware: staff without a second factor are sent to set one up first.
- SessionIdleTimeoutMiddleware: a signed-in session ends after SESSION_IDLE_TIMEOUT_SECONDS
  without a request."""

from __future__ import annotations

import array
import itertools
import math
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from jobcannon.audit.context import _actor, actor_for_request
from jobcannon.core.exceptions import error_body


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _actor.set(actor_for_request(request))
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)


def _inbound_kind(view_func: Any, request: HttpRequest) -> tuple[str, str] | None:
    """("webhook" | "partner", provider key) when the request is one an ATS sends us."""
    from integrations.views import WebhookReceiveView

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
# json.loads recurses per nesting level: a body like `[[[[…` one megabyte deep raises
# RecursionError (not ValueError) in every parser and serializer downstream, a 500. Real vendor
# payloads nest a dozen levels; anything with fewer opening brackets than this cannot go deep.
MAX_JSON_DEPTH = 200


# Strings (escapes included) cut out in C; what is left is reduced to its brackets, +1 / -1 each.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_too_deep(body: bytes) -> bool:
    """True when `body` is JSON nested deeper than MAX_JSON_DEPTH (cheap for normal bodies: two
    byte counts, and a scan only when there are that many brackets at all). The scan runs at C
    speed (a regex, a translate, running sums): junk with many brackets cost ~60 ms per MiB in a
    Python loop over every byte, a CPU sink anyone could fill (benchmarks section 7)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    steps = array.array("b", _JSON_STRING.sub(b"", body).translate(_BRACKET_STEPS, _NOT_BRACKETS))
    depth = 0
    for start in range(0, len(steps), 65536):  # chunks: a deep body is caught early
        chunk = steps[start : start + 65536]
        if max(itertools.accumulate(chunk, initial=depth)) > MAX_JSON_DEPTH:
            return True
        depth += sum(chunk)
    return False


class InboundGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from integrations.services.partner_auth import partner_failure_scope

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
                return _rate_limited(wait)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        inbound = _inbound_kind(view_func, request)
        if inbound is None:
            return None
        kind = inbound[0]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(error_body("bad_request", "Content-Length is not a number."), status=400)
        limit, note = settings.WEBHOOK_MAX_BODY_BYTES, ""
        if kind == "webhook":  # the seeds' hint-less route takes less (checked before reading it)
            from integrations.services.webhook_intake import webhook_body_limit

            limit, note = webhook_body_limit(
                request=request, provider_key=inbound[1], public_id=view_kwargs.get("public_id")
            )
        if length > limit:
            return JsonResponse(
                error_body(
                    "payload_too_large",
                    f"The request body is {length} bytes; the limit is {limit} bytes.{note}",
                    {"limit": limit},
                ),
                status=413,
            )
        content_type = (request.content_type or "").lower()
        if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(REFUSED_CONTENT_TYPES):
            return JsonResponse(
                error_body(
                    "unsupported_media_type", f"Content-Type {content_type} is not accepted; send JSON."
                ),
                status=415,
            )
        if request.method in ("POST", "PUT", "PATCH") and json_too_deep(request.body):
            return JsonResponse(
                error_body("bad_request", f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."),
                status=400,
            )
        # Rate limits are keyed on what a caller proves, so they are taken after verification:
        # by the webhook intake and, for partner calls, by VerifiedPartnerThrottle (verified)
        # and, once authentication failed, by partner_auth_failure_record or __call__ above. A
        # header a caller invents no longer buys a fresh bucket.
        request._inbound_kind = kind  # type: ignore[attr-defined]
        if kind == "partner":
            from integrations.services.partner_auth import partner_failure_arm
            from jobcannon.core.clientaddr import client_address

            partner_failure_arm(address=client_address(request))
        return None


def _rate_limited(wait: float) -> HttpResponse:
    seconds = max(1, math.ceil(wait))
    response = JsonResponse(
        error_body(
            "rate_limited",
            "Too many failed requests from this address; retry after the Retry-After delay.",
            {"retry_after": seconds},
        ),
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


# Paths a staff member without a second factor may still open: allauth's own pages (login,
# logout, the MFA setup itself), static files and the probes.
def _mfa_exempt(path: str) -> bool:
    prefixes = ("/accounts/", settings.STATIC_URL or "/static/", "/healthz", "/readyz", "/metrics")
    return path.startswith(prefixes)


class MFARequiredMiddleware:
    """Staff can read every workspace's logs: a stolen password must not be enough. A staff user
    without an authenticator is sent to set up TOTP before anything else (an API call gets a
    403 in the JSON error shape). Workspace admins and members may add one at any time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not _mfa_exempt(request.path)
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(user):
                if request.method == "GET" and "json" not in request.headers.get("Accept", ""):
                    target = reverse("mfa_activate_totp")
                    return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
                return JsonResponse(
                    error_body(
                        "mfa_required", "Staff accounts need two-factor authentication: set it up first."
                    ),
                    status=403,
                )
        return self.get_response(request)


# --- Idle timeout ------------------------------------------------------------------------------

LAST_ACTIVITY_KEY = "_jc_last_activity"
# The stamp (and with it the session's expiry in the store) is refreshed at most this often:
# a write per minute per user, not one per request (SESSION_SAVE_EVERY_REQUEST would add a
# session write to every page view, 3 queries).
ACTIVITY_RESOLUTION_SECONDS = 60


def session_activity_stamp(session: Any) -> None:
    session[LAST_ACTIVITY_KEY] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Signs out a session idle for longer than SESSION_IDLE_TIMEOUT_SECONDS (OWASP Session
    Management Cheat Sheet, "Idle timeout"): the request then goes on as anonymous, so pages
    that need a sign-in send the person to the login page. After AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from django.contrib.auth import logout

            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int | float) and now - last > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                logout(request)
            elif not isinstance(last, int | float) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                session_activity_stamp(request.session)  # saved by SessionMiddleware, expiry pushed
        return self.get_response(request)
