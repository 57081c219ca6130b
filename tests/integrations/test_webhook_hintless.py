"""The seeds' hint-less route /<provider>/webhooks (integrations/services/webhook_sources.py): the
work of finding the integration whose secret verifies is bounded per request, per client address
and per process; candidates are always the same ones; unverified bodies are stored truncated."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationStatus, WebhookEvent, WebhookStatus
from integrations.selectors import integration_is_hintless_candidate
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

ATTACKER, ATS = "203.0.113.9", "198.51.100.7"


def body_for(n: int | str = 1, pad: int = 0) -> bytes:
    payload = {
        "id": f"evt_{n}_{uuid.uuid4().hex[:6]}",
        "type": "candidate.created",
        "data": {"candidate_id": "c1"},
    }
    if pad:
        payload["pad"] = "x" * pad
    return json.dumps(payload).encode()


def send(
    client, body: bytes, secret: str = "whsec_test_secret", address: str = ATS, path: str = "/fake/webhooks"
):
    return client.post(
        path,
        data=body,
        content_type="application/json",
        headers={"X-Fake-Signature": "sha256=" + hmac_sha256_hex(secret, body)},
        REMOTE_ADDR=address,
    )


def test_a_body_over_the_hintless_limit_is_refused_before_any_secret_is_tried(client, settings):
    settings.WEBHOOK_HINTLESS_MAX_BODY_BYTES = 4096
    IntegrationFactory()
    response = send(client, body_for(pad=8000))
    assert response.status_code == 413
    assert "own webhook URL" in response.json()["error"]["message"]
    assert not WebhookEvent.objects.exists()


def test_the_same_integrations_are_candidates_every_time_oldest_first(client, settings):
    """More integrations than candidates: the oldest keep their place (Integration's default
    ordering, by environment, put 50 newer production ones first and dropped it)."""
    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 5
    oldest = IntegrationFactory(environment="sandbox", webhook_secrets=[{"secret": "whsec_oldest"}])
    for n in range(6):
        IntegrationFactory(environment="production", webhook_secrets=[{"secret": f"whsec_{n}"}])
    newest = IntegrationFactory(environment="production", webhook_secrets=[{"secret": "whsec_newest"}])
    assert send(client, body_for(1), secret="whsec_oldest").status_code == 200
    assert WebhookEvent.objects.get(status=WebhookStatus.VERIFIED).integration == oldest
    rejected = send(client, body_for(2), secret="whsec_newest")
    assert rejected.status_code == 401
    assert "must use their own webhook URL" in rejected.json()["error"]["message"]
    assert not newest.webhook_events.exists()


def test_candidates_are_the_oldest_by_id_whatever_order_the_database_stores_them_in(client, settings):
    """The issue's defect: `[:50]` with no ORDER BY took whatever rows the database returned
    first. Rows inserted newest id first sit in that order in PostgreSQL's heap (SQLite stores by
    rowid, the id), so an unordered query there picks the newest: the ids decide, not the storage."""
    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 2
    base = 7_300_000  # explicit ids far above any sequence's, inserted in descending order
    for n in (3, 2, 1):
        IntegrationFactory(pk=base + n, webhook_secrets=[{"secret": f"whsec_{n}"}])
    assert send(client, body_for(1), secret="whsec_1").status_code == 200
    assert send(client, body_for(2), secret="whsec_2").status_code == 200
    rejected = send(client, body_for(3), secret="whsec_3")
    assert rejected.status_code == 401
    assert "must use their own webhook URL" in rejected.json()["error"]["message"]
    verified = WebhookEvent.objects.filter(status=WebhookStatus.VERIFIED)
    assert sorted(verified.values_list("integration_id", flat=True)) == [base + 1, base + 2]


def test_the_candidate_selector_says_which_integrations_the_shared_route_can_match(client, settings):
    """integration_is_hintless_candidate (what the integration's page asks) agrees with the route:
    a signed delivery on the shared URL is accepted exactly for the integrations it names, and a
    disconnected older integration gives its place to the next one."""
    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 2
    first, second, third = (IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}]) for n in range(3))

    def matched() -> list[bool]:
        return [
            send(client, body_for(f"{n}-{uuid.uuid4().hex}"), secret=f"whsec_{n}").status_code == 200
            for n in range(3)
        ]

    def candidates() -> list[bool]:
        return [integration_is_hintless_candidate(integration=i, limit=2) for i in (first, second, third)]

    assert candidates() == matched() == [True, True, False]
    second.status = IntegrationStatus.DISCONNECTED
    second.save()
    assert candidates() == [True, False, True]
    assert matched() == [True, False, True]


def test_unverified_bodies_are_stored_truncated_with_the_digest_of_the_whole(client, settings):
    settings.WEBHOOK_REJECTED_BODY_BYTES = 1024
    integration = IntegrationFactory()
    body = body_for(pad=50_000)
    response = client.post(
        f"/webhooks/fake/{integration.public_id}/",
        data=body,
        content_type="application/json",
        headers={"X-Fake-Signature": "sha256=" + "0" * 64},
    )
    assert response.status_code == 401
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == body[:1024]
    assert hashlib.sha256(body).hexdigest() in event.rejection_reason
    assert f"of {len(body)} bytes" in event.rejection_reason


def test_signed_but_malformed_bodies_are_kept_whole(client, settings):
    settings.WEBHOOK_REJECTED_BODY_BYTES = 16
    integration = IntegrationFactory()
    body = b'{"no_type": true, "pad": "' + b"y" * 100 + b'"}'
    send(client, body, path=f"/webhooks/fake/{integration.public_id}/")
    assert bytes(WebhookEvent.objects.get().body) == body


def test_junk_from_one_address_spends_its_scan_budget_not_the_servers(client, settings):
    """Each unmatched scan costs CPU, charged to the sender's address; once spent, the route
    answers 429 at once and stores nothing. Another address is not affected."""
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1e-9, "burst": 1e-6},
        "unproven": {"per_second": 1000, "burst": 1000},
    }
    for n in range(5):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    statuses = [
        send(client, body_for(n), secret="whsec_wrong", address=ATTACKER).status_code for n in range(6)
    ]
    assert statuses[0] == 401 and set(statuses[1:]) == {429}
    assert WebhookEvent.objects.count() == 1
    assert send(client, body_for(9), secret="whsec_3", address=ATS).status_code == 200


def test_past_the_scan_budget_junk_is_refused_before_its_body_is_read(client, settings, monkeypatch):
    """The 429 is decided from the address and headers in the inbound guard, before any view reads
    the body (junk just under the route's limit was read and copied for nothing: benchmarks
    section 7); an address that has verified, and a delivery naming its integration, still get in."""
    from integrations.views import WebhookReceiveView

    integrations = [IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}]) for n in range(3)]
    assert send(client, body_for(1), secret="whsec_2", address=ATS).status_code == 200  # remembered
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1e-9, "burst": 1e-6},
        "unproven": {"per_second": 1e-9, "burst": 1e-6},
    }
    assert send(client, body_for(2), secret="whsec_wrong", address=ATTACKER).status_code == 401  # scanned
    real_post = WebhookReceiveView.post
    reached: list[str] = []

    def post(self, request, *args, **kwargs):
        reached.append(request.path)
        return real_post(self, request, *args, **kwargs)

    monkeypatch.setattr(WebhookReceiveView, "post", post)

    refused = send(client, body_for(3, pad=2000), secret="whsec_wrong", address=ATTACKER)

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    assert reached == [], "the view (which reads the body) never ran"
    assert send(client, body_for(4), secret="whsec_2", address=ATS).status_code == 200
    named = client.post(
        "/fake/webhooks",
        data=(body := body_for(5)),
        content_type="application/json",
        headers={
            "X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_0", body),
            "X-JobCannon-Integration": str(integrations[0].public_id),
        },
        REMOTE_ADDR=ATTACKER,
    )
    assert named.status_code == 200
    assert len(reached) == 2


def test_a_known_sender_is_tried_first_and_not_stopped_by_its_addresses_scan_budget(client, settings):
    """An ATS sends for many customers from a few addresses: one customer's wrong secret spends
    the address's scan budget, the integrations that address already proved still get through."""
    for n in range(5):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    assert send(client, body_for(1), secret="whsec_4", address=ATS).status_code == 200  # remembered
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1e-9, "burst": 1e-6},
        "unproven": {"per_second": 1e-9, "burst": 1e-6},
        "proven": {"per_second": 1e-9, "burst": 1e-6},
    }
    for n in range(3):
        send(client, body_for(n), secret="whsec_misconfigured", address=ATS)
    assert send(client, body_for(2), secret="whsec_4", address=ATS).status_code == 200
    assert send(client, body_for(3), secret="whsec_2", address=ATS).status_code == 429  # not yet proved


