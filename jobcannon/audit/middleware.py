"""Request-level protections:

- AuditContextMiddleware: who is acting, for the audit log.
- MFARequiredMiddleware: staff without a second factor are sent to set one up first.
- SessionIdleTimeoutMiddleware: a signed-in session ends after SESSION_IDLE_TIMEOUT_SECONDS
  without a request."""

from __future__ import annotations

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
