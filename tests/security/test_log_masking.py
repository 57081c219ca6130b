"""Token-bearing paths never reach a log line: runserver's and gunicorn's access lines, Django's
request warnings and our own structured lines all mask the token of reconnect links,
invitations, candidate links and allauth keys (issue 21)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import logging
import logging.config
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
