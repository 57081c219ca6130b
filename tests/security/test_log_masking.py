"""Token-bearing paths never reach a log line: runserver's (dev.py run) and gunicorn's access
lines, Django's request and security (CSRF) warnings, django-q2's worker lines and our own
structured lines all mask the token of reconnect links, invitations, candidate and report links
and allauth's password-reset and email-confirmation keys, also percent-encoded in a ?next=
(issue 21). The URL configuration is walked, so a new token-bearing path is caught."""

from __future__ import annotations

import ast
import datetime as dt
import io
import logging
import logging.config
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from jobcannon.core.logging import logging_config, scrub_text

TOKEN = "tOk3n-MUSTNOTLEAK_0123456789abcdef"


@pytest.fixture
def log_output(settings):
    """Our logging configuration, as production runs it, writing into a buffer."""
    buffer = io.StringIO()

    def configure(**kwargs) -> None:
        config = logging_config(fmt="plain", level="INFO", **kwargs)
        config["handlers"]["console"]["stream"] = buffer
        logging.config.dictConfig(config)

    configure()
    yield SimpleNamespace(buffer=buffer, configure=configure)
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.parametrize(
    "path",
    [
        f"/reconnect/{TOKEN}/",
        f"/invitations/{TOKEN}/",
        f"/a/{TOKEN}/page/2",
        f"/accounts/password/reset/key/1-{TOKEN}/",
        f"/accounts/confirm-email/{TOKEN}/",
    ],
)
def test_scrub_masks_every_token_bearing_path(path):
    masked = scrub_text(f"GET http://testserver{path} HTTP/1.1")
    assert TOKEN not in masked and "[redacted]" in masked


def test_runserver_access_lines_are_masked(log_output):
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None
    handler.log_date_time_string = lambda: "03/Dec/2026 22:00:00"  # type: ignore[method-assign]
    handler.log_message('"%s" %s %s', f"GET /reconnect/{TOKEN}/ HTTP/1.1", "200", "512")
    handler.log_message('"%s" %s %s', f"GET /invitations/{TOKEN}/ HTTP/1.1", "404", "99")
    out = log_output.buffer.getvalue()
    assert "/reconnect/[redacted]/" in out and "/invitations/[redacted]/" in out
    assert TOKEN not in out


def test_gunicorn_access_lines_are_masked_and_carry_no_basic_auth_user(log_output, monkeypatch):
    import base64
    from pathlib import Path

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "-")
    # The repo's access_log_format, read without running gunicorn.conf.py (which sets up
    # Prometheus' multiprocess directory in the environment).
    tree = ast.parse(Path("gunicorn.conf.py").read_text())
    access_log_format = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "access_log_format"
    )
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    config = logging_config(fmt="plain", level="INFO")
    config["handlers"]["console"]["stream"] = log_output.buffer
    cfg.set("logconfig_dict", config)
    logger = Logger(cfg)
    partner_key = "jcash_abcdef012345_PARTNERKEYMUSTNOTLEAK"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/invitations/{TOKEN}/?state={TOKEN}",
        "PATH_INFO": f"/invitations/{TOKEN}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://testserver/reconnect/{TOKEN}/",
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{partner_key}:".encode()).decode(),
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=5))
    out = log_output.buffer.getvalue()
    assert "/invitations/[redacted]/" in out, out
    assert TOKEN not in out and partner_key not in out


@pytest.mark.django_db
def test_django_request_warnings_and_our_request_lines_are_masked(log_output, client, user):
    client.force_login(user)
    assert client.get(reverse("workspaces:invitation", args=[TOKEN])).status_code == 404
    assert client.get(reverse("integrations:reconnect", args=[TOKEN])).status_code == 410
    out = log_output.buffer.getvalue()
    assert "Not Found" in out and "Gone" in out and "http.request" in out
    assert "/invitations/[redacted]/" in out and "/reconnect/[redacted]/" in out
    assert TOKEN not in out


# --- Every token-bearing path, every logger that sees it (issue 21) -------------------------------

