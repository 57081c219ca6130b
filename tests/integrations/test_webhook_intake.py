"""The generic webhook inbox (STYLE.md §3), exercised through the fake provider."""

import json

import pytest
from django.urls import reverse
from django_q.models import Schedule

from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationStatus, WebhookEvent, WebhookStatus
from integrations.services.webhooks import webhook_event_process, webhook_event_reprocess
from tests.factories import IntegrationFactory

SECRET = "whsec_test_secret"
BODY = b'{"id": "evt_42", "type": "candidate.created", "data": {"candidate_id": "c1", "name": "Alex", "email": "alex@example.com"}}'


def signed(body=BODY, secret=SECRET):
    return {"X-Fake-Signature": "sha256=" + hmac_sha256_hex(secret, body)}


def post(client, path, body=BODY, headers=None):
    return client.post(path, data=body, content_type="application/json", headers=headers or {})


@pytest.fixture
def fake(db):
    return IntegrationFactory()


def url_for(integration):
    return reverse("integrations:webhook", args=["fake", integration.public_id])


def test_seed_path_finds_the_integration_whose_secret_verifies(client, fake):
    other = IntegrationFactory(webhook_secrets=[{"secret": "whsec_other"}])
    response = post(client, "/fake/webhooks", headers=signed())
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.integration == fake and event.status == WebhookStatus.VERIFIED
    assert other.webhook_events.count() == 0


def test_seed_path_uses_the_integration_header_when_given(client, fake):
    response = post(
        client, "/fake/webhooks", headers={**signed(), "X-JobCannon-Integration": str(fake.public_id)}
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.get().integration == fake


def test_seed_path_with_no_matching_secret_is_stored_with_reason(client, fake):
    response = post(client, "/fake/webhooks", headers=signed(secret="whsec_wrong"))
    assert response.status_code == 401
    event = WebhookEvent.objects.get()
    assert event.integration is None and event.status == WebhookStatus.REJECTED
    assert "wrong secret" in event.rejection_reason


def test_unknown_integration_id_is_rejected_and_stored(client, db):
    response = post(client, "/webhooks/fake/7f0c2a0e-0000-4000-8000-000000000000/", headers=signed())
    assert response.status_code == 401
    assert "Unknown integration" in WebhookEvent.objects.get().rejection_reason


def test_unknown_provider_answers_404_json(client, db):
    response = post(client, "/webhooks/nosuchats/7f0c2a0e-0000-4000-8000-000000000000/")
    assert response.status_code == 404


def test_disconnected_integration_rejects_webhooks(client, fake):
    fake.status = IntegrationStatus.DISCONNECTED
    fake.save()
    response = post(client, url_for(fake), headers=signed())
    assert response.status_code == 401
    assert "disconnected" in WebhookEvent.objects.get().rejection_reason


def test_oversized_body_is_refused(client, fake, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    response = post(client, url_for(fake), body=b"{" + b" " * 200 + b"}")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_signed_but_malformed_body_is_rejected_with_reason(client, fake):
    body = b'{"no_type": true}'
    response = post(client, url_for(fake), body=body, headers=signed(body))
    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.REJECTED and "not a valid" in event.rejection_reason


def test_authorization_header_is_redacted_at_rest(client, fake):
    post(client, url_for(fake), headers={**signed(), "Authorization": "Bearer top-secret"})
    assert WebhookEvent.objects.get().headers["Authorization"] == "[redacted]"


def test_processing_runs_the_handler_and_marks_processed(client, fake):
    post(client, url_for(fake), headers=signed())
    event = webhook_event_process(event_id=WebhookEvent.objects.get().pk)
    assert event.status == WebhookStatus.PROCESSED and event.attempts == 1
    assert fake.activity.filter(kind="candidate.created").exists()


def test_failing_handler_keeps_error_and_schedules_a_retry(client, fake, monkeypatch):
    from tests.fakes.ats_provider import webhooks

    def explode(ctx):
        raise RuntimeError("database of candidates on fire")

    monkeypatch.setitem(webhooks.EVENT_HANDLERS, "candidate.created", explode)
    post(client, url_for(fake), headers=signed())
    event = webhook_event_process(event_id=WebhookEvent.objects.get().pk)
    assert event.status == WebhookStatus.FAILED
    assert "on fire" in event.error and "RuntimeError" in event.traceback
    assert Schedule.objects.filter(
        func="integrations.services.webhooks.webhook_event_process_task", args=repr(event.pk)
    ).exists()
    assert not fake.activity.filter(kind="candidate.created").exists(), (
        "the failed handler's writes were rolled back"
    )


def test_failing_handler_gives_up_after_max_attempts(client, fake, monkeypatch, settings):
    from tests.fakes.ats_provider import webhooks

    settings.WEBHOOK_PROCESS_MAX_ATTEMPTS = 2
    monkeypatch.setitem(webhooks.EVENT_HANDLERS, "candidate.created", lambda ctx: 1 / 0)
    post(client, url_for(fake), headers=signed())
    pk = WebhookEvent.objects.get().pk
    webhook_event_process(event_id=pk)
    event = webhook_event_process(event_id=pk)
    assert event.status == WebhookStatus.DEAD and event.attempts == 2


def test_staff_can_reprocess_a_dead_event(client, fake, monkeypatch, django_capture_on_commit_callbacks):
    from tests.fakes.ats_provider import webhooks

    monkeypatch.setitem(webhooks.EVENT_HANDLERS, "candidate.created", lambda ctx: 1 / 0)
    post(client, url_for(fake), headers=signed())
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookStatus.DEAD)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False):
        assert webhook_event_reprocess(event=WebhookEvent.objects.get(pk=event.pk))
    assert webhook_event_process(event_id=event.pk).status == WebhookStatus.PROCESSED


