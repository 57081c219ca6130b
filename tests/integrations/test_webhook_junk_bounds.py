"""What junk on the webhook routes costs us (issue 21, benchmarks section 7).

- The JSON depth check runs only on a body whose signature verified, just before it is parsed:
  unsigned junk is never scanned (it cost ~1.8 ms per 64 KiB of `[]` pairs in the inbound guard,
  before anything was verified). Knit and Lever read the JSON body to verify: that read is
  bounded, so a deep body is a clean 401, never a RecursionError.
- One log line per refused delivery: the intake's own (or, for the scan budget's 429, only the
  access line), never Django's "Unauthorized" / "Too Many Requests" warning on top.
- The full WEBHOOK_MAX_BODY_BYTES only for a hint that names a connected integration; any other
  hint gets the hint-less route's limit, refused from Content-Length before the body is read."""

from __future__ import annotations

import logging
import uuid
from unittest import mock

import pytest

from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationStatus, WebhookEvent, WebhookStatus
from jobcannon.core import jsondepth
from tests.factories import IntegrationFactory

# Modules, not their Test* classes: a class imported here would be collected and run again.
from tests.integrations.providers.knit import test_contract as knit_contract
from tests.integrations.providers.lever import test_contract as lever_contract

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"  # the fake provider's factory secret
DEEP = b"[" * 7_000 + b"]" * 7_000  # deeper than Python's recursion limit, under the hint-less 16 KiB
BRACKETS = b"[]" * 7_000  # the benchmark's bracket junk: many brackets, never deep


def post(client, path: str, body: bytes, headers: dict[str, str] | None = None, **extra):
    return client.post(path, data=body, content_type="application/json", headers=headers or {}, **extra)


def fake_signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Fake-Signature": "sha256=" + hmac_sha256_hex(secret, body)}


@pytest.fixture
def depth_calls():
    """Every call of the depth check, wherever it runs (the guard or the intake)."""
    calls: list[int] = []
    real = jsondepth.json_too_deep

    def counting(body: bytes) -> bool:
        calls.append(len(body))
        return real(body)

    with (
        mock.patch("integrations.middleware.json_too_deep", counting),
        mock.patch("integrations.services.webhook_intake.json_too_deep", counting, create=True),
    ):
        yield calls


# --- the depth check runs after verification -----------------------------------------------------


@pytest.mark.parametrize("junk", [DEEP, BRACKETS], ids=["deep", "brackets"])
def test_unsigned_junk_to_the_webhook_routes_is_never_depth_scanned(client, depth_calls, junk):
    integration = IntegrationFactory()
    wrong = fake_signed(junk, secret="whsec_wrong")
    for path in (
        f"/webhooks/fake/{integration.public_id}/",
        f"/webhooks/fake/{uuid.uuid4()}/",
    ):
        assert post(client, path, junk, wrong).status_code == 401, path
    assert post(client, "/fake/webhooks", junk, wrong).status_code == 401
    assert depth_calls == []


def test_a_signed_deep_body_is_refused_400_and_kept_with_its_reason(client, depth_calls):
    integration = IntegrationFactory()
    response = post(client, f"/webhooks/fake/{integration.public_id}/", DEEP, fake_signed(DEEP))
    assert response.status_code == 400
    assert "nested more than" in response.json()["error"]["message"]
    event = WebhookEvent.objects.get()
    assert event.verified and event.status == WebhookStatus.REJECTED
    assert "nested more than 200 levels" in event.rejection_reason
    assert depth_calls == [len(DEEP)]


def test_a_signed_body_just_under_the_depth_limit_is_accepted(client):
    integration = IntegrationFactory()
    body = b'{"id": "evt_deepish", "type": "candidate.created", "data": ' + b"[" * 150 + b"]" * 150 + b"}"
    assert (
        post(client, f"/webhooks/fake/{integration.public_id}/", body, fake_signed(body)).status_code == 200
    )


