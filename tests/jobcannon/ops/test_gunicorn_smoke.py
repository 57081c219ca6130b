"""Smoke test of the production server: gunicorn with the repo's gunicorn.conf.py, two worker
processes, the test settings, on a free local port. No benchmark: it starts, answers /healthz,
and /metrics adds up counters across its worker processes (prometheus multiprocess mode)."""

import os

import pytest
import requests

from tests.servers import gunicorn_serving

TOKEN = "smoke-metrics-token-0123456789"

pytestmark = pytest.mark.smoke


@pytest.fixture
def gunicorn_server(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_BEARER_TOKEN": TOKEN,
        "SQLITE_PATH": str(tmp_path / "smoke.sqlite3"),
        "LOG_FORMAT": "json",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log_path = tmp_path / "gunicorn.log"
    with gunicorn_serving(env, log_path) as base:
        yield base, log_path


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
