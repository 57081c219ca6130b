"""The WSGI application: one Django, two middleware stacks.

What an ATS sends to the webhook intake is a machine POSTing JSON: it has no session, no user,
no CSRF token, no workspace, no messages, no static files, and its answer is never a page a
browser renders. Those requests run through MACHINE_MIDDLEWARE (metrics, request id and its log
line, the security headers, the inbound guard: size and content type; JSON depth for partner
calls, and for webhooks after their signature verified, in the intake); everything else through
MIDDLEWARE. Same URLconf, same views, same error handlers.

Before either, a machine request that its request line and headers alone refuse is answered here,
without Django (pre_django_check_register): the checks the apps register (integrations: a body
with Transfer-Encoding, 411; an over-size body on the seeds' hint-less route, 413; a spent scan
budget known in memory, 429: integrations/services/prewsgi.py) return the answer, and it is sent
as the machine stack would send it (the same JSON body, status, Retry-After, the security headers
and an X-Request-ID) with `Connection: close` and its body never read. No WSGIRequest, URL
resolve, middleware, request log line or request metric: each such refusal cost ~2-3 ms of a
worker through Django, ~0.1 ms here (benchmarks section 7). They are counted instead
(jobcannon_refused_before_django_total, by status) and summed up in at most one log line a
second per process (`http.refused_before_django`). The same checks stay in the Django stack as
the fallback (other servers, the test client, a check that raised).

Why: a delivery's CPU is what bounds intake on a small machine, and the browser-side layers
(sessions, auth, allauth, MFA, messages, htmx, workspace, CSP, whitenoise, clickjacking) were a
fifth of it (benchmarks/README.md, section 1)."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware

logger = logging.getLogger(__name__)

# The URL shapes machines POST to, registered by the apps that serve them from their
# AppConfig.ready (integrations: its webhook intake), as the metrics' state sources and the
# schedules are: core knows no app above it. Anything else, and any mistake there, takes the
# full stack. Read per request; filled once at start-up, before the first request.
_machine_paths: list[re.Pattern[str]] = []


def machine_path_register(pattern: str) -> None:
    """`pattern` (a regular expression the whole PATH_INFO must match) is served on the machine
    stack. Registering the same pattern twice is a no-op."""
    compiled = re.compile(pattern)
    if compiled not in _machine_paths:
        _machine_paths.append(compiled)


def is_machine_path(path: str) -> bool:
    return any(pattern.fullmatch(path) for pattern in _machine_paths)


@contextmanager
def middleware_stack(middleware: list[str]) -> Iterator[None]:
    """BaseHandler.load_middleware reads settings.MIDDLEWARE: swap it while a handler is built
    (once, at start-up, before any request is served; the test client does the same)."""
    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        yield
    finally:
        settings.MIDDLEWARE = full


class _StackHandler(WSGIHandler):
    """A WSGIHandler whose middleware chain is built from the given list instead of MIDDLEWARE."""

    def __init__(self, middleware: list[str]):
        self._middleware = middleware
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        with middleware_stack(self._middleware):
            super().load_middleware(is_async)


def trust_open_connections() -> None:
    """Skip this request's database health check (`SELECT 1` before the first query, from
    CONN_HEALTH_CHECKS: a second transaction per delivery on top of the INSERT) for every
    connection the driver does not know to be broken. If the server dropped one (a database
    restart), the intake's first statement fails before anything is written and the view retries
    the delivery once on a fresh connection (integrations/views.py). Only with the Redis broker:
    the ORM broker's intake runs in a transaction, which cannot be retried that way."""
    if settings.QUEUE_IN_DATABASE:
        return
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if raw is not None and not conn.errors_occurred and not getattr(raw, "broken", True):
            conn.health_check_done = True  # type: ignore[attr-defined]  # Django sets it in __init__


class _MachineHandler(_StackHandler):
    """The machine stack, and no health-check round trip per delivery (trust_open_connections)."""

    def get_response(self, request: Any) -> Any:
        trust_open_connections()
        return super().get_response(request)


# A request refused from its request line and headers alone (a 413 from its Content-Length, a 411
# for a Transfer-Encoding, a 429 before the body is read) has a body nobody will read. Marked with close_after_response, its connection is closed after the
# answer instead of kept alive: gunicorn's gthread worker would otherwise read and discard up to
# 64 KiB of the unread body, 1 KiB at a time, before reusing the connection (and then close it
# anyway when more was left): ~0.7 ms of a worker per 1 MiB of junk (benchmarks section 7).
CLOSE_AFTER_RESPONSE = "jobcannon.close_after_response"


def close_after_response(request: Any) -> None:
    """Answer `request` with `Connection: close` and do not read what is left of its body."""
    request.META[CLOSE_AFTER_RESPONSE] = True


