"""The WSGI application: one Django, two middleware stacks.

What an ATS sends to the webhook intake is a machine POSTing JSON: it has no session, no user,
no CSRF token, no workspace, no messages, no static files, and its answer is never a page a
browser renders. Those requests run through MACHINE_MIDDLEWARE (metrics, request id and its log
line, the security headers, the inbound guard: size and content type; JSON depth for partner
calls, and for webhooks after their signature verified, in the intake); everything else through MIDDLEWARE. Same URLconf, same views, same error handlers.

Why: a delivery's CPU is what bounds intake on a small machine, and the browser-side layers
(sessions, auth, allauth, MFA, messages, htmx, workspace, CSP, whitenoise, clickjacking) were a
fifth of it (benchmarks/README.md, section 1)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

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


# A request refused from its request line and headers alone (a 413 from its Content-Length) has a
# body nobody will read. Marked with close_after_response, its connection is closed after the
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


class JobCannonWSGI:
    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.machine = _MachineHandler(list(settings.MACHINE_MIDDLEWARE))

    def handler_for(self, path: str) -> WSGIHandler:
        return self.machine if is_machine_path(path) else self.full

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        response = self.handler_for(environ.get("PATH_INFO", ""))(environ, start_response)
        if environ.get(CLOSE_AFTER_RESPONSE):
            _force_close(start_response)
        return response


def get_application() -> JobCannonWSGI:
    import django

    django.setup(set_prefix=False)
    return JobCannonWSGI()
