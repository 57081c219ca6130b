"""Seed 004 Common Errors: "Webhook signature validation failed", for both signature schemes,
plus dedupe and the seed's /lever/webhooks path."""

import json

import pytest
from django.urls import reverse

from integrations.base import InboundRequest
from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.lever import webhooks
from integrations.services.webhooks import webhook_event_process

from .helpers import SECRET, fixture, fixture_payload, lever_integration, post, sign_real, sign_seed

pytestmark = pytest.mark.django_db


def stored(integration) -> WebhookEvent:
    return WebhookEvent.objects.filter(integration=integration).order_by("-id").first()


# -- seed 004: X-Lever-Signature over the raw body ----------------------------------------------


def test_seed_signed_webhook_is_accepted(client):
    integration = lever_integration()
    body = fixture("application.created")
    response = post(client, integration, body, sign_seed(body))
    assert response.status_code == 200
    event = stored(integration)
    assert event.status == WebhookStatus.VERIFIED and event.signature_scheme == "lever-x-signature"
    assert event.event_type == "application.created"


def test_seed_signature_with_sha256_prefix_is_accepted(client):
    integration = lever_integration()
    body = fixture("opportunity.created")
    response = post(
        client, integration, body, {"X-Lever-Signature": "sha256=" + sign_seed(body)["X-Lever-Signature"]}
    )
    assert response.status_code == 200


def test_seed_signature_with_wrong_secret_is_rejected_with_the_seeds_explanation(client):
    integration = lever_integration()
    body = fixture("application.created")
    response = post(client, integration, body, sign_seed(body, "whsec_someone_else"))
    assert response.status_code == 401
    reason = stored(integration).rejection_reason
    assert reason.startswith("Webhook signature validation failed")
    assert "matches the value in Lever settings" in reason and "not modified before validation" in reason
    assert response.json()["error"]["message"] == reason


def test_seed_signature_over_a_modified_payload_is_rejected(client):
    integration = lever_integration()
    body = fixture("application.created")
    headers = sign_seed(body)
    modified = body.replace(b'"application.created"', b'"application.created" ')
    response = post(client, integration, modified, headers)
    assert response.status_code == 401
    assert stored(integration).status == WebhookStatus.REJECTED


def test_header_signature_is_checked_even_when_the_body_carries_a_valid_one(client):
    """A wrong X-Lever-Signature is never rescued by the weaker in-body scheme."""
    integration = lever_integration()
    body = sign_real(fixture_payload("candidateStageChange"))
    response = post(client, integration, body, {"X-Lever-Signature": "0" * 64})
    assert response.status_code == 401


def test_webhook_without_any_signature_names_both_schemes(client):
    integration = lever_integration()
    body = fixture("application.created")
    response = post(client, integration, body)
    assert response.status_code == 401
    reason = stored(integration).rejection_reason
    assert "X-Lever-Signature" in reason and "signature/token/triggeredAt" in reason


# -- real Lever: HMAC-SHA256(signatureToken, token + triggeredAt) in the body ---------------------


def test_real_lever_body_signature_is_accepted(client):
    integration = lever_integration()
    body = sign_real(fixture_payload("candidateStageChange"))
    response = post(client, integration, body)
    assert response.status_code == 200
    event = stored(integration)
    assert event.signature_scheme == "lever-body-token" and event.event_type == "candidateStageChange"


def test_real_lever_signature_matches_lever_documented_algorithm():
    # LD: plainText = body.token + body.triggeredAt; hmac sha256 hex with the signature token.
    import hashlib
    import hmac

    token, triggered = "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154", 1431454330072
    signature = hmac.new(b"sig-token", f"{token}{triggered}".encode(), hashlib.sha256).hexdigest()
    body = json.dumps(
        {
            "event": "candidateStageChange",
            "token": token,
            "triggeredAt": triggered,
            "signature": signature,
            "data": {},
        }
    ).encode()
    request = InboundRequest(body=body, headers={}, query={})
    assert webhooks.verify(request, ["sig-token"], now=triggered / 1000 + 1).ok
    assert not webhooks.verify(request, ["other-token"], now=triggered / 1000 + 1).ok


def test_real_lever_signature_with_wrong_token_is_rejected(client):
    integration = lever_integration()
    body = sign_real(fixture_payload("candidateStageChange"), "not-our-token")
    response = post(client, integration, body)
    assert response.status_code == 401
    assert "token + triggeredAt" in stored(integration).rejection_reason


def test_real_lever_delivery_older_than_levers_resend_window_is_rejected_with_reason(client):
    integration = lever_integration()
    body = sign_real(fixture_payload("candidateStageChange"), age_seconds=15 * 86400)
    response = post(client, integration, body)
    assert response.status_code == 401
    reason = stored(integration).rejection_reason
    assert "stale timestamp" in reason and "at most 14 days" in reason and "not a Lever retry" in reason


def test_real_lever_timestamp_far_in_the_future_is_rejected(client):
    integration = lever_integration()
    body = sign_real(fixture_payload("candidateStageChange"), age_seconds=-10 * 60)
    response = post(client, integration, body)
    assert response.status_code == 401
    assert "in the future" in stored(integration).rejection_reason