def test_junk_from_many_addresses_cannot_lock_out_a_sender_that_has_verified(client, settings):
    """Junk from addresses that never verified (a fresh one per request) empties the provider's
    unproven pool and is answered 429; an ATS that has verified from its address scans from the
    proven pool, so its next new customer's delivery still gets through, and so does the
    customer it sent for before."""
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1000, "burst": 1000},
        "unproven": {"per_second": 1e-6, "burst": 0.2},  # the default burst, without the refill
    }
    for n in range(20):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    assert send(client, body_for("first"), secret="whsec_19", address=ATS).status_code == 200
    statuses = []
    for n in range(300):
        junk = send(client, body_for(n, pad=12_000), secret="whsec_wrong", address=f"192.0.2.{n % 250 + 1}")
        statuses.append(junk.status_code)
        if junk.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, "the junk spent the unproven pool"
    assert send(client, body_for("new"), secret="whsec_7", address=ATS).status_code == 200
    assert send(client, body_for("again"), secret="whsec_19", address=ATS).status_code == 200


def test_junk_from_many_addresses_cannot_lock_out_a_signed_delivery_from_a_new_address(client):
    """Issue 21, "a failing caller must not lock out a verified one": with the default budgets,
    junk from random addresses (large and small bodies) spends the unproven pool, yet a correctly
    signed delivery from an address never seen before (an ATS's first delivery, a new egress
    address) is accepted: a small body scans from its own lane. It was answered 429 for as long
    as the junk lasted, and Ashby gives up after 10 retries, Lever after 5."""
    for n in range(50):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    large, small, signed = [], [], []
    for n in range(160):
        address = f"203.0.{n}.9"  # every request from another network, as random addresses are
        if n % 2:
            small.append(
                send(client, body_for(n, pad=2_000), secret="whsec_wrong", address=address).status_code
            )
        else:
            large.append(
                send(client, body_for(n, pad=12_000), secret="whsec_wrong", address=address).status_code
            )
        if n % 20 == 19:
            fresh = f"198.51.100.{n // 20 + 1}"
            signed.append(
                send(client, body_for(f"real{n}"), secret=f"whsec_{n % 50}", address=fresh).status_code
            )
    assert 429 in large, "large junk is still bounded by the unproven pool"
    assert set(small) == {401}
    assert signed == [200] * 8