def test_knit_unsigned_deep_body_is_a_clean_401(client):
    """Knit verifies the re-serialised body as a fallback (its Node example signs
    JSON.stringify(req.body)): that parse of a deep body is bounded, not a RecursionError."""
    contract = knit_contract.TestKnitProviderContract()
    integration = contract.make_integration()
    wrong = contract.sign(DEEP, "not-the-knit-key")
    response = contract.post_webhook(client, integration, DEEP, wrong)
    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == WebhookStatus.REJECTED


def test_knit_signed_deep_body_is_refused_400(client):
    contract = knit_contract.TestKnitProviderContract()
    integration = contract.make_integration()
    response = contract.post_webhook(client, integration, DEEP, contract.sign(DEEP, contract.test_secret))
    assert response.status_code == 400
    assert "nested more than" in WebhookEvent.objects.get().rejection_reason


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        # Valid JSON with Lever's in-body signature fields and a deep `data`: parsed to verify.
        b'{"token": "t", "triggeredAt": 1767225600000, "signature": "00", "data": '
        + b"[" * 5_000
        + b"]" * 5_000
        + b"}",
    ],
    ids=["deep", "deep-data"],
)
def test_lever_unsigned_deep_body_is_a_clean_401(client, body):
    """Without X-Lever-Signature, Lever's scheme reads the signature from the JSON body."""
    contract = lever_contract.TestLeverContract()
    integration = contract.make_integration()
    response = contract.post_webhook(client, integration, body, {})
    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == WebhookStatus.REJECTED


def test_lever_signed_deep_body_is_refused_400(client):
    contract = lever_contract.TestLeverContract()
    integration = contract.make_integration()
    response = contract.post_webhook(client, integration, DEEP, contract.sign(DEEP, contract.test_secret))
    assert response.status_code == 400
    assert "nested more than" in WebhookEvent.objects.get().rejection_reason


def test_partner_calls_are_still_depth_checked_by_the_guard(client, depth_calls):
    """Partner API calls keep the guard's check (DRF parses the body before the view runs)."""
    response = client.post(
        "/partners/ashby/assessment.start",
        data=DEEP,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer x",
    )
    assert response.status_code != 500
    assert depth_calls == [len(DEEP)]


# --- one log line per refused delivery ------------------------------------------------------------


def _lines(caplog, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


def test_a_scan_budget_429_writes_only_the_access_line(client, settings, caplog):
    settings.WEBHOOK_HINTLESS_SCAN_BUDGET = {
        "per_source": {"per_second": 1e-9, "burst": 1e-6},
        "unproven": {"per_second": 1e-9, "burst": 1e-6},
    }
    IntegrationFactory()
    wrong = fake_signed(b"{}", secret="whsec_wrong")
    assert post(client, "/fake/webhooks", b"{}", wrong).status_code == 401  # scanned: the budget is spent
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    response = post(client, "/fake/webhooks", b"{}", wrong)
    assert response.status_code == 429
    assert _lines(caplog) == ["http.request"]
    scan = [r for r in caplog.records if r.getMessage() == "webhook.rate_limited"]
    assert [(r.levelno, r.budget) for r in scan] == [(logging.DEBUG, "scan")]


def test_a_failure_budget_429_is_logged_once_by_the_intake(client, settings, caplog):
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 1e-9, "burst": 1e-6}
    integration = IntegrationFactory()
    caplog.set_level(logging.DEBUG)
    response = post(client, f"/webhooks/fake/{integration.public_id}/", b"{}", {"X-Fake-Signature": "x"})
    assert response.status_code == 429
    assert _lines(caplog) == ["webhook.rate_limited", "http.request"]


def test_a_rejected_delivery_is_logged_once_by_the_intake(client, caplog):
    integration = IntegrationFactory()
    caplog.set_level(logging.DEBUG)
    response = post(client, f"/webhooks/fake/{integration.public_id}/", b"{}", {"X-Fake-Signature": "x"})
    assert response.status_code == 401
    assert _lines(caplog) == ["webhook.rejected", "http.request"]