# URL parameters that are identifiers, not credentials: knowing one lets nobody in.
NOT_CREDENTIALS = {
    "webhooks/<provider:provider>/<str:public_id>/": "an integration's public id; deliveries are signed",
    "webhooks/<provider:provider>/<str:public_id>": "the same, pasted without its slash",
    "integrations/<int:pk>/checklist/<slug:action>/": "an action name",
    "integrations/<int:integration_pk>/knit/setup/<slug:action>/": "an action name",
    "integrations/<int:integration_pk>/lever/stages/<str:rule_id>/delete/": "a stage rule id",
    "partners/smartrecruiters/packages/<str:package_id>": "a package id; the call is authenticated",
    "partners/smartrecruiters/integrations/companies/<str:company_id>": "a company id; authenticated",
}
NOT_CREDENTIAL_PREFIXES = (
    "admin/",  # object ids and app labels, behind the staff sign-in
    "sim/",  # the built-in ATS simulators (development and tests): vendor-side ids
)


def _token_routes() -> list[tuple[str, str]]:
    """(route, a path to it with TOKEN in every parameter that could hold one) for every URL
    pattern with such a parameter: a str/path/slug converter, or a regex group TOKEN matches."""
    from django.urls import URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    def walk(resolver, parts):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, (*parts, pattern.pattern))
            else:
                yield (*parts, pattern.pattern)

    routes = []
    for parts in walk(get_resolver(), ()):
        route, path, has_token = "", "", False

        def converter_sample(m: re.Match) -> str:
            nonlocal has_token
            converter = m.group(1) or "str"
            if converter in ("str", "path", "slug"):
                has_token = True
                return TOKEN
            return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}.get(converter, "fake")

        def group_sample(m: re.Match) -> str:
            nonlocal has_token
            if re.fullmatch(m.group(1), TOKEN):
                has_token = True
                return TOKEN
            samples = ("1", "x", "fake", "test", m.group(1).split("|")[0])  # last: a choice's first
            return next((s for s in samples if re.fullmatch(m.group(1), s)), "x")

        for part in parts:
            text = str(part)
            route += text
            if isinstance(part, RoutePattern):
                path += re.sub(r"<(?:(\w+):)?\w+>", converter_sample, text)
            else:
                text = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))+)\)", group_sample, text.strip("^$"))
                path += text.replace("\\", "")
        if has_token:
            routes.append((route, "/" + path))
    return routes


def _declared_harmless(route: str) -> bool:
    return route in NOT_CREDENTIALS or route.startswith(NOT_CREDENTIAL_PREFIXES)


def test_every_path_parameter_that_can_hold_a_token_is_masked_or_declared_harmless():
    routes = _token_routes()
    leaks = [
        r for r, path in routes if not _declared_harmless(r) and TOKEN in scrub_text(f"GET {path} HTTP/1.1")
    ]
    assert not leaks, (
        f"token-bearing paths not masked (register the prefix with jobcannon.core.logging.token_path_prefix_register or NOT_CREDENTIALS): {leaks}"
    )
    found = {r for r, _ in routes}
    for expected in ("reconnect/<str:token>/", "invitations/<str:token>/", "a/<str:key>/"):
        assert expected in found  # the walk sees the URL configuration
    assert any("password/reset/key" in r for r in found) and any("confirm-email" in r for r in found)


def _masked_paths() -> list[str]:
    return [path for route, path in _token_routes() if not _declared_harmless(route)]


@pytest.mark.django_db
@pytest.mark.parametrize("path", _masked_paths())
def test_requests_to_token_paths_log_them_masked(log_output, client, path):
    """Our http.request line and Django's request warnings (404, 405, 410...), for each token path
    of the URL configuration, signed out as whoever follows a link would be."""
    response = client.get(path)
    out = log_output.buffer.getvalue()
    assert "http.request" in out and TOKEN not in out, out
    if response.status_code >= 400:
        assert re.search(r"\b(Not Found|Gone|Method Not Allowed|Bad Request|Forbidden)\b", out), out


@pytest.mark.django_db
def test_csrf_failures_on_token_paths_are_logged_masked(log_output):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    for path in (f"/reconnect/{TOKEN}/", f"/invitations/{TOKEN}/", f"/a/{TOKEN}/start"):
        assert client.post(path).status_code == 403
    out = log_output.buffer.getvalue()
    assert out.count("Forbidden (CSRF cookie not set.)") == 3, out  # django.security.csrf
    assert TOKEN not in out


