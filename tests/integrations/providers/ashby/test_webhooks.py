"""Ashby webhook verification (real Ashby-Signature and the seed's X-Ashby-Webhook-Signature),
dedupe on webhookActionId and action, ping, unknown actions, and the handlers' effects."""

import json

import pytest
from django.urls import reverse

from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.ashby import constants
from integrations.services.webhooks import webhook_event_process

from .helpers import ashby_integration, fixture, post_webhook, scored_run, sign_real, sign_seed


@pytest.fixture
def integration(db):
    return ashby_integration(
        credentials={"api_key": "k", "client_id": "cid", "client_secret": "oauth-client-secret"}
    )


def _event(integration) -> WebhookEvent:
    return WebhookEvent.objects.filter(integration=integration).order_by("-id").first()


@pytest.mark.parametrize(
    ("headers", "scheme"),
    [
        (sign_real, constants.SCHEME_REAL),
        (sign_seed, constants.SCHEME_SEED),
        (lambda body: sign_seed(body, prefixed=True), constants.SCHEME_SEED),
    ],
)
@pytest.mark.django_db
def test_both_signature_schemes_verify_and_the_scheme_is_recorded(client, integration, headers, scheme):
    body = fixture("candidate.created")
    response = post_webhook(client, integration, body, headers(body))
    assert response.status_code == 200
    event = _event(integration)
    assert event.verified and event.signature_scheme == scheme


@pytest.mark.django_db
def test_uppercase_hex_signature_still_verifies(client, integration):
    body = fixture("candidate.created")
    signature = sign_real(body)[constants.SIGNATURE_HEADER].upper().replace("SHA256=", "sha256=")
    assert post_webhook(client, integration, body, {constants.SIGNATURE_HEADER: signature}).status_code == 200


@pytest.mark.django_db
def test_seed_header_signed_with_the_oauth_client_secret_verifies(client, integration):
    """Seed 000's fix for signature failures: "Confirm Client Secret is used correctly"."""
    body = fixture("candidate.created")
    response = post_webhook(client, integration, body, sign_seed(body, "oauth-client-secret"))
    assert response.status_code == 200
    assert _event(integration).signature_scheme == constants.SCHEME_SEED_CLIENT_SECRET


@pytest.mark.django_db
def test_real_header_is_not_accepted_with_the_client_secret(client, integration):
    body = fixture("candidate.created")
    assert post_webhook(client, integration, body, sign_real(body, "oauth-client-secret")).status_code == 401


@pytest.mark.parametrize("headers", [sign_real, sign_seed])
@pytest.mark.django_db
def test_wrong_secret_is_rejected_with_the_seed_error_and_its_fix(client, integration, headers):
    body = fixture("candidate.created")
    response = post_webhook(client, integration, body, headers(body, "not-the-secret"))
    assert response.status_code == 401
    reason = _event(integration).rejection_reason
    assert reason.startswith("Webhook signature validation failed")
    assert "webhook secret" in reason and "Event Logs" in reason


@pytest.mark.django_db
def test_missing_signature_names_both_headers(client, integration):
    body = fixture("candidate.created")
    assert post_webhook(client, integration, body, {}).status_code == 401
    reason = _event(integration).rejection_reason
    assert "Ashby-Signature" in reason and "X-Ashby-Webhook-Signature" in reason


@pytest.mark.django_db
def test_body_without_action_is_rejected_as_malformed(client, integration):
    body = b'{"webhookActionId": "x", "data": {}}'
    response = post_webhook(client, integration, body, sign_real(body))
    assert response.status_code == 400
    assert "action" in _event(integration).rejection_reason


@pytest.mark.django_db
def test_retry_with_same_webhook_action_id_is_a_duplicate(client, integration):
    body = fixture("candidate.created")
    post_webhook(client, integration, body, sign_real(body))
    # Ashby's retry: same webhookActionId, possibly re-serialised and signed the other way.
    again = json.dumps(json.loads(body), indent=1).encode()
    assert post_webhook(client, integration, again, sign_seed(again)).status_code == 200
    assert [e.status for e in WebhookEvent.objects.filter(integration=integration).order_by("id")] == [
        WebhookStatus.VERIFIED,
        WebhookStatus.DUPLICATE,
    ]


