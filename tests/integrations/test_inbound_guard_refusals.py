"""InboundGuardMiddleware's refusals (integrations/middleware.py), through the production WSGI
application as gunicorn calls it: a partner call is refused the way its provider's partner API
refuses (ATSProvider.partner_refusal; Ashby's own envelope and statuses are checked against its
spec in tests/integrations/providers/ashby/test_partner_refusals.py), everything else keeps the
generic `{"error": {code, message}}` answer, and a Content-Length that is not a number is a 400,
not a 500 from a later middleware."""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings

from tests.factories import IntegrationFactory
from tests.integrations.providers.ashby.helpers import ashby_integration, basic, with_partner_key
from tests.jobcannon.test_wsgi import app, call  # noqa: F401 - `app` is a fixture

pytestmark = pytest.mark.django_db
SR_TOKEN = "/partners/smartrecruiters/oauth/token"


def test_a_content_length_that_is_not_a_number_is_a_400_on_a_webhook_not_a_500(app):  # noqa: F811
    """django_prometheus' PrometheusAfterMiddleware int()s Content-Length before any view runs:
    that was a 500 (gunicorn refuses such a request itself; runserver and proxies may not)."""
    integration = IntegrationFactory()
    status, _, content = call_with_length(app, f"/webhooks/fake/{integration.public_id}/", "x")
    assert status == 400 and json.loads(content)["error"]["code"] == "bad_request"


@pytest.mark.parametrize("path", ["/accounts/login/", "/integrations/", "/no/such/page/"])
def test_a_content_length_that_is_not_a_number_is_a_400_on_any_page_too(app, path):  # noqa: F811
    status, _, content = call_with_length(app, path, "12abc")
    assert status == 400 and b"Content-Length is not a number" in content


def test_a_provider_without_its_own_partner_refusal_keeps_the_generic_answer(app):  # noqa: F811
    """SmartRecruiters does not override partner_refusal: its partner endpoints get the guard's
    generic shape and status."""
    too_big = b"x" * (settings.WEBHOOK_MAX_BODY_BYTES + 1)
    status, _, content = call(
        app, "POST", SR_TOKEN, too_big, content_type="application/x-www-form-urlencoded"
    )
    assert status == 413 and json.loads(content)["error"]["code"] == "payload_too_large"
    status, _, content = call_with_length(app, SR_TOKEN, "-1")
    assert status == 400 and json.loads(content)["error"]["code"] == "bad_request"


def test_ashby_partner_calls_get_ashbys_envelope_from_the_guard(app):  # noqa: F811
    integration = ashby_integration()
    key = with_partner_key(integration)
    url = f"/partners/ashby/{integration.public_id}/assessment.start"
    status, headers, content = call(
        app, "POST", url, b"--x--", headers=basic(key), content_type="multipart/form-data; boundary=x"
    )
    body = json.loads(content)
    assert status == 422 and body["errorInfo"]["code"] == "invalid_input" and "error" not in body
    assert body["errorInfo"]["requestId"] == headers["x-request-id"]
    status, headers, content = call_with_length(app, url, "x", headers=basic(key))
    assert status == 422 and json.loads(content)["errorInfo"]["code"] == "invalid_input"


def call_with_length(app, path: str, length: str, headers: dict[str, str] | None = None):  # noqa: F811
    """POST `{}` with the CGI CONTENT_LENGTH set to `length`, as a WSGI server that passes the
    header on would (test_wsgi.call always sets it from the body)."""
    environ: dict = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(b"{}"),
        "CONTENT_LENGTH": length,
        "CONTENT_TYPE": "application/json",
        "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    started: list = []
    chunks = app(
        environ, lambda status, response_headers, exc_info=None: started.append((status, response_headers))
    )
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    status, response_headers = started[0]
    return int(status.split()[0]), {k.lower(): v for k, v in response_headers}, content
