"""Intake with the cache gone (no cache table, Redis down): the drain nudge is an optimisation,
the committed row is the promise. The delivery is answered 2xx once its row is committed, and the
periodic sweep enqueues it. And `migrate` alone leaves a database whose cache works."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from integrations.models import WebhookEvent, WebhookStatus
from integrations.services.webhooks import webhook_event_sweep
from tests.factories import IntegrationFactory
from tests.integrations.test_webhook_intake import post, signed, url_for

PROCESS = "integrations.services.webhooks.webhook_event_process_task"


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr("jobcannon.core.queue.enqueue", lambda func, *args, **kw: calls.append((func, *args)))
    return calls


def _delivered_and_swept(client, enqueued) -> None:
    integration = IntegrationFactory()
    response = post(client, url_for(integration), headers=signed())
    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.VERIFIED and event.integration == integration
    assert webhook_event_sweep(older_than_seconds=0) == 1
    assert (PROCESS, event.pk) in enqueued


@pytest.mark.django_db
def test_orm_broker_without_a_cache_table_still_accepts_and_the_sweep_picks_it_up(client, settings, enqueued):
    settings.QUEUE_IN_DATABASE = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "no_such_cache_table",
        }
    }
    _delivered_and_swept(client, enqueued)


@pytest.mark.django_db(transaction=True)  # autocommit, as served: the nudge runs at once
def test_redis_down_still_accepts_and_the_sweep_picks_it_up(client, settings, enqueued):
    settings.QUEUE_IN_DATABASE = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    _delivered_and_swept(client, enqueued)


@pytest.mark.django_db(transaction=True)
def test_migrate_alone_creates_the_database_cache_table(settings):
    """The release step cannot be half-run: the cache table comes with the migrations."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "jobcannon_cache"}
    }
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS jobcannon_cache")
    assert "jobcannon_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)  # the release step's first command, and nothing else
    assert "jobcannon_cache" in connection.introspection.table_names()
    assert cache.add("probe", 1) and cache.get("probe") == 1


@pytest.mark.django_db(transaction=True)
def test_redis_down_the_inbound_budgets_fall_back_to_the_process_and_intake_answers(
    client, settings, enqueued
):
    """The budgets are shared in Redis when there is one (integrations/services/inbound_limits.py);
    Redis unreachable, each process keeps its own meanwhile: deliveries are answered, on both
    routes, and a failure is still counted against its address."""
    from integrations.services.inbound_limits import inbound_limits_reset

    settings.RATE_LIMIT_BACKEND = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 1e-9, "burst": 1}
    inbound_limits_reset()
    integration = IntegrationFactory()
    assert post(client, url_for(integration), headers=signed()).status_code == 200
    body = b'{"id": "evt_hintless", "type": "candidate.created", "data": {}}'
    assert post(client, "/fake/webhooks", body=body, headers=signed(body)).status_code == 200
    assert post(client, url_for(integration), headers={"X-Fake-Signature": "sha256=00"}).status_code == 401
    assert post(client, url_for(integration), headers={"X-Fake-Signature": "sha256=00"}).status_code == 429
    inbound_limits_reset()
