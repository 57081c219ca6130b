"""The embedded default under concurrency: the server `dev.py run` serves with (`manage.py serve`,
jobcannon/core/management/commands/serve.py) on the file SQLite database with the OPTIONS of the
local settings, and many threads calling it at once, as Ashby does when it retries
assessment.start concurrently, while the worker `dev.py run` starts beside it (manage.py
qcluster) takes the queued deliveries and processes them on the same file. Every answer must be
2xx or 409, never a 5xx ("database is locked") nor a connection reset (a full listen backlog)."""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
import os
import pydoc
import select
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection, connections
from django_q.signing import SignedPackage

from assessments.models import AssessmentRun
from integrations.base import hmac_sha256_hex
from integrations.models import WebhookEvent, WebhookStatus
from integrations.services.webhooks import webhook_event_process_batch
from jobcannon.core.management.commands.serve import Command as ServeCommand
from jobcannon.core.queue import broker
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


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    """`manage.py serve` as `dev.py run` starts it, in this process so it shares the test database:
    the command's server class, threaded as runserver threads it (basehttp.run: ThreadingMixIn
    over server_cls, daemon threads; a thread per request, each its own database connection),
    serving the application the command serves (its get_handler)."""
    command = ServeCommand()
    httpd_cls = type("WSGIServer", (socketserver.ThreadingMixIn, command.server_cls), {})
    httpd = httpd_cls(("127.0.0.1", 0), _QuietHandler)
    httpd.daemon_threads = True
    httpd.set_app(command.get_handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        connections.close_all()


# The tasks a webhook intake enqueues (integrations/services/webhooks.py: the drain nudge, the
# one-event path). Anything else (a write-back would call Ashby: no network here) is left queued.
_WEBHOOK_TASKS = {
    "integrations.tasks.webhook_event_drain_task",
    "integrations.tasks.webhook_event_process_task",
}


class _Worker:
    """The worker `dev.py run` starts beside the web server (manage.py qcluster, Q_WORKERS of
    them; threads here, each its own connection to the same database file). Each takes what the
    intakes enqueued off the broker (the ORM broker: an UPDATE locking the task, a DELETE
    acknowledging it) and runs the webhook tasks as the cluster's workers do
    (webhook_event_drain_task: verified events claimed, processed and recorded, the drain slot's
    row deleted from the database cache); between tasks it looks for verified events as a
    lingering drain does (webhook_event_process_batch: one IMMEDIATE transaction a look). So the
    worker's writes compete with the web server's, as they do under `dev.py run`. A task that
    raises ("database is locked") is kept in `errors` and ends that worker."""

    def __init__(self, workers: int) -> None:
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _run(self) -> None:
        queue = broker()
        try:
            while not self.stop.is_set():
                # queue_size first: the ORM broker's dequeue sleeps Q_CLUSTER's poll when empty.
                for ack_id, payload in (queue.dequeue() if queue.queue_size() else None) or []:
                    task = SignedPackage.loads(payload)
                    if task["func"] in _WEBHOOK_TASKS:
                        pydoc.locate(task["func"])(*task["args"], **task["kwargs"])
                        queue.acknowledge(ack_id)
                webhook_event_process_batch(limit=settings.WEBHOOK_DRAIN_BATCH)
                time.sleep(settings.WEBHOOK_DRAIN_LINGER_SECONDS)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            self.errors.append(repr(exc))
        finally:
            connection.close()


@pytest.fixture
def worker() -> Iterator[_Worker]:
    running = _Worker(settings.Q_CLUSTER["workers"])
    for thread in running.threads:
        thread.start()
    try:
        yield running
    finally:
        running.stop.set()
        for thread in running.threads:
            thread.join(60)


def _post_answer(
    address: tuple[str, int], path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(*address, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _post(address: tuple[str, int], path: str, body: bytes, headers: dict[str, str]) -> int:
    return _post_answer(address, path, body, headers)[0]


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


def _local_settings_connection_facts(**environ: str) -> dict:
    """_connection_facts of the local settings module (as manage.py and dev.py load it), asked in
    a process of its own with these environment variables (no DATABASE_URL/REDIS_URL/SQLITE_PATH
    of the test run's)."""
    import inspect
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH")}
    env |= {"DJANGO_SETTINGS_MODULE": "jobcannon.settings.local", **environ}
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
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_test_database_has_the_local_settings_options(tmp_path):
    """What the server below runs on is what `dev.py run` runs on: the local settings module,
    loaded in its own process on a scratch database file, is asked what its connection really
    has, and so is the test database's."""
    dev_server = _local_settings_connection_facts(SQLITE_PATH=str(tmp_path / "dev.sqlite3"))

    assert _connection_facts(connection) == dev_server
    # ...and that is what lets the web server and the worker share the file.
    assert dev_server["journal_mode"] == "wal" and dev_server["transaction_mode"] == "IMMEDIATE"
    assert dev_server["busy_timeout"] >= 5000


def test_a_sqlite_database_url_gets_the_same_server_options(tmp_path):
    """DATABASE_URL=sqlite:///... (dj_database_url sets no options) is configured for a web server
    like the default file: without it, the concurrent retries below answered 500 "database is
    locked" (tests/security/FINDINGS.md row 13)."""
    facts = _local_settings_connection_facts(DATABASE_URL=f"sqlite:///{tmp_path / 'url.sqlite3'}")
    assert facts["journal_mode"] == "wal" and facts["transaction_mode"] == "IMMEDIATE"
    assert facts["busy_timeout"] >= 5000


def test_concurrent_assessment_start_retries_and_webhooks_never_answer_5xx(server, worker):
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

    started: list[tuple[int, bytes]] = []

    def start_retry() -> int:
        started.append(_post_answer(server, start_path, start, auth))
        return started[-1][0]

    calls: list[Callable[[], int]] = [start_retry for _ in range(THREADS)]
    calls += [webhook(i) for i in range(THREADS)]
    statuses = _all_at_once(calls)
    # The worker goes on until it has processed what the burst stored (or fails).
    waiting = WebhookEvent.objects.filter(
        integration=integration, status__in=[WebhookStatus.VERIFIED, WebhookStatus.PROCESSING]
    )
    deadline = time.monotonic() + 60
    while waiting.exists() and not worker.errors and time.monotonic() < deadline:
        time.sleep(0.1)

    assert all(isinstance(s, int) and (200 <= s < 300 or s == 409) for s in statuses), statuses
    assert AssessmentRun.objects.filter(integration=integration).count() == 1
    # Ashby's concurrent retries of one start are the same request: each gets the 200 of the one
    # assessment that started (not 409 "cancel it first" for an assessment its own first try began).
    run = AssessmentRun.objects.get(integration=integration)
    assert [status for status, _ in started] == [200] * THREADS, started
    assert {json.loads(body)["results"]["assessment_id"] for _, body in started} == {
        run.external_assessment_id
    }
    assert WebhookEvent.objects.filter(integration=integration, dedupe_key__isnull=False).count() == 4
    assert worker.errors == [] and all(t.is_alive() for t in worker.threads), worker.errors
    assert not waiting.exists(), list(waiting.values_list("pk", "status"))


CONTROL_ROUNDS = 5


def test_without_the_busy_timeout_the_same_load_is_refused_5xx(server):
    """The control: the same calls on connections without SQLite's busy timeout (the `timeout`
    option: 0 waits for no lock) are answered 5xx ("database is locked"), as the issue saw on a
    database without these options. So the test above passes because of the options, not by luck.
    Locks collide only when calls overlap, which one round on a busy machine may not give (CI saw
    a round of 20 answered 200 once): up to CONTROL_ROUNDS rounds, until one answers a 5xx."""
    options = connections.settings["default"].setdefault("OPTIONS", {})
    saved = dict(options)
    options["timeout"] = 0
    statuses: list[int | str] = []
    try:
        integration = ashby_integration()
        key = with_partner_key(integration)
        auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        start = json.dumps(start_body()).encode()
        start_path = f"/partners/ashby/{integration.public_id}/assessment.start"
        hook_path = f"/webhooks/ashby/{integration.public_id}/"
        for round_ in range(CONTROL_ROUNDS):
            calls: list[Callable[[], int]] = [
                lambda: _post(server, start_path, start, auth) for _ in range(THREADS)
            ]
            for i in range(THREADS):
                body = json.dumps(
                    {"action": "ping", "webhookActionId": f"ctl-{round_}-{i}", "data": {"n": i}}
                ).encode()
                headers = {"Ashby-Signature": "sha256=" + hmac_sha256_hex(SECRET, body)}
                calls.append(lambda body=body, headers=headers: _post(server, hook_path, body, headers))
            statuses = _all_at_once(calls)
            if any(isinstance(s, int) and s >= 500 for s in statuses):
                break
    finally:
        options.clear()
        options.update(saved)
        connections.close_all()
    assert any(isinstance(s, int) and s >= 500 for s in statuses), statuses


def _dev_py_run_web_server(monkeypatch: pytest.MonkeyPatch, port: int) -> tuple[list[str], dict[str, str]]:
    """The web server's command line and environment exactly as `dev.py run` starts it (its
    install, migrate and seed steps skipped, the processes recorded instead of started)."""
    spec = importlib.util.spec_from_file_location("jobcannon_dev_py", settings.BASE_DIR / "dev.py")
    assert spec and spec.loader
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    started: list[tuple[list[str], dict[str, str]]] = []

    class _Recorded:
        pid = 0

        def __init__(self, args: list[str], **kwargs: object) -> None:
            started.append((args, kwargs["env"]))  # type: ignore[arg-type]

        def poll(self) -> int:
            return 0

        def wait(self, timeout: float | None = None) -> int:
            return 0

    with monkeypatch.context() as patch:
        patch.setattr(dev, "install", lambda dev: None)
        patch.setattr(dev, "manage", lambda *args, env: None)
        patch.setattr(dev.subprocess, "Popen", _Recorded)
        patch.delenv("DJANGO_SETTINGS_MODULE")  # dev.py's default then: the local settings
        patch.setenv("PORT", str(port))
        dev.run()
    (web,) = [(args, env) for args, env in started if f"127.0.0.1:{port}" in args]
    return web


def test_dev_py_run_serves_with_a_listen_backlog_of_at_least_128(monkeypatch, tmp_path):
    """The real `dev.py run` web server, stopped for a moment (as a busy server does not accept),
    still queues 128 connections that arrive at once: none is refused or left unanswered by the
    kernel. Django's runserver queues 10 (an auditor's 70 concurrent calls got 173 resets of 270)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args, env = _dev_py_run_web_server(monkeypatch, port)
    env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "SQLITE_PATH": str(tmp_path / "dev.sqlite3"),
        "RATE_LIMIT_SQLITE_PATH": str(tmp_path / "rl.sqlite3"),
    }
    log = tmp_path / "server.log"
    web = subprocess.Popen(
        args, cwd=settings.BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    callers: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while not _accepts(port):
            assert web.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        os.kill(web.pid, signal.SIGSTOP)
        for _ in range(128):
            caller = socket.socket()
            caller.setblocking(False)
            caller.connect_ex(("127.0.0.1", port))
            callers.append(caller)
        # A connection the backlog has no room for gets no SYN-ACK (Linux drops the SYN), so it
        # never turns writable while the server is stopped.
        pending, deadline = list(callers), time.monotonic() + 3
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], pending, [], 0.1)
            pending = [c for c in pending if c not in writable]
        queued = [
            c for c in callers if c not in pending and not c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        ]
        assert len(queued) == 128, f"{len(queued)} of 128 connections queued"
    finally:
        os.kill(web.pid, signal.SIGCONT)
        for caller in callers:
            caller.close()
        web.send_signal(signal.SIGINT)
        try:
            web.wait(timeout=10)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
