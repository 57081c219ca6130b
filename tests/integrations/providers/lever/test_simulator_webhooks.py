"""The sandbox sends webhooks as Lever documents: failed deliveries retried five times with the
original request (token and triggeredAt included), "Rerun" from the delivery history, a plan
without the Webhooks Subscription API, and `demo_seed` handing out Lever's signature token."""

import json

import pytest
import responses
from django.core.management import call_command
from django.urls import reverse

from integrations.models import Integration
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever import simulator_webhooks as outbound

pytestmark = pytest.mark.django_db
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def groups_on(db):
    """These tests are about deliveries: every webhook group is switched on (test_webhook_groups.py
    covers a group switched off)."""
    outbound.webhook_groups_set([event for _, event in sim.WEBHOOK_GROUPS])


@pytest.fixture
def receiver():
    """A webhook endpoint that fails until told otherwise; keeps every request it got."""
    got: list = []
    answer = {"status": 503}

    def callback(request):
        got.append(request)
        return answer["status"], {}, "{}"

    with responses.RequestsMock() as rsps:
        rsps.add_callback("POST", HOOK, callback=callback)
        yield got, answer


def test_failed_delivery_is_retried_five_times_with_the_original_token_and_triggered_at(receiver):
    got, _ = receiver
    outbound.webhook_add(url=HOOK, event=constants.EVENT_CANDIDATE_STAGE_CHANGE)
    [first] = outbound.send_event(constants.EVENT_CANDIDATE_STAGE_CHANGE, {"opportunityId": "opp-1"})
    assert first["status"] == 503 and first["next_attempt_at"] > first["at"]
    assert outbound.deliveries_retry_due(now_ms=first["next_attempt_at"] - 1) == [], "not due yet"
    waits = []
    for _ in range(10):  # far more than Lever's five retries
        due = sim.get("delivery", first["id"])["next_attempt_at"]
        if not due:
            break
        waits.append(due)
        outbound.deliveries_retry_due(now_ms=due)
    assert len(got) == 6, "the first attempt and five retries"
    assert len({r.body for r in got}) == 1, "every retry is the same request"
    body = json.loads(got[-1].body)
    assert (body["token"], body["triggeredAt"]) == (json.loads(got[0].body)["token"], first["at"])
    gaps = [b - a for a, b in zip([first["at"], *waits], waits, strict=False)]
    assert len(gaps) == 5 and gaps == sorted(set(gaps)), "waiting longer and longer"


def test_a_retry_that_succeeds_ends_the_retries(receiver):
    got, answer = receiver
    outbound.webhook_add(url=HOOK, event=constants.EVENT_CANDIDATE_HIRED)
    [first] = outbound.send_event(constants.EVENT_CANDIDATE_HIRED, {"opportunityId": "opp-1"})
    answer["status"] = 200
    [retry] = outbound.deliveries_retry_due(now_ms=first["next_attempt_at"])
    assert retry["status"] == 200 and retry["next_attempt_at"] is None
    assert outbound.deliveries_retry_due(now_ms=first["next_attempt_at"] * 2) == []
    assert len(got) == 2


def test_rerun_from_the_delivery_history_sends_the_same_request(client, receiver):
    got, answer = receiver
    outbound.webhook_add(url=HOOK, event=constants.EVENT_CANDIDATE_STAGE_CHANGE)
    answer["status"] = 200
    [first] = outbound.send_event(constants.EVENT_CANDIDATE_STAGE_CHANGE, {"opportunityId": "opp-1"})
    page = client.get(reverse("integrations:sim-lever:webhooks")).content.decode()
    assert "Rerun" in page
    response = client.post(
        reverse("integrations:sim-lever:webhooks"), {"action": "rerun", "delivery": first["id"]}
    )
    assert response.status_code == 302
    assert len(got) == 2 and got[0].body == got[1].body


def test_plan_without_the_subscription_api_answers_403_on_webhooks(client):
    sim.ensure_seeded()
    key = sim.api_key_register()
    url = reverse("integrations:sim-lever:api-webhooks")
    headers = {"Authorization": f"Bearer {key}"}
    body = json.dumps({"url": "https://example.com/hook", "event": "candidateStageChange"})
    assert client.post(url, data=body, content_type="application/json", headers=headers).status_code == 201
    client.post(reverse("integrations:sim-lever:webhooks"), {"action": "plan"})  # checkbox unticked
    assert not outbound.webhooks_api_enabled()
    for response in (
        client.get(url, headers=headers),
        client.post(url, data=body, content_type="application/json", headers=headers),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "Forbidden" and "account settings" in response.json()["message"]


def test_adding_a_webhook_by_hand_needs_a_url_and_an_event(client, db):
    response = client.post(
        reverse("integrations:sim-lever:webhooks"), {"action": "add", "url": "nope", "event": "x"}
    )
    assert response.status_code == 400 and "Enter an absolute URL" in response.content.decode()
    assert sim.rows("webhook") == []


def test_demo_seed_gives_a_stable_webhook_secret_the_integration_verifies_with(capsys):
    """Before "Test credentials now" registers the sandbox's webhooks (each with its own signature
    token), the integration's own secret is the one `demo_seed --json` gives; the next test signs
    Lever's scheme with it."""
    call_command("demo_seed", "--json")
    entry = json.loads(capsys.readouterr().out)["integrations"]["lever"]
    assert entry["webhook_url"].startswith("/webhooks/lever/")
    integration = Integration.objects.get(pk=entry["id"])
    assert entry["webhook_secret"] in integration.secrets_for_verification()
    call_command("demo_seed", "--json")
    again = json.loads(capsys.readouterr().out)["integrations"]["lever"]
    assert again["webhook_secret"] == entry["webhook_secret"]


def test_demo_seed_webhook_secret_signs_levers_token_scheme_for_its_webhook_url(capsys, client, monkeypatch):
    """What a script does with `demo_seed --json`: sign Lever's example delivery (LD "Example
    delivery") the way Lever does, signature = hex HMAC-SHA256(signature token, token +
    triggeredAt), with `webhook_secret`, and post it to `webhook_url`."""
    from integrations.base import hmac_sha256_hex
    from integrations.models import WebhookEvent, WebhookStatus
    from integrations.providers.lever import webhooks

    from .helpers import fixture_payload

    call_command("demo_seed", "--json")
    entry = json.loads(capsys.readouterr().out)["integrations"]["lever"]
    payload = fixture_payload("candidateStageChange__lever_docs_example")
    monkeypatch.setattr(webhooks, "now_seconds", lambda: payload["triggeredAt"] / 1000 + 60)
    payload["signature"] = hmac_sha256_hex(
        entry["webhook_secret"], f"{payload['token']}{payload['triggeredAt']}".encode()
    )
    response = client.post(entry["webhook_url"], data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get(integration_id=entry["id"])
    assert event.verified and event.signature_scheme == webhooks.SCHEME_BODY
    assert event.status == WebhookStatus.VERIFIED and event.external_id == f"token:{payload['token']}"
