"""The production WSGI application (jobcannon/core/wsgi.py): the webhook intake on the machine
middleware stack, everything else on the full one. Driven through the WSGI interface, as
gunicorn calls it."""

from __future__ import annotations

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookStatus
from integrations.registry import get_providers
from jobcannon.core import wsgi
from jobcannon.core.wsgi import JobCannonWSGI, is_machine_path
from tests.factories import IntegrationFactory
from tests.integrations.test_webhook_intake import BODY, signed


@pytest.fixture
def app(db):
    # Like Django's test client: the request must not close the connection holding the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield JobCannonWSGI()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(app, method, path, body=b"", headers=None, content_type="application/json"):
    environ: dict = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    started: list = []
    chunks = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    status, response_headers = started[0]
    return int(status.split()[0]), {k.lower(): v for k, v in response_headers}, content


@pytest.mark.parametrize(
    ("path", "machine"),
    [
        ("/webhooks/ashby/5b0c2f9e-0000-4000-8000-000000000001/", True),
        ("/webhooks/lever/5b0c2f9e-0000-4000-8000-000000000001", True),
        ("/ashby/webhooks", True),
        ("/smartrecruiters/webhooks/", True),
        ("/integrations/", False),
        ("/partners/ashby/5b0c2f9e/assessment.start", False),
        ("/webhooks/ashby/", False),
        ("/admin/integrations/ashby/logs", False),
        ("/a/abc/", False),
    ],
)
def test_only_the_intake_paths_take_the_machine_stack(path, machine):
    assert is_machine_path(path) is machine


def test_every_webhook_url_of_every_provider_takes_the_machine_stack():
    """The shapes integrations registers at start-up (integrations/subscriptions.py) cover the
    URLs its URLconf builds for the intake."""
    public_id = "5b0c2f9e-0000-4000-8000-000000000001"
    for key in get_providers():
        for url in (
            reverse("integrations:webhook", args=[key, public_id]),
            reverse("integrations:webhook-seed", args=[key]),
        ):
            assert is_machine_path(url), url


def test_core_serves_on_the_machine_stack_only_the_paths_an_app_registered(app, monkeypatch):
    monkeypatch.setattr(wsgi, "_machine_paths", [])
    assert app.handler_for("/webhooks/fake/5b0c2f9e-0000-4000-8000-000000000001/") is app.full

    wsgi.machine_path_register(r"/inbound/[\w-]+/")
    wsgi.machine_path_register(r"/inbound/[\w-]+/")

    assert len(wsgi._machine_paths) == 1
    assert app.handler_for("/inbound/abc/") is app.machine
    assert app.handler_for("/inbound/abc/more/") is app.full


def test_a_signed_delivery_is_stored_and_answered_with_the_request_id_and_security_headers(app):
    integration = IntegrationFactory()
    status, headers, content = call(
        app, "POST", f"/webhooks/fake/{integration.public_id}/", BODY, headers=signed()
    )
    assert status == 200, content
    event = WebhookEvent.objects.get()
    assert event.integration == integration and event.status == WebhookStatus.VERIFIED
    assert headers["x-request-id"] == event.request_id
    assert headers["x-content-type-options"] == "nosniff"
    # Nothing of the browser stack: no clickjacking header, session cookie, CSP or Vary: Cookie.
    assert "x-frame-options" not in headers
    assert "set-cookie" not in headers and "content-security-policy" not in headers
    assert "cookie" not in headers.get("vary", "").lower()


@pytest.mark.parametrize("slash", ["/", ""])
def test_the_own_webhook_url_takes_a_delivery_with_or_without_its_trailing_slash(app, slash):
    """An admin may paste the URL without its slash; an ATS does not follow a redirect with its
    POST, so the path without it is served as it is (the served app's machine stack has no
    CommonMiddleware: it was a 404 there)."""
    integration = IntegrationFactory()
    status, _, content = call(
        app, "POST", f"/webhooks/fake/{integration.public_id}{slash}", BODY, headers=signed()
    )
    assert status == 200, content
    assert WebhookEvent.objects.get().integration == integration


def test_the_before_django_checks_see_the_own_url_without_its_slash(app):
    integration = IntegrationFactory()
    status, _, content = call(
        app,
        "POST",
        f"/webhooks/fake/{integration.public_id}",
        BODY,
        headers={**signed(), "Transfer-Encoding": "chunked"},
    )
    assert status == 411 and b"length_required" in content


def test_the_inbound_guard_still_answers_on_the_machine_stack(app, settings):
    integration = IntegrationFactory()
    url = f"/webhooks/fake/{integration.public_id}/"
    too_big = b"{" + b" " * settings.WEBHOOK_MAX_BODY_BYTES + b"}"
    status, headers, content = call(app, "POST", url, too_big, headers=signed(too_big))
    assert status == 413 and b"payload_too_large" in content
    status, _, content = call(app, "POST", url, b"--x--", content_type="multipart/form-data; boundary=x")
    assert status == 415 and b"unsupported_media_type" in content
    assert not WebhookEvent.objects.exists()


def test_errors_on_the_seed_path_are_json_not_pages(app):
    IntegrationFactory()
    status, headers, content = call(app, "POST", "/fake/webhooks", BODY, headers=signed(secret="whsec_wrong"))
    assert status == 401 and headers["content-type"] == "application/json"
    assert WebhookEvent.objects.get().status == WebhookStatus.REJECTED
    status, headers, content = call(app, "POST", "/nosuchats/webhooks", BODY)
    assert status == 404 and headers["content-type"] == "application/json" and b"not_found" in content


def test_pages_keep_the_full_stack(app):
    status, headers, _ = call(app, "GET", "/integrations/")
    assert status == 302 and "/accounts/login/" in headers["location"]
    status, headers, _ = call(app, "GET", "/accounts/login/")
    assert status == 200
    assert headers["x-frame-options"] == "DENY" and "content-security-policy" in headers
    assert "csrftoken" in headers.get("set-cookie", "")


@pytest.mark.django_db(transaction=True)
def test_a_delivery_on_a_connection_the_database_dropped_is_stored_on_a_fresh_one(client, settings):
    """The machine stack skips the per-request health check; when PostgreSQL has dropped the
    connection (a restart), the delivery is retried once on a new connection: 200, stored."""
    import psycopg
    from django.db import connection
    from django.urls import reverse

    from integrations.base import hmac_sha256_hex
    from integrations.models import WebhookEvent, WebhookStatus
    from tests.factories import IntegrationFactory

    if connection.vendor != "postgresql" or settings.QUEUE_IN_DATABASE:
        pytest.skip("PostgreSQL with the Redis broker (the production shape)")
    integration = IntegrationFactory()
    url = reverse("integrations:webhook", args=["fake", integration.public_id])

    def deliver(n: int):
        body = f'{{"id": "evt_drop_{n}", "type": "candidate.created", "data": {{"candidate_id": "c{n}"}}}}'.encode()
        headers = {"X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body)}
        return client.post(url, data=body, content_type="application/json", headers=headers)

    assert deliver(1).status_code == 200
    dropped = connection.connection.info.backend_pid
    params = {
        k: v for k, v in connection.get_connection_params().items() if k in {"host", "port", "user", "dbname"}
    }
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dropped])
    response = deliver(2)
    assert response.status_code == 200, response.content
    assert connection.connection.info.backend_pid != dropped
    assert set(WebhookEvent.objects.values_list("external_id", "status")) == {
        ("evt_drop_1", WebhookStatus.VERIFIED),
        ("evt_drop_2", WebhookStatus.VERIFIED),
    }
