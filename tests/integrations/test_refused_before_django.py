"""The inbound guard's refusals that the request line and headers decide, answered by the production
WSGI entry before Django (integrations/services/prewsgi.py, jobcannon/core/wsgi.py), and the same
refusals from the guard itself (integrations/middleware.py) where Django still runs: a body with
Transfer-Encoding (411), an over-size body on the seeds' hint-less route (413), a spent scan budget
known in memory (429). Driven through the WSGI interface, as gunicorn calls it."""

from __future__ import annotations

import io
import json
import logging
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from prometheus_client import REGISTRY

from integrations.base import hmac_sha256_hex
from integrations.models import WebhookEvent
from integrations.services import inbound_limits, webhook_sources
from jobcannon.core import wsgi
from tests.factories import IntegrationFactory
from tests.integrations.providers.ashby.helpers import ashby_integration, basic, with_partner_key
from tests.integrations.test_webhook_hintless import ATS, ATTACKER, body_for, send
from tests.jobcannon.test_wsgi import app  # noqa: F401 - `app` is a fixture

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024
REQUEST_ID = "lb-0123456789abcdef"  # the balancer's id, kept by both paths: the answers compare whole


class _Body(io.RawIOBase):
    """wsgi.input that records whether anyone read it."""

    def __init__(self) -> None:
        self.read_from = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        self.read_from = True
        buffer[:1] = b"x"
        return 1


class _Server:
    """What gunicorn hands the application: start_response, a bound method of the response whose
    force_close() makes it send `Connection: close` and skip the drain."""

    def __init__(self) -> None:
        self.closed = False
        self.started: tuple[str, list[tuple[str, str]]] | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None) -> None:  # type: ignore[no-untyped-def]
        self.started = (status, headers)

    def force_close(self) -> None:
        self.closed = True


def raw_call(app, path, *, length: str | None, headers=None, query="", address=ATTACKER):  # noqa: F811
    """(status, headers, body, closed, body read) for a POST whose body is never sent in full."""
    body = _Body()
    environ: dict = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BufferedReader(body),
        "CONTENT_TYPE": "application/json",
        "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": address,
        "HTTP_X_REQUEST_ID": REQUEST_ID,
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    server = _Server()
    chunks = app(environ, server.start_response)
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    assert server.started is not None
    status, response_headers = server.started
    return int(status.split()[0]), dict(response_headers), content, server.closed, body.read_from


@pytest.fixture
def middleware_runs(app, monkeypatch):  # noqa: F811
    """How many requests went through the machine stack's middleware."""
    runs: list[str] = []
    chain = app.machine._middleware_chain

    def counted(request):  # type: ignore[no-untyped-def]
        runs.append(request.path)
        return chain(request)

    monkeypatch.setattr(app.machine, "_middleware_chain", counted)
    return runs


def through_django(app, monkeypatch, *args, **kwargs):  # noqa: F811
    """The same request with no pre-Django check: the guard's answer."""
    with monkeypatch.context() as m:
        m.setattr(wsgi, "_pre_django_checks", [])
        return raw_call(app, *args, **kwargs)


REFUSED = [
    pytest.param("/fake/webhooks", {"length": str(MIB)}, 413, id="1MiB-hintless"),
    pytest.param("/ashby/webhooks/", {"length": str(16 * 1024 + 1)}, 413, id="just-over-hintless"),
    pytest.param(
        "/ashby/webhooks", {"length": None, "headers": {"Transfer-Encoding": "chunked"}}, 411, id="chunked"
    ),
    pytest.param(
        "/webhooks/fake/5b0c2f9e-0000-4000-8000-000000000001/",
        {"length": None, "headers": {"Transfer-Encoding": "chunked"}},
        411,
        id="chunked-own-url",
    ),
]


