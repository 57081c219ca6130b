"""The inbound guard's refusals that the request line and headers decide, answered before Django
(jobcannon/core/wsgi.py, pre_django_check_register; registered from integrations/apps.py).

Under a flood of junk at the seeds' hint-less route `/<provider>/webhooks` these refusals are
most of what the junk costs: through Django each is a WSGIRequest, a URL resolve, the machine
middleware (metrics, request id and its log line, security headers, the guard) and Django's own
4xx log line, ~2.1-2.9 ms of a worker's CPU (benchmarks section 7); here ~0.1 ms. Same status,
same JSON body, same Retry-After as the guard's answer (integrations/middleware.py), which stays
as the fallback (other servers, the test client). Decided here, for the webhook intake's paths:

- 411 for any request with a Transfer-Encoding (RFC 9112 §6.1): Django reads a body without
  Content-Length as empty, so a chunked delivery, however signed, was rejected as "not a JSON
  object" and gunicorn then drained up to 64 KiB of it. (Partner calls get the same 411 from the
  guard: they run on the full stack, not a machine path.)
- 413 on the hint-less route for a Content-Length over WEBHOOK_HINTLESS_MAX_BODY_BYTES when the
  request names no integration (header or ?integration=), as webhook_body_limit decides. A body
  naming an integration is left to the guard: whether the id is a connected integration's may
  need the database.
- 429 on the hint-less route when the scan budget's answer is known in memory
  (webhook_intake.webhook_scan_refusal_early): once the pools are spent, junk from addresses that
  never verified is refused here; with Redis after the one GET of the address's remembered
  integrations that the guard would make anyway, and what it found is handed to this request's
  intake (SCAN_LOOKED) so that a real delivery during a flood asks nothing twice.

Anything unsure (a Content-Length that is not digits, a query string naming an integration in any
spelling, a multipart body the guard answers 415, a path the URLconf would not resolve to the
intake) is left to Django."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import QueryDict

from integrations.registry import get_providers
from integrations.services.webhook_intake import (
    IntakeResult,
    inbound_body_too_large,
    webhook_hintless_body_limit,
    webhook_scan_refusal_early,
)
from jobcannon.core.clientaddr import client_address_from_meta
from jobcannon.core.exceptions import error_body
from jobcannon.core.wsgi import Refusal

# The intake's two URL shapes as integrations/urls.py declares them (`webhooks/<provider>/<str:
# public_id>/` and `<provider>/webhooks`, each with or without the slash), the provider one the
# converter accepts (integrations/converters.py) and registered: anything else is a 404 Django
# answers, not ours to refuse.
_HINTED = re.compile(r"/webhooks/([a-z][a-z0-9_-]{1,39})/[^/]+/?")
_HINTLESS = re.compile(r"/([a-z][a-z0-9_-]{1,39})/webhooks/?")
_DIGITS = re.compile(r"[0-9]+")

LENGTH_REQUIRED_MESSAGE = (
    "A body sent with Transfer-Encoding (chunked) is not accepted here: send it with a Content-Length header."
)
# This request's hint-less scan was looked at before Django and not refused: the guard does not
# ask again (webhook_intake.webhook_scan_refusal_early kept what it found for the intake).
SCAN_LOOKED = "jobcannon.webhook_scan_looked"


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()  # as JsonResponse encodes it (default separators, ASCII)


_LENGTH_REQUIRED = _json(error_body("length_required", LENGTH_REQUIRED_MESSAGE))


def webhook_refusal_before_django(environ: dict[str, Any]) -> Refusal | None:
    path = environ.get("PATH_INFO", "")
    hintless = _HINTLESS.fullmatch(path)
    match = hintless or _HINTED.fullmatch(path)
    if match is None or match.group(1) not in get_providers():
        return None
    length = environ.get("CONTENT_LENGTH") or "0"
    if not _DIGITS.fullmatch(length):
        return None  # the guard's 400 comes first
    if "HTTP_TRANSFER_ENCODING" in environ:
        return Refusal(411, _LENGTH_REQUIRED)
    if hintless is None or _names_an_integration(environ, match.group(1)):
        return None
    size = int(length)
    limit, note = webhook_hintless_body_limit()
    if size > limit:
        return Refusal(413, _json(inbound_body_too_large(length=size, limit=limit, note=note)))
    if "multipart" in (environ.get("CONTENT_TYPE") or "").lower():
        return None  # the guard's 415 comes before its 429
    refused = webhook_scan_refusal_early(
        provider_key=match.group(1), address=client_address_from_meta(environ), body_bytes=size
    )
    if refused is True:
        environ[SCAN_LOOKED] = True
    if not isinstance(refused, IntakeResult):
        return None
    return Refusal(refused.status_code, _json(refused.body), tuple(refused.headers.items()))


def _names_an_integration(environ: dict[str, Any], provider_key: str) -> bool:
    """Whether the request names an integration as webhook_intake._request_hint reads it (its
    header, `?integration=`): request.headers and request.GET over the same environ."""
    header = get_providers()[provider_key].integration_header
    if environ.get("HTTP_" + header.upper().replace("-", "_")):
        return True
    query = environ.get("QUERY_STRING") or ""
    if "integration" not in query and "%" not in query:
        return False  # no spelling of the parameter: no need to parse
    try:
        # As WSGIRequest.GET builds it (django.core.handlers.wsgi.get_bytes_from_wsgi).
        raw = query.encode("iso-8859-1")
        return bool(QueryDict(raw, encoding=settings.DEFAULT_CHARSET).get("integration"))
    except Exception:  # noqa: BLE001 - too many fields and the like: the guard answers it
        return True
