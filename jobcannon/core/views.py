import logging
import re

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View

from jobcannon.core import health
from jobcannon.core.exceptions import error_body
from jobcannon.core.models import SentEmail

logger = logging.getLogger(__name__)


# Paths whose errors are answered in the JSON error shape whatever the Accept header: what
# machines call. Core's own API, plus what the apps above register from their AppConfig.ready
# (integrations: its webhook intake and partner APIs), as for the WSGI machine stack
# (jobcannon/core/wsgi.py), whose paths are only the subset a machine POSTs to: core knows no
# app above it. Filled once at start-up, before the first request.
_json_paths: list[re.Pattern[str]] = [re.compile(r"/api/.*")]


def json_path_register(pattern: str) -> None:
    """Errors on a path `pattern` (a regular expression the whole path must match) are JSON.
    Registering the same pattern twice is a no-op."""
    compiled = re.compile(pattern)
    if compiled not in _json_paths:
        _json_paths.append(compiled)


def _wants_json(request: HttpRequest) -> bool:
    if "application/json" in request.headers.get("Accept", ""):
        return True
    return any(pattern.fullmatch(request.path) for pattern in _json_paths)


def _error(request: HttpRequest, status: int, code: str, title: str, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(code, message), status=status)
    return render(
        request, "error.html", {"title": title, "message": message, "status": status}, status=status
    )


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return _error(
        request,
        403,
        "forbidden",
        "Not allowed",
        str(exception) if exception and str(exception) else "You do not have permission to do this.",
    )


def page_not_found(request, exception=None):
    return _error(
        request,
        404,
        "not_found",
        "Not found",
        "This page does not exist, or it belongs to another workspace.",
    )


def server_error(request):
    return _error(
        request,
        500,
        "server_error",
        "Something went wrong",
        "We have been notified. Please try again in a moment.",
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not get
    healthy web processes restarted."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache, broker, migrations applied, workers heartbeating.
    `?skip=workers` is for the load balancer: a worker outage must not take web servers (and
    with them webhook intake) out of rotation. The body names checks, never errors."""
    skip = {s for s in request.GET.get("skip", "").split(",") if s in health.SKIPPABLE}
    checks = health.readiness(skip=skip)
    ok = health.is_ready(checks)
    response = JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
    response["Cache-Control"] = "no-store"
    if not ok:
        # One warning with the failing checks instead of django.request's generic error line
        # (probes repeat every few seconds; the check that failed is what an operator needs).
        logger.warning("readyz.not_ready", extra={"checks": checks})
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@method_decorator(staff_member_required, name="dispatch")
class DevMailboxView(PermissionRequiredMixin, View):
    permission_required = "core.view_sentemail"  # staff alone is not enough (issue 21)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not getattr(settings, "DEV_MAILBOX_ENABLED", False):
            raise Http404
        return render(request, "core/mailbox.html", {"emails": SentEmail.objects.all()[:100]})


@method_decorator(staff_member_required, name="dispatch")
class DevMailboxMessageView(PermissionRequiredMixin, View):
    permission_required = "core.view_sentemail"  # staff alone is not enough (issue 21)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not getattr(settings, "DEV_MAILBOX_ENABLED", False):
            raise Http404
        return render(request, "core/mailbox_message.html", {"email": get_object_or_404(SentEmail, pk=pk)})
