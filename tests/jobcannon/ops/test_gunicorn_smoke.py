"""Smoke test of the production server: gunicorn with the repo's gunicorn.conf.py, two worker
processes, the test settings, on a free local port. No benchmark: it starts, answers /healthz,
and /metrics adds up counters across its worker processes (prometheus multiprocess mode)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "smoke-metrics-token-0123456789"

pytestmark = pytest.mark.smoke


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test",
        "PORT": str(port),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_BEARER_TOKEN": TOKEN,
        "SQLITE_PATH": str(tmp_path / "smoke.sqlite3"),
        "LOG_FORMAT": "json",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("gunicorn did not come up:\n" + (tmp_path / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.1)
        yield base, tmp_path / "gunicorn.log"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_gunicorn_serves_healthz_and_metrics_across_workers(gunicorn_server):
    base, log_path = gunicorn_server
    for _ in range(12):
        response = requests.get(f"{base}/healthz", timeout=5)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert len(response.headers["X-Request-ID"]) == 32

    assert requests.get(f"{base}/metrics", timeout=5).status_code == 401
    metrics = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert metrics.status_code == 200
    # Counted in whichever worker served each request, summed over both by the scrape.
    total = 0.0
    for line in metrics.text.splitlines():
        if line.startswith("django_http_responses_total_by_status_total{") and 'status="200"' in line:
            total += float(line.rsplit(" ", 1)[1])
    assert total >= 12
    # The state gauges fail soft on this unmigrated database instead of breaking the scrape.
    assert "jobcannon_state_up" in metrics.text

    # gunicorn's own log lines come out as JSON through the same pipeline.
    assert '"logger": "gunicorn.error"' in log_path.read_text()