def test_the_small_body_lane_is_bounded_and_only_for_small_bodies(client, settings):
    """Small bodies scan from their own pool while it lasts, then from the address's pool like any
    other body; a large body never scans from the small pool. So junk beyond the small pool's
    rate is still refused 429 before any secret is tried."""
    tiny = {"per_second": 1e-9, "burst": 1e-6}
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1000, "burst": 1000},
        "small": {"per_second": 1000, "burst": 1000},
        "unproven": tiny,
    }
    for n in range(5):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    large = [
        send(client, body_for(n, pad=12_000), secret="whsec_wrong", address=f"192.0.2.{n + 1}").status_code
        for n in range(3)
    ]
    assert large == [401, 429, 429]
    assert send(client, body_for("small"), secret="whsec_wrong", address="192.0.2.9").status_code == 401
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {**settings.WEBHOOK_HINTLESS_SCAN_BUDGET, "small": tiny}
    small = [
        send(client, body_for(n), secret="whsec_wrong", address=f"192.0.2.{n + 20}").status_code
        for n in range(3)
    ]
    assert small == [401, 429, 429]


def test_one_request_stops_trying_secrets_at_its_time_limit(client, settings):
    settings.WEBHOOK_HINTLESS_SCAN_SECONDS = 0.0
    for n in range(4):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    response = send(client, body_for(), secret="whsec_wrong")
    assert response.status_code == 401
    assert "Stopped after trying 1 of 4" in response.json()["error"]["message"]


