"""The built-in Ashby retries a failed webhook as Ashby documents
(https://developers.ashbyhq.com/docs/retries): "a maximum of 10 attempts", the next one after
"(2^attempt_number - 1) × 10 seconds", never after 401, 403, 404, 405 or 410, and each retry the
same request (bytes, signature, webhookActionId), so our intake processes the event once."""

import json
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.models import IntegrationStatus, WebhookEvent, WebhookStatus
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby import simulator_webhooks as outbound
from integrations.services.integrations import integration_credentials_check
from integrations.services.webhooks import webhook_event_process
from tests.conftest import StackAwareClient

from .helpers import sim_integration, with_partner_key

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.com/ashby"
ACCOUNT = "acct-retries"


@pytest.fixture
def receiver(db):
    """A webhook endpoint that answers what it is told (503 to start with); keeps every request."""
    got: list = []
    answer = {"status": 503}

    def callback(request):
        got.append(request)
        return answer["status"], {}, "{}"

    sim.account_ensure(ACCOUNT, "Retries workspace")
    sim.put(
        "webhook",
        "wh-retries",
        {
            "account": ACCOUNT,
            "webhookType": constants.EVENT_APPLICATION_SUBMIT,
            "enabled": True,
            "requestUrl": HOOK,
            "secretToken": "tok",
        },
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback("POST", HOOK, callback=callback)
        yield got, answer


def _send() -> dict:
    webhook = sim.get("webhook", "wh-retries")
    assert (
        sim.webhook_send(webhook, constants.EVENT_APPLICATION_SUBMIT, {"application": {"id": "a-1"}}) != 200
    )
    [delivery] = outbound.deliveries_for(ACCOUNT)
    return delivery


def _due(delivery_id: str):
    value = sim.get("delivery", delivery_id).data["next_attempt_at"]
    return value and datetime.fromisoformat(value)


def test_retries_follow_ashbys_published_schedule_and_stop_at_ten_attempts(receiver):
    got, _ = receiver
    first = _send()
    sent_at = datetime.fromisoformat(first["history"][0]["at"])
    due = _due(first["id"])
    assert outbound.webhook_retries_due(due - timedelta(milliseconds=1)) == [], "not due yet"
    gaps = []
    for _ in range(20):  # far more than Ashby's ten attempts
        due = _due(first["id"])
        if not due:
            break
        gaps.append((due - sent_at).total_seconds())
        [retry] = outbound.webhook_retries_due(due)
        sent_at = due
    # "Delay = (2^attempt_number - 1) × 10 seconds": 10 s, 30 s, 70 s, 150 s, ...
    assert gaps == [(2**n - 1) * 10 for n in range(1, 10)] == [10, 30, 70, 150, 310, 630, 1270, 2550, 5110]
    assert len(got) == 10, "a maximum of 10 attempts"
    assert retry["attempts"] == 10 and retry["state"] == "failed" and retry["next_attempt_at"] is None
    assert outbound.webhook_retries_due(sent_at + timedelta(days=30)) == []
    assert len({r.body for r in got}) == 1, "every retry is the same bytes"
    assert len({r.headers[constants.SIGNATURE_HEADER] for r in got}) == 1
    assert json.loads(got[-1].body)["webhookActionId"] == first["webhookActionId"]


@pytest.mark.parametrize("status", [401, 403, 404, 405, 410])
def test_statuses_ashby_does_not_retry_end_the_delivery(receiver, status):
    got, answer = receiver
    answer["status"] = status
    first = _send()
    assert first["state"] == "failed" and first["next_attempt_at"] is None
    assert outbound.webhook_retries_due(timezone.now() + timedelta(days=1)) == []
    assert len(got) == 1


@pytest.mark.parametrize("status", [500, 502, 429, 400, 302])
def test_other_error_answers_are_retried(receiver, status):
    got, answer = receiver
    answer["status"] = status
    first = _send()
    assert first["state"] == "retrying"
    answer["status"] = 200
    [retry] = outbound.webhook_retries_due(_due(first["id"]))
    assert retry["state"] == "delivered" and retry["attempts"] == 2
    assert outbound.webhook_retries_due(timezone.now() + timedelta(days=1)) == []
    assert len(got) == 2


def test_no_answer_is_retried(db):
    sim.account_ensure(ACCOUNT, "Retries workspace")
    webhook = sim.put(
        "webhook",
        "wh-down",
        {"account": ACCOUNT, "webhookType": "ping", "enabled": True, "requestUrl": HOOK, "secretToken": "t"},
    )
    with responses.RequestsMock() as rsps:
        rsps.add("POST", HOOK, body=requests.ConnectionError("refused"))
        assert sim.webhook_send(webhook, constants.EVENT_PING, {"webhookActionType": "ping"}) == 0
    [delivery] = outbound.deliveries_for(ACCOUNT)
    assert delivery["state"] == "retrying" and delivery["error"] == "ConnectionError"


def test_a_deleted_webhook_is_not_retried(receiver):
    got, _ = receiver
    first = _send()
    sim.get("webhook", "wh-retries").delete()
    assert outbound.webhook_retries_due(_due(first["id"])) == []
    assert len(got) == 1
    assert sim.get("delivery", first["id"]).data["outcome"] == "not retried: the webhook was deleted"


def test_the_sandbox_page_lists_failed_deliveries_and_sends_due_retries(client, receiver):
    got, answer = receiver
    first = _send()
    page = reverse("integrations:sim-ashby:account", args=[ACCOUNT])
    shown = client.get(page).content.decode()
    assert first["webhookActionId"] in shown and "retry scheduled" in shown
    assert len(got) == 1, "opening the page sends only retries that are due"
    # Ten seconds later (the first retry's delay), the page's button sends it.
    row = sim.get("delivery", first["id"])
    row.data = {**row.data, "next_attempt_at": (timezone.now() - timedelta(seconds=1)).isoformat()}
    row.save()
    answer["status"] = 200
    response = client.post(page, {"action": "retry-due"}, follow=True)
    assert "1 due webhook retry sent." in response.content.decode()
    assert len(got) == 2 and got[1].body == got[0].body
    assert sim.get("delivery", first["id"]).data["state"] == "delivered"


# --- end to end: our intake answers 5xx once ---------------------------------------------------


@pytest.fixture
def intake(settings, db):
    """As the `simulators` fixture (http://testserver/... answered by this app in-process), but an
    exception in a view becomes the 500 response a real server sends instead of failing the test."""
    settings.JOBCANNON_BASE_URL = "http://testserver"

    def forward(request):
        parts = urlsplit(request.url)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in {"content-length", "host", "content-type"}
        }
        body = request.body or b""
        response = StackAwareClient(raise_request_exception=False).generic(
            request.method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            data=body.encode() if isinstance(body, str) else body,
            content_type=request.headers.get("Content-Type", ""),
            headers=headers,
        )
        return response.status_code, dict(response.headers), response.content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST"):
            rsps.add_callback(method, re.compile(r"http://testserver/.*"), callback=forward)
        yield rsps