@pytest.mark.django_db
def test_a_hires_related_webhooks_sharing_one_webhook_action_id_are_each_processed(client, integration):
    """Ashby's webhook docs: "Some actions trigger other, related webhooks … These webhooks are
    generated with the same webhookActionId to indicate they represent the same underlying
    event"; the spec, webhooks.candidateHire: "Also triggers applicationUpdate and
    candidateStageChange". So a hire arrives three times under one id, three different actions:
    each is processed. A retry of any of them (same id, same action) is still a duplicate."""
    shared = "6c1f4a2e-0b3d-4e5f-8a9b-7c6d5e4f3a21"
    bodies = []
    for action in ("candidateHire", "applicationUpdate", "candidateStageChange"):
        payload = json.loads(fixture(action))
        payload["webhookActionId"] = shared
        bodies.append(json.dumps(payload).encode())
    for body in bodies:
        assert post_webhook(client, integration, body, sign_real(body)).status_code == 200
    assert post_webhook(client, integration, bodies[0], sign_real(bodies[0])).status_code == 200  # retry

    events = list(WebhookEvent.objects.filter(integration=integration).order_by("id"))
    assert [(e.event_type, e.status) for e in events] == [
        ("candidateHire", WebhookStatus.VERIFIED),
        ("applicationUpdate", WebhookStatus.VERIFIED),
        ("candidateStageChange", WebhookStatus.VERIFIED),
        ("candidateHire", WebhookStatus.DUPLICATE),
    ]
    for event in events[:3]:
        webhook_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert event.status == WebhookStatus.PROCESSED, (event.event_type, event.error)


@pytest.mark.django_db
def test_ping_is_answered_200_and_ignored(client, integration):
    body = fixture("ping")
    assert post_webhook(client, integration, body, sign_real(body)).status_code == 200
    event = _event(integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.IGNORED


@pytest.mark.django_db
def test_unknown_action_is_stored_and_marked_unsupported(client, integration):
    body = b'{"webhookActionId": "u-1", "action": "robotUprising", "data": {"x": 1}}'
    assert post_webhook(client, integration, body, sign_real(body)).status_code == 200
    event = _event(integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.UNSUPPORTED and bytes(event.body) == body


@pytest.mark.django_db
def test_seed_path_finds_the_integration_by_its_secret(client, integration):
    body = fixture("candidate.created")
    response = client.post(
        "/ashby/webhooks", data=body, content_type="application/json", headers=sign_seed(body)
    )
    assert response.status_code == 200
    assert _event(integration).verified


@pytest.mark.parametrize("name", ["candidate.created", "applicationSubmit"])
@pytest.mark.django_db
def test_candidate_events_are_logged_for_the_customer(client, integration, name):
    body = fixture(name)
    post_webhook(client, integration, body, sign_real(body))
    webhook_event_process(event_id=_event(integration).pk)
    line = IntegrationActivity.objects.get(integration=integration, kind="ashby.candidate_created")
    assert "8f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f" in line.message


@pytest.mark.django_db
def test_assessment_completed_confirms_the_matching_run(client, integration):
    run = scored_run(integration, assessment_id="3b9f6a2e-7c1d-4e8f-9a0b-1c2d3e4f5a60")
    body = fixture("assessment.completed")
    post_webhook(client, integration, body, sign_real(body))
    event = _event(integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED
    line = IntegrationActivity.objects.get(integration=integration, kind="ashby.assessment_completed")
    assert f"run {run.pk}" in line.message


@pytest.mark.django_db
def test_assessment_completed_for_an_unknown_assessment_is_a_warning_not_a_failure(client, integration):
    body = fixture("assessment.completed")
    post_webhook(client, integration, body, sign_real(body))
    event = _event(integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED
    assert IntegrationActivity.objects.filter(
        integration=integration, kind="ashby.assessment_unknown"
    ).exists()


@pytest.mark.django_db
def test_rejected_delivery_shows_its_reason_in_the_staff_logs(admin_client, integration):
    body = fixture("candidate.created")
    admin_client.post(
        reverse("integrations:webhook", args=["ashby", integration.public_id]),
        data=body,
        content_type="application/json",
        headers=sign_real(body, "wrong"),
    )
    page = admin_client.get("/admin/integrations/ashby/logs").content.decode()
    assert "Webhook signature validation failed" in page
