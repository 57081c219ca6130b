"""/healthz and /readyz: what a load balancer and a monitor observe when a dependency fails."""

import time
from unittest import mock

import pytest
from django.db import OperationalError, connection

from jobcannon.core.workers import _heartbeat_key, worker_heartbeat_record

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


@pytest.fixture
def heartbeat():
    worker_heartbeat_record(source="test")


def test_healthz_answers_ok_without_touching_the_database(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("db down")):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_every_dependency_answers(client, heartbeat):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok", "workers": "ok"},
    }


def test_readyz_reports_a_stopped_database_without_leaking_the_error(client, heartbeat):
    error = OperationalError('connection to server at "db.internal" failed: password=hunter2')
    with mock.patch.object(connection, "cursor", side_effect=error):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "fail"
    assert body["checks"]["migrations"] == "fail"
    text = response.content.decode()
    assert "hunter2" not in text and "db.internal" not in text and "OperationalError" not in text


def test_readyz_reports_an_unreachable_cache_quickly(client, settings, heartbeat):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"] == "fail"
    # The heartbeat lives in the cache: with the cache gone nobody can tell workers are up.
    assert checks["workers"] == "fail"
    assert checks["database"] == "ok"


def test_readyz_reports_a_stopped_redis_broker(client, settings, heartbeat):
    settings.REDIS_URL = DEAD_REDIS
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "fail"
    assert "6379" not in response.content.decode() and "redis://" not in response.content.decode()


def test_readyz_reports_unapplied_migrations(client, heartbeat):
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        return_value=[("integrations.0099_future", False)],
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending"


def test_readyz_reports_workers_down_when_no_heartbeat_was_ever_recorded(client):
    from django.core.cache import cache

    cache.delete(_heartbeat_key())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "stale"


def test_readyz_reports_workers_down_when_the_last_heartbeat_is_too_old(client, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 60
    with mock.patch("jobcannon.core.workers.time.time", return_value=time.time() - 120):
        worker_heartbeat_record(source="test")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "stale"


def test_readyz_skip_workers_keeps_web_servers_in_rotation_during_a_worker_outage(client):
    from django.core.cache import cache

    cache.delete(_heartbeat_key())
    response = client.get("/readyz?skip=workers")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == "skipped"


def test_readyz_ignores_unknown_skip_names(client):
    from django.core.cache import cache

    cache.delete(_heartbeat_key())
    response = client.get("/readyz?skip=everything,database")  # only workers may be skipped
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["workers"] == "stale"


def test_a_finished_task_records_a_heartbeat(client):
    from django.core.cache import cache
    from django_q.tasks import async_task

    import jobcannon.core.workers as workers

    cache.delete(_heartbeat_key())
    workers._last_heartbeat = 0.0
    async_task("math.floor", 2.5, sync=True)  # any task: the worker hook records the beat
    assert client.get("/readyz").json()["checks"]["workers"] == "ok"
