"""The hint-less route's budgets in Redis, as production keeps them (RATE_LIMIT_BACKEND "redis"):
what a junk request costs in round trips, and that the budgets are still taken and charged as
before (integrations/services/inbound_limits.py, webhook_sources.py, webhook_intake.py).

Needs a Redis that answers at REDIS_URL, else 127.0.0.1:6379 (db 14, as the benchmarks); skipped
without one. Each test has its own RATE_LIMIT_NAMESPACE, so the keys are its own."""

from __future__ import annotations

import os

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from integrations.services import inbound_limits
from tests.factories import IntegrationFactory
from tests.integrations.test_webhook_hintless import body_for, send

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_commands(settings, monkeypatch):
    """The Redis budgets, and every command sent to Redis (a round trip each), in order."""
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001 - any failure: skip
        pytest.skip("needs a Redis that answers (REDIS_URL or 127.0.0.1:6379)")
    settings.RATE_LIMIT_BACKEND = "redis"
    settings.REDIS_URL = REDIS_URL
    sent: list[str] = []
    execute = Redis.execute_command

    def counting(self, *args, **options):
        sent.append(str(args[0]))
        return execute(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counting)
    return sent


def _tokens(key: str) -> float:
    """A bucket's tokens as Redis holds them (not refilled since its last operation)."""
    shared = inbound_limits._redis()
    assert shared is not None
    return float(shared["client"].hget(inbound_limits._prefix() + key, "tokens"))


def test_hintless_junk_costs_four_redis_round_trips_and_is_charged_as_before(
    client, settings, redis_commands
):
    """A small body of junk from a new address on the seeds' route is read, scanned against every
    candidate and answered 401, stored. Its budgets were asked one bucket at a time, twice (the
    inbound guard, then the intake), and charged one bucket at a time: 13 round trips to Redis
    (benchmarks section 7's 8 KiB junk, ~8 ms of the machine a request). Now the guard's answer is
    the intake's, and each step's buckets go in one script call: the remembered integrations, the
    lane, the scan's charge with the failure budget, the rejected row's budget. The answer, the
    stored row and what each budget is charged are unchanged."""
    for n in range(50):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    address = "192.0.2.10"
    send(client, body_for("warm"), secret="whsec_wrong", address="198.51.100.200")  # script loaded, caches
    redis_commands.clear()

    junk = send(client, body_for("junk", pad=7_000), secret="whsec_wrong", address=address)

    assert junk.status_code == 401
    assert "No Fake ATS integration matched" in junk.json()["error"]["message"]
    assert WebhookEvent.objects.filter(status=WebhookStatus.REJECTED, remote_addr=address).count() == 1
    assert len(redis_commands) <= 4, redis_commands  # 13 before
    ns, budgets = settings.RATE_LIMIT_NAMESPACE, settings.WEBHOOK_HINTLESS_SCAN_BUDGET
    # The scan was charged to its address, its network's share of the small lane and the lane's
    # pool (its measured time plus the lane's overhead); the failure budget took one.
    for key, budget in (
        (f"{ns}:scan:{address}", "per_source"),
        (f"{ns}:scan:fake:small:192.0.2.0/24", "small_network"),
    ):
        charged = budgets[budget]["burst"] - _tokens(key)
        assert charged >= settings.WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS, key
    assert _tokens(f"{ns}:scan:fake:small") < budgets["small"]["burst"]
    assert _tokens(f"{ns}:fail:{address}") == settings.INBOUND_FAILURE_RATE_LIMITS["burst"] - 1


def test_a_signed_delivery_found_by_a_scan_takes_its_budgets_in_redis(client, settings, redis_commands):
    """A correctly signed delivery from a new address is found by the scan and accepted; the scan
    is charged in the same round trip as the integration's verified budget, which takes one. The
    address is remembered, so its next delivery is tried first and not scanned."""
    integrations = [IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}]) for n in range(20)]
    address = "198.51.100.30"

    first = send(client, body_for("first"), secret="whsec_19", address=address)

    assert first.status_code == 200
    ns = settings.RATE_LIMIT_NAMESPACE
    assert _tokens(f"{ns}:scan:{address}") < settings.WEBHOOK_HINTLESS_SCAN_BUDGET["per_source"]["burst"]
    burst = settings.INBOUND_RATE_LIMITS["default"]["burst"]
    assert _tokens(f"{ns}:ok:fake:{integrations[19].public_id}") == burst - 1
    redis_commands.clear()
    again = send(client, body_for("again"), secret="whsec_19", address=address)
    assert again.status_code == 200
    assert WebhookEvent.objects.filter(status=WebhookStatus.VERIFIED, remote_addr=address).count() == 2
    assert "EVALSHA" in redis_commands and len(redis_commands) <= 2, redis_commands  # remembered: no scan


def test_the_guards_lookup_is_not_used_for_another_request(client, settings, redis_commands):
    """What the inbound guard looked up for one request (its address's remembered integrations,
    its lane) is used by that request's intake only: an intake for another address asks again."""
    from integrations.services.webhook_intake import webhook_event_receive

    integration = IntegrationFactory(webhook_secrets=[{"secret": "whsec_known"}])
    IntegrationFactory(webhook_secrets=[{"secret": "whsec_other"}])
    assert send(client, body_for("proves"), secret="whsec_known", address="198.51.100.40").status_code == 200
    # The guard looks for 203.0.113.5 (nothing remembered); its request's intake never runs here.
    from django.test import RequestFactory

    from integrations.services.webhook_intake import webhook_refusal_before_read

    body = body_for("next")
    guarded = RequestFactory().post("/fake/webhooks", data=body, content_type="application/json")
    assert (
        webhook_refusal_before_read(
            request=guarded, provider_key="fake", public_id=None, address="203.0.113.5"
        )
        is None
    )
    from integrations.base import hmac_sha256_hex

    result = webhook_event_receive(
        provider_key="fake",
        integration_public_id=None,
        body=body,
        headers={"X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_known", body)},
        query={},
        remote_addr="198.51.100.40",
        path="/fake/webhooks",
    )
    assert result.status_code == 200 and result.event is not None
    assert result.event.integration == integration
    assert "GET" in redis_commands[-4:], "the proven address's remembered integrations were asked"