def test_a_login_redirect_carrying_a_token_link_is_masked_in_the_access_line():
    line = f'127.0.0.1 - - "GET /accounts/login/?next=%2Finvitations%2F{TOKEN}%2F HTTP/1.1" 200'
    assert TOKEN not in scrub_text(line) and "%2Finvitations%2F[redacted]%2F" in scrub_text(line)


@pytest.mark.parametrize(
    "line",
    [
        f"GET /%72econnect/{TOKEN}/ HTTP/1.1",  # Django decodes the path: still the reconnect view
        f"GET /RECONNECT/{TOKEN}/ HTTP/1.1",
        f"GET /reconnect//{TOKEN}/ HTTP/1.1",
        f"GET /Invitations/{TOKEN}/ HTTP/1.1",
        f"GET /accounts/login/?next=%2FReconnect%2F{TOKEN}%2F HTTP/1.1",
        f"GET /accounts/login/?next=%252Freconnect%252F{TOKEN}%252F HTTP/1.1",  # encoded twice
        f"GET /accounts/login/?next=%25252Finvitations%25252F{TOKEN} HTTP/1.1",  # three times
        f"GET /accounts/login/?next=%2F%2561%2F{TOKEN}%2F HTTP/1.1",  # a letter of the prefix encoded
    ],
    ids=[
        "escaped-letter",
        "upper-case",
        "double-slash",
        "mixed-case",
        "encoded-mixed-case",
        "encoded-twice",
        "encoded-thrice",
        "escaped-letter-in-next",
    ],
)
def test_scrub_masks_token_links_however_they_are_spelled(line):
    masked = scrub_text(line)
    assert TOKEN not in masked and "[redacted]" in masked


def test_scrub_keeps_text_without_hidden_credentials_as_written():
    line = 'GET /integrations/?q=Zo%C3%AB%20Lovelace&page=2 HTTP/1.1" 200'
    assert scrub_text(line) == line


def _fails_with_a_link(token: str) -> None:
    raise RuntimeError(f"could not send http://testserver/invitations/{token}/ (SMTP 451)")


@pytest.mark.django_db
def test_django_q_worker_and_monitor_log_a_failed_task_masked(log_output, monkeypatch):
    """What a worker process logs when a task fails: django-q2's worker runs it and its monitor
    logs "Failed '<func>' (<name>) - <error> : <traceback>" through the django-q logger."""
    import multiprocessing
    import queue
    import uuid

    from django.utils import timezone
    from django_q import monitor as q_monitor
    from django_q import worker as q_worker
    from django_q.brokers import get_broker

    # The test database lives in this test's transaction: the worker must not close it.
    for module in (q_worker, q_monitor):
        monkeypatch.setattr(module, "close_old_django_connections", lambda: None)
    monkeypatch.setattr(q_worker, "setproctitle", None)  # leave this process's title alone
    tasks, results = queue.Queue(), queue.Queue()
    tasks.put(
        {
            "id": uuid.uuid4().hex,
            "name": "masked-failure",
            "func": f"{__name__}._fails_with_a_link",
            "args": (TOKEN,),
            "kwargs": {},
            "started": timezone.now(),
        }
    )
    tasks.put("STOP")
    q_worker.worker(tasks, results, multiprocessing.Value("f", -1), timeout=None)
    results.put("STOP")
    q_monitor.monitor(results, broker=get_broker())

    out = log_output.buffer.getvalue()
    assert "Failed" in out and "_fails_with_a_link" in out and "/invitations/[redacted]/" in out, out
    assert TOKEN not in out