def test_real_lever_delivery_hours_old_is_accepted_as_a_retry(client):
    """Lever's retries keep the original triggeredAt: hours later is still a retry."""
    integration = lever_integration()
    body = sign_real(fixture_payload("candidateStageChange"), age_seconds=6 * 3600)
    assert post(client, integration, body).status_code == 200


def test_recorded_fixture_is_stale_and_rejected_without_header(client):
    """Raw fixtures carry Lever's original triggeredAt: replaying them later must fail."""
    integration = lever_integration(
        webhook_secrets=[{"secret": "whsec_contract_test_secret_0001", "created_at": "x"}]
    )
    response = post(client, integration, fixture("candidateStageChange"))
    assert response.status_code == 401
    assert "stale timestamp" in stored(integration).rejection_reason


def test_every_secret_during_rotation_verifies_both_schemes(client):
    integration = lever_integration(
        webhook_secrets=[
            {"secret": "whsec_newest", "created_at": "2026-03-01T00:00:00+00:00"},
            {
                "secret": "lever-signature-token",
                "created_at": "2026-02-01T00:00:00+00:00",
                "source": "Lever webhook",
            },
            {"secret": SECRET, "created_at": "2026-01-01T00:00:00+00:00"},
        ]
    )
    seed_body = fixture("application.created")
    assert post(client, integration, seed_body, sign_seed(seed_body, SECRET)).status_code == 200
    real_body = sign_real(fixture_payload("candidateStageChange"), "lever-signature-token")
    assert post(client, integration, real_body).status_code == 200


def test_integration_without_secret_rejects_with_reason(client):
    integration = lever_integration(webhook_secrets=[])
    body = fixture("application.created")
    assert post(client, integration, body, sign_seed(body)).status_code == 401
    assert "no webhook secret" in stored(integration).rejection_reason


# -- dedupe --------------------------------------------------------------------------------------


def test_redelivery_with_same_event_id_is_a_duplicate(client):
    integration = lever_integration()
    body = fixture("application.created")
    post(client, integration, body, sign_seed(body))
    post(client, integration, body, sign_seed(body))
    statuses = list(
        WebhookEvent.objects.filter(integration=integration).order_by("id").values_list("status", flat=True)
    )
    assert statuses == [WebhookStatus.VERIFIED, WebhookStatus.DUPLICATE]


def test_event_without_id_is_deduped_on_the_signed_token(client):
    integration = lever_integration()
    payload = fixture_payload("candidateStageChange__without_id")
    first = sign_real(payload, token="a" * 48)
    post(client, integration, first)
    post(client, integration, first)
    events = list(WebhookEvent.objects.filter(integration=integration).order_by("id"))
    assert [e.status for e in events] == [WebhookStatus.VERIFIED, WebhookStatus.DUPLICATE]
    assert events[0].external_id == "token:" + "a" * 48


def test_body_without_event_is_rejected_as_malformed(client):
    integration = lever_integration()
    body = b'{"id": "x", "data": {}}'
    response = post(client, integration, body, sign_seed(body))
    assert response.status_code == 400
    assert "not a valid Lever event" in stored(integration).rejection_reason


# -- routing -------------------------------------------------------------------------------------


def test_seed_path_finds_the_integration_by_whose_secret_verifies(client):
    lever_integration(webhook_secrets=[{"secret": "whsec_other_customer", "created_at": "x"}])
    mine = lever_integration()
    body = fixture("application.created")
    response = client.post(
        reverse("integrations:webhook-seed", args=["lever"]),
        data=body,
        content_type="application/json",
        headers=sign_seed(body),
    )
    assert response.status_code == 200
    assert stored(mine).status == WebhookStatus.VERIFIED


def test_ignored_lever_events_are_answered_and_marked_ignored(client):
    integration = lever_integration()
    for name in ("contactUpdated", "interviewCreated"):
        body = json.dumps({"id": f"evt-{name}", "event": name, "data": {"contactId": "contact-1"}}).encode()
        assert post(client, integration, body, sign_seed(body)).status_code == 200
        event = stored(integration)
        webhook_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert event.status == WebhookStatus.IGNORED


def test_hired_and_archive_events_are_processed_to_refresh_the_synced_copy(client):
    """No assessment is sent, but the synced opportunity changed: the handlers queue its re-read
    (tests/integrations/sync/test_lever_sync.py follows it through)."""
    integration = lever_integration()
    for name in ("candidateHired", "candidateArchiveChange"):
        body = fixture(name)
        assert post(client, integration, body, sign_seed(body)).status_code == 200
        event = stored(integration)
        webhook_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert event.status == WebhookStatus.PROCESSED, event.error


def test_application_created_without_auto_rules_makes_no_lever_call(client, mocked_responses):
    integration = lever_integration()
    body = fixture("application.created")
    post(client, integration, body, sign_seed(body))
    event = stored(integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED
    assert len(mocked_responses.calls) == 0