def test_a_large_knit_body_on_the_seed_route_is_refused_cheaply(client, settings):
    """The reported case: 1 MiB on /knit/webhooks with many Knit integrations cost ~7 s of CPU
    (HMAC, then a JSON re-serialisation, per integration)."""
    import time

    for n in range(20):
        IntegrationFactory(provider="knit", credentials={"api_key": f"knit_key_{n}"})
    body = b'{"eventType": "record.new", "data": "' + b"z" * (1024 * 1024 - 64) + b'"}'
    started = time.thread_time()
    response = client.post(
        "/knit/webhooks", data=body, content_type="application/json", headers={"X-Knit-Signature": "AAAA"}
    )
    assert response.status_code == 413
    assert time.thread_time() - started < 0.5


def test_the_guard_refuses_a_large_hintless_body_before_reading_it(client, settings):
    """Content-Length decides, so junk is not even read (nor scanned for its JSON depth)."""
    settings.WEBHOOK_HINTLESS_MAX_BODY_BYTES = 4096
    integration = IntegrationFactory()
    body = body_for(pad=8000)
    refused = send(client, body)
    assert refused.status_code == 413 and "the limit is 4096 bytes" in refused.json()["error"]["message"]
    named = client.post(
        "/fake/webhooks",
        data=body,
        content_type="application/json",
        headers={
            "X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body),
            "X-JobCannon-Integration": str(integration.public_id),
        },
    )
    assert named.status_code == 200, "a delivery that names its integration keeps the full limit"


def test_knit_parses_a_hintless_body_once_however_many_integrations_are_tried(client, monkeypatch):
    """Knit's fallback signature is over the re-serialised JSON: it is derived from the body once
    per request, not once per candidate integration (each parse of a 256 KiB body is milliseconds)."""
    from integrations.providers.knit import webhooks as knit_webhooks

    for n in range(5):
        IntegrationFactory(provider="knit", credentials={"api_key": f"knit_key_{n}"})
    parses: list[object] = []
    real = knit_webhooks.js_stringify
    monkeypatch.setattr(knit_webhooks, "js_stringify", lambda value: parses.append(value) or real(value))
    body = b'{"eventType":"record.new", "eventId": "e1", "data": {"n": 1.0}}'
    response = client.post(
        "/knit/webhooks", data=body, content_type="application/json", headers={"X-Knit-Signature": "AAAA"}
    )
    assert response.status_code == 401
    assert len(parses) == 1
    signed = knit_webhooks.sign("knit_key_4", real(json.loads(body)))
    parses.clear()
    response = client.post(
        "/knit/webhooks", data=body, content_type="application/json", headers={"X-Knit-Signature": signed}
    )
    assert response.status_code == 200, response.content
    assert len(parses) == 1


def test_a_small_body_flood_from_one_network_cannot_empty_the_small_lane_for_everyone(
    client, settings, monkeypatch
):
    """The audit's lock-out: small junk (under WEBHOOK_HINTLESS_SMALL_BODY_BYTES) scanned from one
    provider-wide "small" pool charged its HMAC time only, so junk from many addresses faster than
    the pool's refill emptied it, and correctly signed deliveries from new addresses got 429 (11 of
    the last 13 after ~6000 requests at ~900 req/s). With the default budgets and the limiter's
    clock held still (nothing refills: any rate is past the refill), junk from the addresses of one
    /24 spends that network's share of the lane and then the unproven pool, and is answered 429;
    a correctly signed delivery from a new address in another network is still found."""
    from integrations.services import inbound_limits

    settings.RATE_LIMIT_BACKEND = "memory"  # this process's buckets, on the clock the test holds
    monkeypatch.setattr(inbound_limits, "_clock", lambda: 1000.0)
    for n in range(50):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    flood = []
    # Before the fix none of these was refused: the flood scanned from the provider's whole small
    # pool (1.5 s of CPU at ~0.3 ms a scan), and once it was spent so was everyone's lane.
    for n in range(400):
        junk = send(client, body_for(n, pad=7_000), secret="whsec_wrong", address=f"192.0.2.{n % 250 + 1}")
        flood.append(junk.status_code)
        if junk.status_code == 429:
            break
    assert flood[-1] == 429 and set(flood[:-1]) == {401}, "refused once its network's share is spent"
    refused = send(client, body_for("more"), secret="whsec_wrong", address="192.0.2.251")
    assert refused.status_code == 429, "a fresh address in the flood's network is refused too"

    signed = send(client, body_for("real", pad=1_000), secret="whsec_49", address="198.51.100.77")
    assert signed.status_code == 200
    assert WebhookEvent.objects.filter(status=WebhookStatus.VERIFIED).count() == 1