@pytest.mark.parametrize(("path", "request_kw", "status"), REFUSED)
def test_a_refusal_before_django_runs_no_middleware_and_answers_as_the_guard_does(
    app,  # noqa: F811
    middleware_runs,
    monkeypatch,
    path,
    request_kw,
    status,
):
    IntegrationFactory()
    early = raw_call(app, path, **request_kw)
    assert middleware_runs == [], "no middleware ran"
    guard = through_django(app, monkeypatch, path, **request_kw)
    assert middleware_runs == [path], "the comparison went through the guard"

    assert early[0] == guard[0] == status
    assert early[1] == guard[1], "the same headers: content type, security headers, request id"
    assert early[2] == guard[2], "the same JSON body, word for word"
    assert early[3] and guard[3], "Connection: close: the body is never drained"
    assert not early[4] and not guard[4], "not a byte of the body read"
    assert not WebhookEvent.objects.exists()


def test_a_chunked_delivery_is_refused_411_not_read_as_an_empty_body(app):  # noqa: F811
    """Django reads a body without Content-Length as empty: a chunked delivery was answered 401
    "The body is not a JSON object" (stored as rejected), and gunicorn drained 64 KiB of it."""
    IntegrationFactory()
    status, _, content, closed, read = raw_call(
        app, "/fake/webhooks", length=None, headers={"Transfer-Encoding": "chunked"}
    )
    error = json.loads(content)["error"]
    assert status == 411 and error["code"] == "length_required"
    assert "Content-Length" in error["message"]
    assert closed and not read
    assert not WebhookEvent.objects.exists()


def test_the_guard_refuses_transfer_encoding_where_django_runs(client):
    """The test client (and any server without the early check) reaches the guard: same 411."""
    integration = IntegrationFactory()
    for path in ("/fake/webhooks", f"/webhooks/fake/{integration.public_id}/"):
        response = client.post(
            path, data=b"", content_type="application/json", headers={"Transfer-Encoding": "chunked"}
        )
        assert response.status_code == 411, path
        assert response.json()["error"]["code"] == "length_required"
    assert not WebhookEvent.objects.exists()


def test_partner_calls_refuse_transfer_encoding_too_and_close_the_connection(app):  # noqa: F811
    """Partner APIs run on the full stack (no early check): the guard's 411, in the provider's
    refusal shape where it has one (Ashby's envelope), closing the connection."""
    status, _, content, closed, read = raw_call(
        app, "/partners/smartrecruiters/oauth/token", length=None, headers={"Transfer-Encoding": "chunked"}
    )
    assert status == 411 and json.loads(content)["error"]["code"] == "length_required"
    assert closed and not read
    integration = ashby_integration()
    key = with_partner_key(integration)
    status, _, content, closed, _ = raw_call(
        app,
        f"/partners/ashby/{integration.public_id}/assessment.start",
        length=None,
        headers={"Transfer-Encoding": "chunked", **basic(key)},
    )
    assert "errorInfo" in json.loads(content) and closed


def test_pages_are_not_refused_for_transfer_encoding(app):  # noqa: F811
    status, _, _, closed, _ = raw_call(
        app, "/accounts/login/", length=None, headers={"Transfer-Encoding": "chunked"}
    )
    assert status != 411 and not closed


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"X-JobCannon-Integration": "5b0c2f9e-0000-4000-8000-000000000001"}, ""),
        ({}, "integration=5b0c2f9e-0000-4000-8000-000000000001"),
        ({}, "%69ntegration=anything"),
    ],
)
def test_a_large_body_naming_an_integration_is_left_to_the_guard(app, middleware_runs, headers, query):  # noqa: F811
    """Whether a named integration exists and is connected may need the database: the guard
    decides (413 with its own words for a made-up id), not the early check."""
    status, _, content, closed, _ = raw_call(
        app, "/fake/webhooks", length=str(MIB), headers=headers, query=query
    )
    assert middleware_runs == ["/fake/webhooks"]
    assert status == 413 and b"No connected integration matches" in content and closed


def test_a_body_within_the_limit_and_other_paths_reach_django(app, middleware_runs):  # noqa: F811
    IntegrationFactory()
    assert raw_call(app, "/fake/webhooks", length="2", query="")[0] == 401
    assert raw_call(app, "/nosuchats/webhooks", length=str(MIB))[0] == 404
    assert middleware_runs == ["/fake/webhooks", "/nosuchats/webhooks"]


