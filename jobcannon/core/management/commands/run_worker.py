"""The worker process of the process model: django-q2's qcluster plus its metrics endpoint.

    python manage.py run_worker            # PROMETHEUS_MULTIPROC_DIR, METRICS_PORT from the env

prometheus_client's multiprocess mode must be chosen before a process imports it, so this
command prepares a directory of its own (emptied: stale files would double-count), starts
`manage.py qcluster` as a child process with PROMETHEUS_MULTIPROC_DIR pointing at it, and
serves that directory's counters on METRICS_PORT (default 9464, bearer token as for /metrics)
from a thread of this parent, which never forks. SIGTERM / SIGINT are passed to the qcluster,
which finishes its running tasks; this command exits with its exit code.

`manage.py qcluster` alone works too (no worker metrics then)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.management.base import BaseCommand

from jobcannon.core import metrics

logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


def metrics_app(directory: str, token: str) -> Callable[..., Iterable[bytes]]:
    """WSGI app serving the multiprocess files in `directory` at /metrics."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if token and not metrics.bearer_token_ok(environ.get("HTTP_AUTHORIZATION", ""), token):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"unauthorized\n"]
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        start_response(
            "200 OK", [("Content-Type", metrics.CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")]
        )
        return [generate_latest(registry)]

    return app


class Command(BaseCommand):
    help = "Run the django-q2 cluster with its Prometheus metrics endpoint."

    def add_arguments(self, parser):
        parser.add_argument("--metrics-host", default=os.environ.get("METRICS_HOST", "0.0.0.0"))  # noqa: S104
        parser.add_argument("--metrics-port", type=int, default=int(os.environ.get("METRICS_PORT", "9464")))

    def handle(self, *args, **options):
        directory = os.environ.get("WORKER_PROMETHEUS_MULTIPROC_DIR") or str(
            Path(tempfile.gettempdir()) / "jobcannon-prometheus-worker"
        )
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}
        child = subprocess.Popen([sys.executable, "manage.py", "qcluster"], env=env, cwd=settings.BASE_DIR)

        def forward(signum: int, frame: Any) -> None:
            if child.poll() is None:
                child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)

        token = settings.METRICS_BEARER_TOKEN
        server = None
        if token or settings.METRICS_OPEN:
            server = make_server(
                options["metrics_host"],
                options["metrics_port"],
                metrics_app(directory, token),
                handler_class=_QuietHandler,
            )
            threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
            logger.info("worker.metrics_serving", extra={"port": options["metrics_port"]})
        else:
            logger.warning("worker.metrics_disabled", extra={"why": "METRICS_BEARER_TOKEN is not set"})
        try:
            code = child.wait()
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()
        if code:
            sys.exit(code)
