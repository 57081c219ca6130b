"""SmartRecruiters webhook verification: the real v1 signature (reference test vector, timestamp
tolerance, key rotation), the seed's X-SmartRecruiters-Signature, the X-Hook-Secret handshake."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.base import InboundRequest
from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.smartrecruiters import constants, webhooks
from integrations.services.webhooks import webhook_event_process
from tests.factories import IntegrationFactory

FIXTURES = Path(__file__).parents[3] / "fixtures" / "smartrecruiters"
SECRET = "sr-secret-key-0001"

# Reference §2.4, from SRD /reference/subscriptionsgeneratesecretkey-1.
VECTOR_KEY = "HeBVky2bccvvkcXPimH8c"
VECTOR_HEADERS = {
    "smartrecruiters-timestamp": "1574080897",
    "event-id": "123",
    "event-name": "application.created",
    "event-version": "v201910",
    "link": "<http://smartrecruiters.com/endpoint>; rel=self",
}
VECTOR_BODY = b'{"job_id":"jid","candidate_id":"cid"}'
VECTOR_SIGNATURE = "v1=2e9291f10d44ca10204a4cd81b05d73b6a316b2b605d4e2e0e0b37b40198ce1f"


def vendor_headers(
    body: bytes, event: str, *, key: str = SECRET, event_id: str = "evt-1", ts: int | None = None
):
    headers = {
        "event-name": event,
        "event-id": event_id,
        "event-version": "v201910",  # the version SR reports (read-only; SRD signature example)
        "link": "<https://api.smartrecruiters.com/candidates/cand-1>; rel=self",
        "smartrecruiters-timestamp": str(int(time.time()) if ts is None else ts),
    }
    message = b".".join(
        [headers["smartrecruiters-timestamp"].encode(), body]
        + [headers[h].encode() for h in ("event-id", "event-name", "event-version", "link")]
    )
    headers["smartrecruiters-signature"] = "v1=" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return headers


def post(client, integration, body: bytes, headers: dict[str, str]):
    url = reverse("integrations:webhook", args=["smartrecruiters", integration.public_id])
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_v1_signature_matches_the_reference_test_vector():
    request = InboundRequest(body=VECTOR_BODY, headers=VECTOR_HEADERS, query={})
    assert webhooks.v1_signature(VECTOR_KEY, request) == VECTOR_SIGNATURE


def test_v1_verification_accepts_the_reference_vector_within_the_tolerance():
    headers = {**VECTOR_HEADERS, "smartrecruiters-signature": VECTOR_SIGNATURE}
    request = InboundRequest(body=VECTOR_BODY, headers=headers, query={})
    assert webhooks._verify_v1(request, ["another-key", VECTOR_KEY], now=1574080897 + 60).ok
    stale = webhooks._verify_v1(request, [VECTOR_KEY], now=1574080897 + 3600)
    assert not stale.ok and "Stale timestamp" in stale.reason


@pytest.mark.django_db
def test_v1_signed_delivery_is_acknowledged_with_202_and_deduped_on_event_id(client, sr_integration):
    body = (FIXTURES / "webhooks" / "application.status.updated.json").read_bytes()
    headers = vendor_headers(body, constants.EVENT_APPLICATION_STATUS_UPDATED, event_id="evt-dup-1")
    first = post(client, sr_integration, body, headers)
    again = post(client, sr_integration, body, headers)
    assert (first.status_code, again.status_code) == (202, 202)
    events = list(WebhookEvent.objects.filter(integration=sr_integration).order_by("id"))
    assert [e.status for e in events] == [WebhookStatus.VERIFIED, WebhookStatus.DUPLICATE]
    assert events[0].external_id == "evt-dup-1" and events[0].signature_scheme == "smartrecruiters-v1"
    webhook_event_process(event_id=events[0].pk)
    events[0].refresh_from_db()
    assert events[0].status == WebhookStatus.PROCESSED


@pytest.mark.django_db
def test_v1_delivery_with_stale_timestamp_is_rejected_with_the_reason(client, sr_integration):
    body = VECTOR_BODY
    headers = vendor_headers(body, "application.created", ts=int(time.time()) - 3600)
    response = post(client, sr_integration, body, headers)
    assert response.status_code == 401
    event = WebhookEvent.objects.get(integration=sr_integration)
    assert event.status == WebhookStatus.REJECTED and "Stale timestamp" in event.rejection_reason


@pytest.mark.django_db
def test_v1_delivery_with_changed_event_name_is_rejected(client, sr_integration):
    headers = vendor_headers(VECTOR_BODY, "application.created")
    headers["event-name"] = "candidate.deleted"
    response = post(client, sr_integration, VECTOR_BODY, headers)
    assert response.status_code == 401
    assert "does not match any secret key" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_v1_signature_with_one_segment_per_live_key_verifies_during_rotation(client, sr_integration):
    old = vendor_headers(VECTOR_BODY, "application.created", key="sr-previous-key")
    new = vendor_headers(
        VECTOR_BODY, "application.created", key=SECRET, ts=int(old["smartrecruiters-timestamp"])
    )
    headers = {
        **old,
        "smartrecruiters-signature": f"{old['smartrecruiters-signature']};{new['smartrecruiters-signature']}",
    }
    response = post(client, sr_integration, VECTOR_BODY, headers)
    assert response.status_code == 202
    event = WebhookEvent.objects.get(integration=sr_integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, "application.created refreshes the synced candidate"


@pytest.mark.django_db
def test_seed_signature_on_the_seed_path_with_the_integration_header_is_accepted(client, sr_integration):
    body = (FIXTURES / "webhooks" / "candidate.assessment.completed.json").read_bytes()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/smartrecruiters/webhooks",
        data=body,
        content_type="application/json",
        headers={
            "X-SmartRecruiters-Signature": signature,
            "X-Custom-Header": "JobCannon",
            "X-JobCannon-Integration": str(sr_integration.public_id),
        },
    )
    assert response.status_code == 202
    event = WebhookEvent.objects.get(integration=sr_integration)
    assert event.signature_scheme == "seed-hmac" and event.event_type == constants.EVENT_ASSESSMENT_COMPLETED


@pytest.mark.django_db
def test_seed_signature_without_integration_header_finds_the_integration_by_its_secret(
    client, sr_integration
):
    IntegrationFactory(provider="smartrecruiters", region="us")  # another customer, another secret
    body = (FIXTURES / "webhooks" / "candidate.assessment.completed.json").read_bytes()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/smartrecruiters/webhooks",
        data=body,
        content_type="application/json",
        headers={"X-SmartRecruiters-Signature": signature},
    )
    assert response.status_code == 202
    assert WebhookEvent.objects.get(verified=True).integration == sr_integration


@pytest.mark.django_db
def test_seed_signature_with_wrong_secret_names_the_seed_fix(client, sr_integration):
    body = (FIXTURES / "webhooks" / "candidate.assessment.completed.json").read_bytes()
    signature = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    response = post(client, sr_integration, body, {"X-SmartRecruiters-Signature": signature})
    assert response.status_code == 401
    reason = WebhookEvent.objects.get(integration=sr_integration).rejection_reason
    assert "Webhook signature validation failed" in reason and "webhook secret" in reason


@pytest.mark.django_db
def test_hook_secret_handshake_is_echoed_while_a_subscription_is_activating(client, sr_integration):
    until = (timezone.now() + timedelta(seconds=30)).isoformat()
    sr_integration.provider_settings = {
        "subscription": {"id": "sub-1", "status": "activating", "activating_until": until}
    }
    sr_integration.save()
    response = post(client, sr_integration, b"", {"X-Hook-Secret": "handshake-value-123"})
    assert response.status_code == 200
    assert response["X-Hook-Secret"] == "handshake-value-123"
    event = WebhookEvent.objects.get(integration=sr_integration)
    assert event.event_type == constants.EVENT_HANDSHAKE
    assert event.headers.get("X-Hook-Secret") == "[redacted]", "the handshake secret is not stored"
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.IGNORED


@pytest.mark.django_db
def test_hook_secret_handshake_outside_an_activation_is_rejected(client, sr_integration):
    response = post(client, sr_integration, b"", {"X-Hook-Secret": "unexpected"})
    assert response.status_code == 401
    assert "X-Hook-Secret" not in response
    assert "not activating" in WebhookEvent.objects.get(integration=sr_integration).rejection_reason


@pytest.mark.django_db
def test_application_status_updated_refreshes_the_synced_candidate_it_names(
    client, sr_integration, django_capture_on_commit_callbacks, monkeypatch
):
    """The Webhooks API sends IDs only (SRD secret-key example body); the candidate it names is
    re-read by the sync once the event is processed."""
    refreshed: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "integrations.providers.smartrecruiters.webhooks.sync_record_refresh_enqueue",
        lambda *, integration, resource, external_id: refreshed.append((resource, external_id)),
    )
    body = (FIXTURES / "webhooks" / "application.status.updated.json").read_bytes()
    response = post(
        client, sr_integration, body, vendor_headers(body, constants.EVENT_APPLICATION_STATUS_UPDATED)
    )
    assert response.status_code == 202
    event = WebhookEvent.objects.get(integration=sr_integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    assert refreshed == [("candidates", json.loads(body)["candidate_id"])]


@pytest.mark.django_db
def test_an_event_without_candidate_id_ends_dead_with_the_reason(client, sr_integration):
    body = b'{"job_id":"job-1"}'
    post(client, sr_integration, body, vendor_headers(body, constants.EVENT_APPLICATION_CREATED))
    event = WebhookEvent.objects.get(integration=sr_integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.DEAD and "candidate_id is missing" in event.error


@pytest.mark.django_db
@pytest.mark.parametrize("event_name", [constants.EVENT_CANDIDATE_UPDATED, constants.EVENT_CANDIDATE_DELETED])
def test_candidate_events_name_the_candidate_in_id_as_sr_sends_them(
    client, sr_integration, monkeypatch, event_name
):
    """SRO CandidateWebhookPayload is {"id"} (SRD: "the id of the changed resource is provided in the
    body"), not candidate_id: the candidate it names is re-read by the sync."""
    refreshed: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "integrations.providers.smartrecruiters.webhooks.sync_record_refresh_enqueue",
        lambda *, integration, resource, external_id: refreshed.append((resource, external_id)),
    )
    body = (FIXTURES / "webhooks" / f"{event_name}.json").read_bytes()
    assert post(client, sr_integration, body, vendor_headers(body, event_name)).status_code == 202
    event = WebhookEvent.objects.get(integration=sr_integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    assert refreshed == [("candidates", json.loads(body)["id"])]


@pytest.mark.django_db
def test_completed_event_for_a_known_order_is_logged_for_the_customer(client, sr_integration):
    from tests.factories import AssessmentRunFactory

    run = AssessmentRunFactory(
        workspace=sr_integration.workspace,
        integration=sr_integration,
        external_assessment_id="ord-7f3a9c21e4b54d10",
    )
    body = (FIXTURES / "webhooks" / "candidate.assessment.completed.json").read_bytes()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    post(client, sr_integration, body, {"X-SmartRecruiters-Signature": signature})
    webhook_event_process(event_id=WebhookEvent.objects.get(integration=sr_integration).pk)
    line = IntegrationActivity.objects.get(
        integration=sr_integration, kind="smartrecruiters.assessment_completed"
    )
    assert f"run {run.pk}" in line.message and "confirmed" in line.message
