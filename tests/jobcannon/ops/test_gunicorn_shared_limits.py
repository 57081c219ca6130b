"""Two real servers (gunicorn, one worker process each) sharing PostgreSQL and Redis share the
inbound budgets (integrations/services/inbound_limits.py): a caller that fails from one address
is refused once the address's failure budget is spent, whichever server it sent to, and a
verified delivery from the same address is still accepted by both. Skipped unless the suite
runs on PostgreSQL with a Redis that answers (.ci/run's second pass)."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from integrations.base import hmac_sha256_hex
from tests.factories import IntegrationFactory
from tests.servers import gunicorn_serving

pytestmark = [pytest.mark.smoke, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _redis_answers() -> bool:
    if not settings.REDIS_URL:
        return False
    from redis import Redis

    try:
        return bool(Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure: skip
        return False


def _env(name: str, tmp: Path) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test",
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"prometheus-{name}"),
        # The test database (pytest-django's), which this test's rows are committed to.
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TRUSTED_PROXY_COUNT": "1",  # the client address comes from X-Forwarded-For
    }


@pytest.fixture
def two_servers(tmp_path) -> Iterator[list[str]]:
    if connection.vendor != "postgresql" or not _redis_answers():
        pytest.skip("needs PostgreSQL (DATABASE_URL) and a Redis that answers (REDIS_URL)")
    with (
        gunicorn_serving(_env("a", tmp_path), tmp_path / "a.log", timeout=60) as a,
        gunicorn_serving(_env("b", tmp_path), tmp_path / "b.log", timeout=60) as b,
    ):
        yield [a, b]


def test_two_servers_share_an_addresses_failure_budget(two_servers):
    integration = IntegrationFactory()
    path = f"/webhooks/fake/{integration.public_id}/"
    address = f"198.18.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311 - a fresh bucket
    burst = int(settings.INBOUND_FAILURE_RATE_LIMITS["burst"])
    per_server: dict[str, Counter[int]] = {base: Counter() for base in two_servers}
    session = requests.Session()
    for n in range(burst + 20):  # alternately: each server alone sees (burst + 20) / 2 < burst
        base = two_servers[n % 2]
        response = session.post(
            base + path,
            data=b"{}",
            headers={
                "Content-Type": "application/json",
                "X-Fake-Signature": "sha256=" + "0" * 64,
                "X-Forwarded-For": address,
            },
            timeout=10,
        )
        per_server[base][response.status_code] += 1
    assert all(counts[429] for counts in per_server.values()), per_server
    assert sum(counts[401] for counts in per_server.values()) < burst + 20, per_server

    body = b'{"id": "evt_shared", "type": "candidate.created", "data": {}}'
    for n, base in enumerate(two_servers):
        body = body.replace(b"evt_shared", f"evt_shared_{n}".encode())
        verified = session.post(
            base + path,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body),
                "X-Forwarded-For": address,
            },
            timeout=10,
        )
        assert verified.status_code == 200, "a failing caller must not lock out a verified one"