def test_an_https_redirect_still_comes_first(app, monkeypatch, settings):  # noqa: F811
    """With SECURE_SSL_REDIRECT a plain-http request is redirected by the machine stack's
    SecurityMiddleware before the guard runs: the early check must not answer it 413. Over https
    (the proxy's header) the refusal carries the HSTS header, as the guard's does."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    production = wsgi.JobCannonWSGI()  # its middleware built from these settings, as at start-up
    assert raw_call(production, "/fake/webhooks", length=str(MIB))[0] == 301
    https = {"X-Forwarded-Proto": "https"}
    early = raw_call(production, "/fake/webhooks", length=str(MIB), headers=https)
    guard = through_django(production, monkeypatch, "/fake/webhooks", length=str(MIB), headers=https)
    assert early[:3] == guard[:3] and early[0] == 413
    assert early[1]["Strict-Transport-Security"].startswith("max-age=3600")


@pytest.fixture
def still_clock(monkeypatch, settings):
    """The budgets' clock held still (the Retry-After of both paths then compares exactly), the
    candidates cached (no query before Django), the scan pools tiny. The buckets in this process's
    memory (the Redis pass's shared buckets keep time by the real clock, and other tests' state:
    test_webhook_hintless_redis.py covers Redis), and no other test's cached candidates (their
    rows were rolled back; PostgreSQL does not reuse their ids)."""
    settings.RATE_LIMIT_BACKEND = "sqlite"
    monkeypatch.setattr(inbound_limits, "_clock", lambda: 1000.0)
    monkeypatch.setattr(webhook_sources, "_candidates", {})
    settings.WEBHOOK_INTEGRATION_CACHE_SECONDS = 60.0


def spend_the_unproven_pool(client, settings, *, pools_keep_room: bool = False) -> None:
    """Junk from ATTACKER until this process has seen its scan budget empty, and the hint-less
    scan pools too unless `pools_keep_room`."""
    unproven = (
        {"per_second": 100.0, "burst": 1000.0} if pools_keep_room else {"per_second": 1e-3, "burst": 1e-6}
    )
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1e-3, "burst": 1e-6},
        "unproven": unproven,
    }
    answers = [
        send(client, body_for(n), secret="whsec_wrong", address=ATTACKER).status_code for n in range(3)
    ]
    assert answers[-1] == 429 and set(answers) <= {401, 429}, answers  # scanned, then seen empty
    # The test client connected close_old_connections again: the app must not close the
    # connection holding the test's transaction (as the `app` fixture arranges).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def refused_429_before_django_as_the_guard_would(app, monkeypatch, middleware_runs, **request):  # noqa: F811
    """A hint-less delivery (`request`: raw_call's headers/address) is answered 429 before any
    middleware runs, with the inbound guard's own status, headers and body, and is never read."""
    early = raw_call(app, "/fake/webhooks", length="300", **request)
    assert middleware_runs == [], "refused before Django"
    guard = through_django(
        app, monkeypatch, "/fake/webhooks", length="300", address=request.get("address", ATTACKER)
    )
    assert early[0] == guard[0] == 429
    assert early[1] == guard[1] and int(early[1]["Retry-After"]) >= 1
    assert early[2] == guard[2] and json.loads(early[2])["error"]["code"] == "rate_limited"
    assert not early[4], "the body is not read"


def test_a_spent_scan_budget_known_in_memory_is_refused_before_django(
    app,  # noqa: F811
    client,
    middleware_runs,
    monkeypatch,
    settings,
    still_clock,
):
    IntegrationFactory(webhook_secrets=[{"secret": "whsec_1"}])
    spend_the_unproven_pool(client, settings)
    other = "192.0.2.44"  # another address that never verified: the unproven pool is spent for it too
    refused_429_before_django_as_the_guard_would(app, monkeypatch, middleware_runs, address=other)


def test_one_sender_whose_own_budget_is_spent_is_refused_before_django_while_the_pools_have_room(
    app,  # noqa: F811
    client,
    middleware_runs,
    monkeypatch,
    settings,
    still_clock,
):
    """The issue's attacker: one machine rotating its headers. Once its address's scan budget is
    spent (the pools still full for everyone else), its junk is refused 429 here, with the
    guard's answer; another address still reaches Django and is read."""
    IntegrationFactory(webhook_secrets=[{"secret": "whsec_1"}])
    spend_the_unproven_pool(client, settings, pools_keep_room=True)
    refused_429_before_django_as_the_guard_would(
        app, monkeypatch, middleware_runs, headers={"Authorization": "Bearer rotated"}
    )
    before = len(middleware_runs)
    assert raw_call(app, "/fake/webhooks", length="300", address="192.0.2.45")[0] != 429
    assert len(middleware_runs) == before + 1, "another address is left to Django"


def test_a_remembered_sender_during_a_flood_is_looked_up_once_and_accepted(
    app,  # noqa: F811
    client,
    middleware_runs,
    monkeypatch,
    settings,
    still_clock,
):
    """The early check looks at the address's remembered integrations (one Redis GET with Redis)
    only when the pools are known spent, and hands what it found to the intake: the guard does not
    ask again, and the delivery is accepted."""
    IntegrationFactory(webhook_secrets=[{"secret": "whsec_1"}])
    assert send(client, body_for(0), secret="whsec_1", address=ATS).status_code == 200  # remembered
    spend_the_unproven_pool(client, settings)
    looked: list[str | None] = []
    real = webhook_sources.webhook_hintless_scan_wait

    def counted(**kwargs):  # type: ignore[no-untyped-def]
        looked.append(kwargs["address"])
        return real(**kwargs)

    monkeypatch.setattr(webhook_sources, "webhook_hintless_scan_wait", counted)
    monkeypatch.setattr("integrations.services.webhook_intake.webhook_hintless_scan_wait", counted)
    body = body_for(3)
    server = _Server()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/fake/webhooks",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "REMOTE_ADDR": ATS,
        "HTTP_X_FAKE_SIGNATURE": "sha256=" + hmac_sha256_hex("whsec_1", body),
    }
    setup_testing_defaults(environ)
    b"".join(app(environ, server.start_response))
    assert server.started and server.started[0].startswith("200"), server.started
    assert looked == [ATS], "asked once, before Django; the guard did not ask again"
    assert middleware_runs == ["/fake/webhooks"]


