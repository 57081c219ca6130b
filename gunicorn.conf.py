"""gunicorn configuration for the web process (docs/deployment.md).

    gunicorn -c gunicorn.conf.py          # reads everything below from the environment

Settings come only from the environment: PORT / GUNICORN_BIND, WEB_CONCURRENCY (worker
processes), GUNICORN_THREADS, GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS, LOG_LEVEL, LOG_FORMAT.

Prometheus: counters incremented in request handlers must add up across worker processes, so
prometheus_client runs in multiprocess mode. `PROMETHEUS_MULTIPROC_DIR` is set here when the
environment does not set it (a directory per port under the temp dir), emptied when the
master starts (stale files from a previous run would double-count), and each dead worker is
marked so its live gauges disappear. It must be set before any worker imports
prometheus_client, which is why it happens here and not in Django settings."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobcannon.settings.production")

_port = os.environ.get("PORT", "8000")
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{_port}").split(",")
wsgi_app = "jobcannon.wsgi:application"

# Threaded workers (gthread), one process per core: webhook deliveries that arrive together in a
# process share one INSERT and one commit (integrations/services/group_insert.py), which is what
# put the intake ahead of a one-INSERT-per-request receiver (benchmarks section 1: 2 workers x 8
# threads on 2 cores). Request handlers are short; slow work is in django-q2 tasks. Each thread
# holds its own database connection (workers x threads per machine). GUNICORN_THREADS=1 gives
# sync workers, 2 x cores + 1 of them by default.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread" if threads > 1 else "sync"
_cores = multiprocessing.cpu_count()
_default_workers = max(2, _cores) if threads > 1 else 2 * _cores + 1
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(_default_workers, 9))))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (bounded memory growth); jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "5000"))
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - gunicorn's documented advice
# Trust X-Forwarded-* only from the load balancer (comma-separated addresses, "*" for any).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# Logging: gunicorn's error log goes through the same JSON / redaction pipeline as Django.
# No gunicorn access log by default: RequestIdMiddleware writes one redacted `http.request` line
# per request instead. GUNICORN_ACCESS_LOG turns it on, through the redacting handler (tokens in
# paths, query strings and referrers masked: jobcannon/core/logging.py).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# When it is on: gunicorn's default format minus %(u)s, the Basic-auth user, which for a partner
# API call is the partner key itself. Paths and referrers are masked by the redacting filter.
# %(h)s is the client's address as our trusted-proxy settings resolve it (TRUSTED_PROXY_COUNT,
# TRUSTED_CLIENT_IP_HEADER: docs/deployment.md), not gunicorn's REMOTE_ADDR, which behind a load
# balancer is the balancer's for every request: GunicornLogger.
access_log_format = '%(h)s %(l)s - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
logger_class = "jobcannon.core.logging.GunicornLogger"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
capture_output = False


def _logconfig() -> dict:
    from jobcannon.core.logging import logging_config

    return logging_config(fmt=os.environ.get("LOG_FORMAT", "json"), level=loglevel.upper())


logconfig_dict = _logconfig()

# --- Prometheus multiprocess mode ----------------------------------------------------------------
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
    Path(tempfile.gettempdir()) / f"jobcannon-prometheus-{_port}"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server) -> None:
    path = Path(_metrics_dir)
    if path.is_dir():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