def test_past_the_store_budget_a_rejected_delivery_writes_only_the_access_line(client, settings, caplog):
    settings.WEBHOOK_REJECTED_STORE_BUDGET = {"per_second": 1e-9, "burst": 1}
    integration = IntegrationFactory()
    url = f"/webhooks/fake/{integration.public_id}/"
    assert post(client, url, b"{}", {"X-Fake-Signature": "x"}).status_code == 401  # stored: the budget's one
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    response = post(client, url, b"{}", {"X-Fake-Signature": "y"})
    assert response.status_code == 401
    assert "Not kept in the webhook log" in response.json()["error"]["message"]
    assert _lines(caplog) == ["http.request"]
    rejected = [r for r in caplog.records if r.getMessage() == "webhook.rejected"]
    assert [(r.levelno, r.stored) for r in rejected] == [(logging.DEBUG, False)]


# --- the full body limit only for a connected integration ----------------------------------------

BIG = b'{"pad": "' + b"x" * (100 * 1024) + b'"}'  # over the hint-less limit (16 KiB), under 1 MiB


@pytest.mark.parametrize("hint", ["query", "header", "url"])
def test_a_hint_naming_no_integration_gets_the_hintless_body_limit(client, hint):
    IntegrationFactory()
    random_id = str(uuid.uuid4())
    path, headers = "/fake/webhooks", {"X-Fake-Signature": "x"}
    if hint == "query":
        path += f"?integration={random_id}"
    elif hint == "header":
        headers["X-JobCannon-Integration"] = random_id
    else:
        path = f"/webhooks/fake/{random_id}/"
    response = post(client, path, BIG, headers)
    assert response.status_code == 413
    assert response.json()["error"]["details"]["limit"] == 16 * 1024
    assert not WebhookEvent.objects.exists()


def test_a_disconnected_integration_gets_the_hintless_body_limit(client):
    integration = IntegrationFactory(status=IntegrationStatus.DISCONNECTED)
    response = post(client, f"/webhooks/fake/{integration.public_id}/", BIG, fake_signed(BIG))
    assert response.status_code == 413


@pytest.mark.parametrize("hint", ["query", "header", "url"])
def test_a_connected_integration_takes_the_full_body_limit(client, hint):
    integration = IntegrationFactory()
    body = b'{"id": "evt_big", "type": "candidate.created", "pad": "' + b"x" * (100 * 1024) + b'"}'
    path, headers = "/fake/webhooks", fake_signed(body)
    if hint == "query":
        path += f"?integration={integration.public_id}"
    elif hint == "header":
        headers["X-JobCannon-Integration"] = str(integration.public_id)
    else:
        path = f"/webhooks/fake/{integration.public_id}/"
    assert post(client, path, body, headers).status_code == 200
    assert WebhookEvent.objects.get().integration == integration


def test_large_bodies_to_made_up_ids_cost_no_query_once_the_providers_ids_are_read(
    client, settings, django_assert_num_queries
):
    """A flood of large bodies to random integration ids (benchmarks section 7, `1MiB[]@uuid`):
    the provider's ids are read once per WEBHOOK_INTEGRATION_CACHE_SECONDS, each made-up id is
    then refused 413 from a set lookup, and a real integration still takes the full limit."""
    from integrations.services import webhook_intake

    settings.WEBHOOK_INTEGRATION_CACHE_SECONDS = 60
    webhook_intake._known_ids.clear()
    webhook_intake._intake_cache.clear()
    integration = IntegrationFactory()
    body = b'{"id": "evt_big", "type": "candidate.created", "pad": "' + b"x" * (100 * 1024) + b'"}'
    assert (
        post(client, f"/webhooks/fake/{integration.public_id}/", body, fake_signed(body)).status_code == 200
    )
    with django_assert_num_queries(0):
        for _ in range(5):
            assert (
                post(client, f"/webhooks/fake/{uuid.uuid4()}/", BIG, {"X-Fake-Signature": "x"}).status_code
                == 413
            )
    webhook_intake._known_ids.clear()
    webhook_intake._intake_cache.clear()
