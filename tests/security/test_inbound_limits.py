"""Inbound rate limits are keyed on what a caller proves (a verified signature, an authenticated
partner key) or on its real address, never on a header it chose (integrations/services/
inbound_limits.py). A failing caller cannot lock out a verified one."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from integrations.base import hmac_sha256_hex
from integrations.models import WebhookEvent
from tests.factories import IntegrationFactory
from tests.integrations.providers.ashby.helpers import (
    ashby_integration,
    partner_answer,
    start_body,
    with_partner_key,
)

pytestmark = pytest.mark.django_db

ATTACKER, ATS = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def small_budgets(settings):
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0.001, "burst": 20}}
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 0.001, "burst": 20}


def signed_body() -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "candidate.created", "data": {}}).encode()
    return body, {"X-Fake-Signature": "sha256=" + hmac_sha256_hex("whsec_test_secret", body)}


def post(client, path: str, body: bytes = b"{}", headers=None, address: str = ATTACKER):
    return client.post(
        path, data=body, content_type="application/json", headers=headers or {}, REMOTE_ADDR=address
    )


def test_random_headers_do_not_buy_a_fresh_bucket(client, small_budgets):
    """Reported: 600 requests with random Authorization / X-JobCannon-Integration, no 429."""
    IntegrationFactory()
    statuses = [
        post(
            client,
            "/fake/webhooks",
            headers={"Authorization": f"Bearer {uuid.uuid4()}", "X-JobCannon-Integration": str(uuid.uuid4())},
        ).status_code
        for _ in range(40)
    ]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    assert WebhookEvent.objects.count() == 20, "refused requests are not stored"


def test_knowing_an_integrations_url_does_not_let_anyone_429_its_real_ats(client, small_budgets):
    integration = IntegrationFactory()
    url = f"/webhooks/fake/{integration.public_id}/"
    attacker = [post(client, url, address=ATTACKER).status_code for _ in range(30)]
    assert set(attacker[20:]) == {429}
    body, headers = signed_body()
    assert post(client, url, body, headers, address=ATS).status_code == 200


def test_a_failing_caller_does_not_lock_out_a_verified_one_from_the_same_address(client, small_budgets):
    """ATSs deliver for all their customers from a few addresses: one customer's wrong secret
    must not stop another's deliveries."""
    integration = IntegrationFactory()
    url = f"/webhooks/fake/{integration.public_id}/"
    for _ in range(25):
        post(client, url, address=ATS)
    body, headers = signed_body()
    assert post(client, url, body, headers, address=ATS).status_code == 200


def test_a_verified_sender_is_limited_to_its_own_budget_without_slowing_another(client, small_budgets):
    noisy, quiet = IntegrationFactory(), IntegrationFactory()
    statuses = []
    for _ in range(22):
        body, headers = signed_body()
        statuses.append(
            post(client, f"/webhooks/fake/{noisy.public_id}/", body, headers, address=ATS).status_code
        )
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429, 429]
    body, headers = signed_body()
    limited = post(client, f"/webhooks/fake/{noisy.public_id}/", body, headers, address=ATS)
    assert int(limited["Retry-After"]) >= 1 and limited.json()["error"]["code"] == "rate_limited"
    assert post(client, f"/webhooks/fake/{quiet.public_id}/", body, headers, address=ATS).status_code == 200


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_partner_calls_with_invented_keys_are_limited_by_address_not_by_key(client, small_budgets):
    integration = ashby_integration()
    key = with_partner_key(integration)
    path = "/partners/ashby/assessment.list"
    invented = [
        partner_answer(
            post(client, path, headers=_basic(f"jcash_{uuid.uuid4().hex[:12]}_guess"), address=ATTACKER)
        )
        for _ in range(25)
    ]
    # Ashby's partner spec lists no 401/429: refusals are told by errorInfo.code.
    assert invented[:20] == ["unauthenticated"] * 20 and set(invented[20:]) == {"rate_limit_exceeded"}
    assert partner_answer(post(client, path, headers=_basic(key), address=ATTACKER)) == "ok"


def test_authenticated_partner_calls_are_limited_per_integration(client, settings):
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0.001, "burst": 2}}
    integration = ashby_integration()
    key = with_partner_key(integration)
    path = f"/partners/ashby/{integration.public_id}/assessment.start"
    body = json.dumps(start_body()).encode()
    responses = [post(client, path, body, _basic(key), address=ATS) for _ in range(3)]
    # Ashby's partner spec lists no 429 for assessment.start: the limit is answered as its 422,
    # with Ashby's own code and Retry-After (integrations/providers/ashby/apis.py).
    assert [r.status_code for r in responses] == [200, 200, 422]
    assert responses[2].json()["errorInfo"]["code"] == "rate_limit_exceeded"
    assert int(responses[2]["Retry-After"]) >= 1