def _force_close(start_response: Callable) -> None:
    """gunicorn's start_response is a method of its Response, whose force_close() makes it send
    `Connection: close` and skip the drain (gunicorn/http/wsgi.py, workers/gthread.py). Called
    after the handler returned, before the first byte is written. Other servers: nothing."""
    force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
    if callable(force_close):
        force_close()


@dataclass(frozen=True)
class Refusal:
    """A pre-Django check's answer: the status, the JSON body exactly as the Django path would
    send it, and any header of its own (Retry-After)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


PreDjangoCheck = Callable[[dict[str, Any]], Refusal | None]

# Checks run on a machine path's environ before any handler, registered by the apps that own the
# paths (integrations, from its AppConfig.ready), as the machine paths are. Each must decide from
# the request line and headers and what its process holds in memory: no body read, no database
# (Django's connection handling has not run), no round trip the Django path would not make. None
# lets the request through to Django, which makes the same checks again (the fallback).
_pre_django_checks: list[PreDjangoCheck] = []


def pre_django_check_register(check: PreDjangoCheck) -> None:
    """Run `check` on every machine request before Django; a Refusal is the answer. Registering the
    same check twice is a no-op."""
    if check not in _pre_django_checks:
        _pre_django_checks.append(check)


def _pre_django_refusal(environ: dict[str, Any]) -> Refusal | None:
    for check in _pre_django_checks:
        try:
            refusal = check(environ)
        except Exception:  # noqa: BLE001 - a broken check must not break intake: Django decides
            logger.exception("http.pre_django_check_failed")
            return None
        if refusal is not None:
            return refusal
    return None


class _RefusalSummary:
    """What was refused before Django, for the log: at most one line a second per process, written
    by the first refusal a second or more after the last line (the counts of a burst's last second
    wait for the next refusal; the metric has every one at once). Statuses and counts only: no
    path, address or header."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._since = -math.inf

    def add(self, status: int) -> None:
        from jobcannon.core.metrics import refused_before_django

        refused_before_django(status=status)
        now = time.monotonic()
        with self._lock:
            self._counts[status] += 1
            if now - self._since < 1.0:
                return
            counts, self._counts, since, self._since = self._counts, Counter(), self._since, now
        logger.info(
            "http.refused_before_django",
            extra={
                "refused": ", ".join(f"{code} \u00d7{n}" for code, n in sorted(counts.items())),
                "seconds": round(now - since, 1) if since > -math.inf else 0.0,
            },
        )


_refused = _RefusalSummary()


def _refuse(environ: dict[str, Any], start_response: Callable, refusal: Refusal) -> Iterable[bytes] | None:
    """Send `refusal` as the machine stack would (JsonResponse, SecurityMiddleware's headers,
    RequestIdMiddleware's X-Request-ID), with
    `Connection: close` and the body unread. None when SecurityMiddleware would redirect the
    request to https instead (SECURE_SSL_REDIRECT): Django answers it, as before. A WSGIRequest is
    built (it reads nothing: the body stays unread) only so that Django itself says whether the
    request is secure and which headers its security middleware adds."""
    from jobcannon.core.logging import clean_request_id, new_request_id
    from jobcannon.core.middleware import REQUEST_ID_HEADER

    request = WSGIRequest(environ)
    security = SecurityMiddleware(_no_view)
    if security.process_request(request) is not None:
        return None
    response = HttpResponse(refusal.body, content_type="application/json", status=refusal.status)
    for name, value in refusal.headers:
        response[name] = value
    security.process_response(request, response)
    incoming = environ.get("HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_"))  # request.headers, unparsed
    response[REQUEST_ID_HEADER] = clean_request_id(incoming) or new_request_id()
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    _force_close(start_response)
    _refused.add(refusal.status)
    return [refusal.body]


def _no_view(request: Any) -> HttpResponse:
    raise AssertionError("SecurityMiddleware is only asked for its request and response steps")


class JobCannonWSGI:
    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.machine = _MachineHandler(list(settings.MACHINE_MIDDLEWARE))

    def handler_for(self, path: str) -> WSGIHandler:
        return self.machine if is_machine_path(path) else self.full

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        handler = self.handler_for(environ.get("PATH_INFO", ""))
        if handler is self.machine and _pre_django_checks:
            refusal = _pre_django_refusal(environ)
            if refusal is not None:
                answer = _refuse(environ, start_response, refusal)
                if answer is not None:
                    return answer
        response = handler(environ, start_response)
        if environ.get(CLOSE_AFTER_RESPONSE):
            _force_close(start_response)
        return response


def get_application() -> JobCannonWSGI:
    import django

    django.setup(set_prefix=False)
    return JobCannonWSGI()
