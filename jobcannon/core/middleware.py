"""Request id and one structured access line per request.

The id comes from the load balancer's `X-Request-ID` when it is a plain token, otherwise it is
generated; it is bound for logging (jobcannon/core/logging.py), kept on `request.request_id`,
and echoed in the response so a customer's support ticket can quote it.

The access line logs the path without its query string (OAuth callbacks carry `code` and
`state`) and with candidate keys masked; gunicorn's own access log stays off for that reason."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.response import HttpResponseBase
from django.middleware import common
from django.utils.http import escape_leading_slashes

from jobcannon.core.clientaddr import client_address
from jobcannon.core.logging import (
    clean_request_id,
    clear_log_context,
    new_request_id,
    scrub_text,
    set_log_context,
)

logger = logging.getLogger("jobcannon.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Probes and scrapes hit these every few seconds: logged at DEBUG only.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = clean_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.monotonic()
        # Bound until request_finished (not just until this returns): Django logs 4xx/5xx
        # responses ("Not Found: ...") after the middleware chain, and those lines need the id too.
        set_log_context({"request_id": rid})
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        match = getattr(request, "resolver_match", None)
        logger.log(
            logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
            "http.request",
            extra={
                "method": request.method,
                "path": scrub_text(request.path),
                # The client, as TRUSTED_PROXY_COUNT / TRUSTED_CLIENT_IP_HEADER resolve it (behind a
                # load balancer REMOTE_ADDR is the balancer's): who sent a flood, who failed to sign in.
                "client": client_address(request),
                "view": match.view_name if match else "",
                "status": response.status_code,
                "ms": int((time.monotonic() - started) * 1000),
            },
        )
        return response


def _unbind(sender: object, **kwargs: object) -> None:
    clear_log_context()


request_finished.connect(_unbind, dispatch_uid="jobcannon-request-id-unbind")


class HttpResponsePermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308  # RFC 9110 §15.4.9: the client repeats the request, method and body, there


class CommonMiddleware(common.CommonMiddleware):
    """Django's CommonMiddleware, except where a request with a body (POST, PUT, PATCH, DELETE) is
    sent to a URL missing its trailing slash: it is redirected 308 to the slashed URL (the client
    sends the same request there), where Django answers 301 in production (which clients follow
    with a GET, dropping the body) and raises a RuntimeError under DEBUG (a 500 on `dev.py run`)."""

    def get_full_path_with_slash(self, request: HttpRequest) -> str:
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            request.method in ("DELETE", "POST", "PUT", "PATCH")
            and response.status_code == 404
            and self.should_redirect_with_slash(request)
        ):
            return HttpResponsePermanentRedirectKeepingMethod(self.get_full_path_with_slash(request))
        return super().process_response(request, response)