def test_a_worker_process_has_no_unfiltered_django_q_handler(tmp_path):
    """django-q2 adds its own plain handler to the "django-q" logger when none is in reach at
    import (django_q/conf.py). In a process started like `manage.py qcluster` (Django's logging
    configured first), the lines go through our redacting handler instead."""
    import os
    import subprocess
    import sys

    script = (
        "import django, logging; django.setup();"
        "from django_q.conf import logger;"
        "print('handlers', len(logger.handlers), 'propagate', logger.propagate, flush=True);"
        f"logger.error('Failed x (y) - GET /reconnect/{TOKEN}/ : Traceback')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "LOG_FORMAT": "json",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "handlers 0 propagate True" in done.stdout
    assert "/reconnect/[redacted]/" in done.stderr and TOKEN not in done.stderr + done.stdout


@pytest.mark.smoke
def test_a_real_gunicorn_with_the_repos_config_logs_token_paths_masked(tmp_path):
    """gunicorn -c gunicorn.conf.py with its access log on: the access line (path, query,
    referrer, no Basic-auth user) and the app's own lines all masked."""
    import base64
    import os

    import requests

    from tests.servers import gunicorn_serving

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "-",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "LOG_FORMAT": "json",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log_path = tmp_path / "gunicorn.log"
    partner_key = "jcash_abcdef012345_PARTNERKEYMUSTNOTLEAK"
    with gunicorn_serving(env, log_path) as base:
        auth = "Basic " + base64.b64encode(f"{partner_key}:".encode()).decode()
        headers = {"Referer": f"{base}/invitations/{TOKEN}/", "Authorization": auth}
        assert (
            requests.get(f"{base}/reconnect/{TOKEN}/?state={TOKEN}", headers=headers, timeout=10).status_code
            == 410
        )
        requests.get(f"{base}/accounts/login/?next=%2Finvitations%2F{TOKEN}%2F", timeout=10)
        requests.get(f"{base}/a/{TOKEN}/page/2", timeout=10)
    out = log_path.read_text()
    assert '"logger": "gunicorn.access"' in out and "/reconnect/[redacted]/" in out, out[-3000:]
    assert "%2Finvitations%2F[redacted]%2F" in out and "/a/[redacted]/page/2" in out
    assert TOKEN not in out and partner_key not in out


# --- The client's address in the access lines (issue 21) ------------------------------------------

BALANCER, CLIENT = "10.0.0.2", "203.0.113.50"


def _gunicorn_setting(name: str):
    """A setting of the repo's gunicorn.conf.py, read without running it (it sets up Prometheus'
    multiprocess directory in the environment)."""
    from pathlib import Path

    tree = ast.parse(Path("gunicorn.conf.py").read_text())
    return next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name
    )


@pytest.mark.django_db
def test_our_request_line_names_the_client_behind_the_load_balancer(log_output, client, settings):
    """Behind a load balancer REMOTE_ADDR is the balancer's for every request: the http.request
    line carries the client's address as the trusted-proxy settings resolve it."""
    settings.TRUSTED_PROXY_COUNT = 1
    client.get("/accounts/login/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=f"198.51.100.9, {CLIENT}")
    (line,) = [line for line in log_output.buffer.getvalue().splitlines() if "http.request" in line]
    assert f"client={CLIENT}" in line, line
    assert BALANCER not in line and "198.51.100.9" not in line  # the balancer; the client's own claim


def test_gunicorn_access_lines_name_the_client_behind_the_load_balancer(log_output, settings, monkeypatch):
    from gunicorn.config import Config
    from gunicorn.util import load_class

    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "-")
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", _gunicorn_setting("access_log_format"))
    config = logging_config(fmt="plain", level="INFO")
    config["handlers"]["console"]["stream"] = log_output.buffer
    cfg.set("logconfig_dict", config)
    logger = load_class(_gunicorn_setting("logger_class"))(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/healthz",
        "PATH_INFO": "/healthz",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": BALANCER,
        "HTTP_X_FORWARDED_FOR": f"198.51.100.9, {CLIENT}",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=5))
    out = log_output.buffer.getvalue()
    assert f"{CLIENT} - - [" in out, out
    assert BALANCER not in out and "198.51.100.9" not in out


def test_each_app_registers_its_own_token_links_and_the_ground_names_none_of_them():
    """The ground (jobcannon.core) masks what the apps above register from their AppConfig.ready;
    it does not name their paths itself (issue 22: core imports and knows nothing above it)."""
    from pathlib import Path

    from jobcannon.core import logging as core_logging

    registered = set(core_logging.token_path_prefixes())
    assert {"/a/", "/assessments/reports/", "/invitations/", "/reconnect/"} <= registered
    source = Path(core_logging.__file__).read_text()
    assert not [p for p in ("/a/", "/assessments/", "/invitations/", "/reconnect/") if f'"{p}' in source]