def test_a_hintless_body_over_the_limit_is_refused_without_reading_a_byte_of_it(
    client, settings, monkeypatch
):
    """Its Content-Length decides: 413 before the body is read (or scanned for depth). An earlier
    guard answered 413 too, but only after reading all of it (5453025's before-fix check)."""
    from django.test import client as test_client

    settings.WEBHOOK_HINTLESS_MAX_BODY_BYTES = 4096
    IntegrationFactory()
    read: list[int] = []
    real_read = test_client.FakePayload.read

    def counting_read(self, *args, **kwargs):
        chunk = real_read(self, *args, **kwargs)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(test_client.FakePayload, "read", counting_read)
    refused = send(client, body_for(pad=8000))
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"
    assert sum(read) == 0, f"{sum(read)} bytes of the body were read"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x8f\x02junk" * 100, "not a JSON object"),
        (b'["a", "list"]', "not a JSON object"),
        (b'{"action": "applicationSubmit", "data": ', "not valid JSON"),
        (b"  " + b"[" * 5000 + b"]" * 5000, "not a JSON object"),
    ],
)
def test_a_body_no_vendor_could_send_is_refused_before_any_secret_is_tried(client, monkeypatch, body, reason):
    """Issue 21's "cheap pre-check": every vendor delivers one JSON object, so random bytes, a JSON
    list or broken JSON on the shared route cost no HMAC at all (and say why); a JSON object is
    still tried against every candidate, and a signed one found."""
    from tests.fakes.ats_provider.provider import FakeProvider

    for n in range(3):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    tried: list[int] = []
    real = FakeProvider.verify_webhook
    monkeypatch.setattr(
        FakeProvider, "verify_webhook", lambda self, i, r, s: tried.append(i.pk) or real(self, i, r, s)
    )
    response = send(client, body, address=ATTACKER)
    assert response.status_code == 401
    assert reason in response.json()["error"]["message"]
    assert tried == []
    assert WebhookEvent.objects.get(status=WebhookStatus.REJECTED).body[:8] == body[:8]
    assert send(client, body_for(1), secret="whsec_2").status_code == 200
    assert len(tried) == 3


def test_bodies_refused_by_the_pre_check_still_spend_the_scan_budgets(client, settings):
    """The pre-check saves the HMACs, not the budgets: a flood of large non-JSON junk from many
    addresses is charged like scanned junk (the lane's overhead), so it empties the unproven pool
    and is then answered 429 before its body is read. Without the charge every such request was
    read and answered 401 for as long as the flood lasted (benchmarks section 7, 16 KiB random:
    0.83 of the deliveries' rate instead of 0.93)."""
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        **settings.WEBHOOK_HINTLESS_SCAN_BUDGET,
        "unproven": {"per_second": 1e-9, "burst": 0.03},
    }
    for n in range(5):
        IntegrationFactory(webhook_secrets=[{"secret": f"whsec_{n}"}])
    junk = b"\x8f" * 12_000
    answers = [send(client, junk, address=f"203.0.{n}.9").status_code for n in range(8)]
    assert answers[0] == 401 and 429 in answers, answers
    assert send(client, body_for(1), secret="whsec_4", address="198.51.100.7").status_code == 200