def test_admin_provider_logs_page_lists_rejections_with_reason(admin_client, fake):
    post(admin_client, url_for(fake), headers=signed(secret="whsec_wrong"))
    response = admin_client.get("/admin/integrations/fake/logs", {"status": "rejected"})
    assert response.status_code == 200
    assert b"Signature does not match" in response.content


def test_admin_provider_logs_page_is_staff_only(client, user):
    client.force_login(user)
    response = client.get("/admin/integrations/fake/logs")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_event_body_is_stored_byte_for_byte(client, fake):
    body = json.dumps(
        {"id": "evt_9", "type": "candidate.created", "data": {"candidate_id": "x", "name": "Zoë"}},
        ensure_ascii=False,
    ).encode()
    post(client, url_for(fake), body=body, headers=signed(body))
    assert bytes(WebhookEvent.objects.get().body) == body


def test_nul_characters_in_a_signed_event_are_stored_not_a_500(client, fake):
    body = b'{"id": "evt_\\u0000nul", "type": "candidate.\\u0000created", "data": {"candidate_id": "c1"}}'
    response = post(client, url_for(fake), body=body, headers=signed(body))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == body and "\x00" not in event.external_id + event.event_type


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "evt_\\ud800lone", "type": "candidate.created", "data": {"candidate_id": "c1"}}',
        b'{"id": "evt_lone", "type": "candidate.\\udfffcreated", "data": {"candidate_id": "c1"}}',
    ],
    ids=["in-the-event-id", "in-the-event-type"],
)
def test_lone_surrogates_in_a_signed_event_are_stored_not_a_500(client, fake, body):
    """JSON may spell a lone UTF-16 surrogate (\\ud800), which no UTF-8 text column can hold."""
    response = post(client, url_for(fake), body=body, headers=signed(body))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == body and event.status == WebhookStatus.VERIFIED
    assert "\ufffd" in event.external_id + event.event_type


def test_lone_surrogates_on_the_ashby_integration_route_are_stored_not_a_500(client, db):
    from tests.integrations.providers.ashby.helpers import ashby_integration, sign_real

    integration = ashby_integration()
    body = b'{"action": "applicationSubmit\\ud800", "webhookActionId": "wa-\\udbff", "data": {}}'
    response = post(client, f"/webhooks/ashby/{integration.public_id}/", body=body, headers=sign_real(body))
    assert response.status_code == 200
    # The dedupe key is `<webhookActionId>:<action>` (providers/ashby/webhooks.py parse).
    assert WebhookEvent.objects.get().external_id == "wa-\ufffd:applicationSubmit\ufffd"


@pytest.mark.parametrize(
    "body",
    [
        b'{"action": "applicationSubmit\\ud800", "webhookActionId": "wa-1", "data": {}}',
        b'{"action": "applicationSubmit", "webhookActionId": "wa-\\udbff", "data": {}}',
    ],
    ids=["in-the-action", "in-the-webhook-action-id"],
)
def test_lone_surrogates_on_the_ashby_seed_route_are_stored_not_a_500(client, db, body):
    """The seeds' own route (/ashby/webhooks: the integration is found by the secret that
    verifies), not the per-integration one above."""
    from tests.integrations.providers.ashby.helpers import ashby_integration, sign_seed

    integration = ashby_integration()
    response = post(client, "/ashby/webhooks", body=body, headers=sign_seed(body))
    assert response.status_code < 500
    event = WebhookEvent.objects.get()
    assert event.integration == integration and event.verified and bytes(event.body) == body
    assert "\ufffd" in event.external_id + event.event_type
