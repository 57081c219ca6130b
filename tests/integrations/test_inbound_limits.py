"""Inbound budgets an attacker with a free account or a block of IPv6 addresses could otherwise
spend for everyone (integrations/services/inbound_limits.py, webhook_sources.py, webhook_intake.py):
the hint-less route's proven scan pool is per workspace and one integration proves only so many
addresses; rejected rows are stored only while the provider's budget for them lasts."""

from __future__ import annotations

import uuid

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from tests.factories import IntegrationFactory
from tests.integrations.test_webhook_hintless import ATS, body_for, send

pytestmark = pytest.mark.django_db


def from_sandbox(client, label: str, address: str) -> int:
    """A delivery signed with the secret of the attacker's own (free, sandbox) integration."""
    return send(client, body_for(label), secret="whsec_attacker_sandbox", address=address).status_code


def slash64(n: int) -> str:
    """An address in the n-th /64 of one /48 (each /64 is its own client for the budgets)."""
    return f"2001:db8:1:{n:x}::1"


def test_addresses_an_attacker_proved_with_their_own_integration_cannot_lock_out_a_real_ats(client, settings):
    """The audit's probe: an attacker signs one delivery from each of their /64s with the secret of
    their own sandbox integration, so each becomes "proven", then sends junk from them. That junk
    spends the attacker's workspace's pool, not one shared by every proven sender: a real ATS's
    next new customer still gets through (it got 429 after 6 attacker-proven /64s)."""
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1e-6, "burst": 0.05},
        "unproven": {"per_second": 1e-6, "burst": 1},  # the attacker's proving deliveries scan from it
        "proven": {"per_second": 1e-6, "burst": 0.1},
    }
    for n in range(20):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    IntegrationFactory(webhook_secrets=[{"secret": "whsec_attacker_sandbox"}])  # their own workspace
    assert send(client, body_for("first"), secret="whsec_19", address=ATS).status_code == 200

    attacker = [slash64(n) for n in range(8)]
    assert [from_sandbox(client, f"p{n}", address) for n, address in enumerate(attacker)] == [200] * 8
    for n, address in enumerate(attacker[:6]):
        for k in range(200):
            junk = send(client, body_for(f"j{n}.{k}", pad=12_000), secret="whsec_wrong", address=address)
            if junk.status_code == 429:
                break
        assert junk.status_code == 429, "the junk spent its budget"
    first = send(client, body_for("j7"), secret="whsec_wrong", address=attacker[7])
    assert first.status_code == 429, "their proven addresses share one pool: theirs, and it is spent"

    assert send(client, body_for("new"), secret="whsec_7", address=ATS).status_code == 200
    assert send(client, body_for("again"), secret="whsec_19", address=ATS).status_code == 200


def test_one_integration_proves_only_so_many_addresses(client, settings):
    """Past WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY an integration's delivery from a new address
    is still accepted, but the address is not remembered: its next delivery is found by a scan
    from the unproven pool (answered 429 while junk has spent it), unlike the addresses proved
    within the cap, whose deliveries are tried first and for free."""
    settings.WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY = 2
    for n in range(5):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    IntegrationFactory(webhook_secrets=[{"secret": "whsec_attacker_sandbox"}])
    addresses = [slash64(n) for n in range(3)]
    assert [from_sandbox(client, f"p{n}", address) for n, address in enumerate(addresses)] == [200] * 3
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {"unproven": {"per_second": 1e-9, "burst": 1e-6}}
    assert send(client, body_for("junk"), secret="whsec_wrong", address="192.0.2.1").status_code == 401
    assert [from_sandbox(client, label, address) for label, address in zip("abc", addresses)] == [
        200,
        200,
        429,
    ]


def test_rejected_rows_stop_being_stored_past_the_providers_budget(client, settings):
    """Each /64 has its own failure budget and a /48 holds 65,536 of them: cycling them must not
    store a row per request. Past WEBHOOK_REJECTED_STORE_BUDGET a failing delivery is answered as
    before (401 with its reason) and nothing is stored; verified deliveries, and signed but
    malformed ones, are still stored."""
    settings.WEBHOOK_REJECTED_STORE_BUDGET = {"per_second": 1e-6, "burst": 3}
    integration = IntegrationFactory()
    responses = [
        send(client, body_for(n), path=f"/webhooks/fake/{uuid.uuid4()}/", address=slash64(n))
        for n in range(10)
    ]
    assert [r.status_code for r in responses] == [401] * 10
    messages = [r.json()["error"]["message"] for r in responses]
    assert all(m.startswith("Unknown integration") for m in messages)
    assert not any("Not kept" in m for m in messages[:3])
    assert all("Not kept in the webhook log" in m for m in messages[3:])
    assert WebhookEvent.objects.filter(status=WebhookStatus.REJECTED).count() == 3

    own_url = f"/webhooks/fake/{integration.public_id}/"
    assert send(client, body_for("ok"), path=own_url, address=slash64(99)).status_code == 200
    malformed = b'{"no_type": true}'
    assert send(client, malformed, path=own_url, address=slash64(99)).status_code == 400
    assert WebhookEvent.objects.filter(status=WebhookStatus.VERIFIED).count() == 1
    assert WebhookEvent.objects.filter(status=WebhookStatus.REJECTED).count() == 4


def test_the_store_budget_is_per_provider(client, settings):
    settings.WEBHOOK_REJECTED_STORE_BUDGET = {"per_second": 1e-6, "burst": 1}
    for n in range(3):
        send(client, body_for(n), path=f"/webhooks/fake/{uuid.uuid4()}/", address=slash64(n))
    other = client.post(
        f"/webhooks/ashby/{uuid.uuid4()}/",
        data=b"{}",
        content_type="application/json",
        REMOTE_ADDR=slash64(9),
    )
    assert other.status_code == 401
    assert sorted(WebhookEvent.objects.values_list("provider", flat=True)) == ["ashby", "fake"]


def test_junk_refused_by_an_empty_pool_does_not_ask_the_budget_store_again(client, settings, monkeypatch):
    """Once this process has seen the unproven pool empty, junk from ever new addresses is answered
    429 without a round trip per bucket (only the refill adds to a bucket, so it stays empty until
    the wait it was told); once that wait has passed the pool is asked, and scans, again."""
    from integrations.services import inbound_limits

    # This process's buckets, on the clock the test turns: Redis's buckets refill on Redis's own
    # clock (a 1e-6 burst refills within a millisecond there); what is tested, the process
    # remembering an empty bucket, is the same in front of either store.
    settings.RATE_LIMIT_BACKEND = "memory"
    clock = [1000.0]
    monkeypatch.setattr(inbound_limits.time, "monotonic", lambda: clock[0])
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {"unproven": {"per_second": 0.01, "burst": 1e-6}}
    for n in range(3):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    assert send(client, body_for(1, pad=12_000), secret="whsec_wrong", address="192.0.2.1").status_code == 401
    assert send(client, body_for(2), secret="whsec_wrong", address="192.0.2.2").status_code == 429

    asked: list[str] = []
    real_op = inbound_limits._op
    monkeypatch.setattr(inbound_limits, "_op", lambda key, *a: asked.append(key) or real_op(key, *a))
    refused = send(client, body_for(3), secret="whsec_wrong", address="192.0.2.3")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert not [key for key in asked if ":scan:" in key]

    clock[0] += 3600  # the pool has refilled
    assert send(client, body_for(4), secret="whsec_wrong", address="192.0.2.4").status_code == 401
    assert [key for key in asked if key.endswith(":unproven")]