def test_refusals_before_django_are_counted_and_summed_up_once_a_second(app, monkeypatch, caplog):  # noqa: F811
    summary = wsgi._RefusalSummary()
    monkeypatch.setattr(wsgi, "_refused", summary)

    def counted(status: str) -> float:
        return REGISTRY.get_sample_value("jobcannon_refused_before_django_total", {"status": status}) or 0.0

    before = counted("413"), counted("411")
    with caplog.at_level(logging.INFO, logger="jobcannon.core.wsgi"):
        for _ in range(3):
            raw_call(app, "/fake/webhooks", length=str(MIB))
        raw_call(app, "/fake/webhooks", length=None, headers={"Transfer-Encoding": "chunked"})
        lines = [r for r in caplog.records if r.getMessage() == "http.refused_before_django"]
        assert [r.refused for r in lines] == ["413 \u00d71"], (
            "the first at once, the rest within the second wait"
        )
        summary._since -= 1.0  # a second later
        raw_call(app, "/fake/webhooks", length=str(MIB))
    lines = [r for r in caplog.records if r.getMessage() == "http.refused_before_django"]
    assert [r.refused for r in lines] == ["413 \u00d71", "411 \u00d71, 413 \u00d73"]
    assert (counted("413") - before[0], counted("411") - before[1]) == (4, 1)
    assert all("/fake" not in str(vars(r)) for r in lines), "no path in the summary"


def test_the_early_check_covers_every_providers_intake_urls():
    """Its URL shapes match what integrations/urls.py resolves to the intake, for each provider."""
    from django.urls import resolve, reverse

    from integrations.registry import get_providers
    from integrations.services.prewsgi import _HINTED, _HINTLESS
    from integrations.views import WebhookReceiveView

    for key in get_providers():
        for url, shape in (
            (reverse("integrations:webhook", args=[key, "5b0c2f9e-0000-4000-8000-000000000001"]), _HINTED),
            (reverse("integrations:webhook-seed", args=[key]), _HINTLESS),
            (reverse("integrations:webhook-seed", args=[key]) + "/", _HINTLESS),
        ):
            assert resolve(url).func.view_class is WebhookReceiveView
            assert shape.fullmatch(url), url