def _connected():
    integration, account = sim_integration()
    integration.provider_settings = {**integration.provider_settings, "sync_enabled": False}
    integration.save()
    key = with_partner_key(integration)
    sim.account_update(
        account, partner={"base_url": f"/partners/ashby/{integration.public_id}", "api_key": key}
    )
    assert integration_credentials_check(integration=integration), integration.status_reason
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    return integration, account


def _intake_fails_once(monkeypatch, *, after_storing: bool) -> list:
    """Our webhook intake crashes on its next delivery (a 500), before or after it stored the row."""
    from integrations import views

    real = views.webhook_event_receive
    failures: list = []

    def flaky(**kwargs):
        if failures:
            return real(**kwargs)
        failures.append(kwargs["body"])
        if after_storing:
            real(**kwargs)
        raise RuntimeError("intake down")

    monkeypatch.setattr(views, "webhook_event_receive", flaky)
    return failures


@pytest.mark.parametrize("after_storing", [False, True], ids=["before-storing", "after-storing"])
def test_a_delivery_our_intake_answered_500_is_retried_and_processed_once(intake, monkeypatch, after_storing):
    integration, account = _connected()
    failures = _intake_fails_once(monkeypatch, after_storing=after_storing)
    candidate = sim.candidate_create(
        account, first_name="Robin", last_name="Sample", email="robin@example.com", job_name="Data Analyst"
    )
    [delivery] = outbound.deliveries_for(account)
    assert (delivery["status"], delivery["state"]) == (500, "retrying")
    assert failures == [delivery["body"].encode()]

    [retry] = outbound.webhook_retries_due(_due(delivery["id"]))
    assert (retry["status"], retry["state"], retry["attempts"]) == (200, "delivered", 2)
    assert outbound.webhook_retries_due(timezone.now() + timedelta(days=1)) == []

    events = WebhookEvent.objects.filter(
        integration=integration, event_type=constants.EVENT_APPLICATION_SUBMIT
    )
    assert {bytes(e.body) for e in events} == {delivery["body"].encode()}, "the same bytes"
    assert {e.external_id.split(":")[0] for e in events} == {delivery["webhookActionId"]}
    for event in events.filter(status=WebhookStatus.VERIFIED):
        webhook_event_process(event_id=event.pk)
    statuses = sorted(events.values_list("status", flat=True))
    # Stored before the crash: the retry is recognised as a duplicate of it.
    assert statuses == (
        [WebhookStatus.DUPLICATE, WebhookStatus.PROCESSED] if after_storing else [WebhookStatus.PROCESSED]
    )
    assert json.loads(delivery["body"])["data"]["application"]["candidate"]["id"] == candidate.key
