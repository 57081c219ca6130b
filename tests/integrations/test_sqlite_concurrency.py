"""The embedded default under concurrency: a real threaded WSGI server (the production
application, jobcannon/core/wsgi.py) on the file SQLite database with the OPTIONS of the local
settings, and many threads calling it at once, as Ashby does when it retries assessment.start
concurrently. Every answer must be 2xx or 409, never a 5xx ("database is locked")."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIRequestHandler

import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection, connections

from assessments.models import AssessmentRun
from integrations.base import hmac_sha256_hex
from integrations.models import WebhookEvent
from jobcannon.core.wsgi import JobCannonWSGI
from tests.integrations.providers.ashby.helpers import SECRET, ashby_integration, start_body, with_partner_key

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="the embedded default only"
    ),
]

THREADS = 12


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadedWSGIServer):
    # This test is about the database, not the listen backlog: Django's server keeps
    # 10 pending connections, and on a loaded CI machine 24 connects at once overflowed it
    # (ConnectionResetError before any request was read). gunicorn's default backlog is 2048.
    request_queue_size = 128


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    """The production WSGI application behind a threaded server (a thread per request, each its
    own database connection), like `manage.py runserver` and gunicorn's gthread workers."""
    httpd = _Server(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=True)
    httpd.daemon_threads = True
    httpd.set_app(JobCannonWSGI())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        connections.close_all()


def _post(address: tuple[str, int], path: str, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection(*address, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _all_at_once(calls: list[Callable[[], int]]) -> list[int | str]:
    barrier = threading.Barrier(len(calls))
    results: list[int | str] = [0] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            results[i] = repr(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


# What a connection really runs with, read back from SQLite (not from the settings dict): the
# journal mode, the busy timeout (the `timeout` option), synchronous, and the BEGIN mode Django
# opens every transaction with (the `transaction_mode` option).
def _connection_facts(conn) -> dict:
    conn.ensure_connection()
    facts: dict = {}
    with conn.cursor() as cursor:
        for pragma in ("journal_mode", "busy_timeout", "synchronous"):
            cursor.execute("PRAGMA " + pragma)
            facts[pragma] = cursor.fetchone()[0]
    facts["transaction_mode"] = conn.transaction_mode
    return facts


def test_the_test_database_has_the_local_settings_options(tmp_path):
    """What the server below runs on is what `dev.py run` runs on: the local settings module,
    loaded in its own process (as manage.py and dev.py load it) on a scratch database file, is
    asked what its connection really has, and so is the test database's."""
    import inspect
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.local",
        "SQLITE_PATH": str(tmp_path / "dev.sqlite3"),
    }
    probe = (
        "import json, django\ndjango.setup()\nfrom django.db import connection\n"
        + inspect.getsource(_connection_facts)
        + "print(json.dumps(_connection_facts(connection)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dev_server = json.loads(done.stdout.strip().splitlines()[-1])

    assert _connection_facts(connection) == dev_server
    # ...and that is what lets the web server and the worker share the file.
    assert dev_server["journal_mode"] == "wal" and dev_server["transaction_mode"] == "IMMEDIATE"
    assert dev_server["busy_timeout"] >= 5000


def test_concurrent_assessment_start_retries_and_webhooks_never_answer_5xx(server):
    integration = ashby_integration()
    key = with_partner_key(integration)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    start = json.dumps(start_body()).encode()
    start_path = f"/partners/ashby/{integration.public_id}/assessment.start"
    hook_path = f"/webhooks/ashby/{integration.public_id}/"

    def webhook(i: int) -> Callable[[], int]:
        body = json.dumps({"action": "ping", "webhookActionId": f"race-{i % 4}", "data": {"n": i}}).encode()
        headers = {"Ashby-Signature": "sha256=" + hmac_sha256_hex(SECRET, body)}
        return lambda: _post(server, hook_path, body, headers)

    calls: list[Callable[[], int]] = [lambda: _post(server, start_path, start, auth) for _ in range(THREADS)]
    calls += [webhook(i) for i in range(THREADS)]
    statuses = _all_at_once(calls)

    assert all(isinstance(s, int) and (200 <= s < 300 or s == 409) for s in statuses), statuses
    assert AssessmentRun.objects.filter(integration=integration).count() == 1
    assert WebhookEvent.objects.filter(integration=integration, dedupe_key__isnull=False).count() == 4


def test_without_the_busy_timeout_the_same_load_is_refused_5xx(server):
    """The control: the same calls on connections without SQLite's busy timeout (the `timeout`
    option: 0 waits for no lock) are answered 5xx ("database is locked"), as the issue saw on a
    database without these options. So the test above passes because of the options, not by luck."""
    options = connections.settings["default"].setdefault("OPTIONS", {})
    saved = dict(options)
    options["timeout"] = 0
    try:
        integration = ashby_integration()
        key = with_partner_key(integration)
        auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        start = json.dumps(start_body()).encode()
        start_path = f"/partners/ashby/{integration.public_id}/assessment.start"
        hook_path = f"/webhooks/ashby/{integration.public_id}/"
        calls: list[Callable[[], int]] = [
            lambda: _post(server, start_path, start, auth) for _ in range(THREADS)
        ]
        for i in range(THREADS):
            body = json.dumps({"action": "ping", "webhookActionId": f"ctl-{i}", "data": {"n": i}}).encode()
            headers = {"Ashby-Signature": "sha256=" + hmac_sha256_hex(SECRET, body)}
            calls.append(lambda body=body, headers=headers: _post(server, hook_path, body, headers))
        statuses = _all_at_once(calls)
    finally:
        options.clear()
        options.update(saved)
        connections.close_all()
    assert any(isinstance(s, int) and s >= 500 for s in statuses), statuses
