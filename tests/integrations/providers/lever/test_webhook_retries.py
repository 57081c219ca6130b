"""Lever's retries and replays, from Lever's own example delivery
(https://hire.lever.co/developer/documentation#webhooks, "Example delivery": token
be58f711…3154, triggeredAt 1431454330072; fixture candidateStageChange__lever_docs_example).

Lever resends a failed delivery with its original token and triggeredAt ("five times, waiting
longer and longer", and "Rerun" from the two-week delivery history); LD's advice against replays
is to "cache the token value locally and not honor any subsequent request with the same token"."""

import json

import pytest
from django.urls import reverse

from integrations.base import hmac_sha256_hex
from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.lever import webhooks
from integrations.services.webhooks import webhook_event_process

from .helpers import SECRET, fixture, lever_integration, post

pytestmark = pytest.mark.django_db

EXAMPLE = "candidateStageChange__lever_docs_example"
TOKEN = "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154"
TRIGGERED_AT = 1431454330072
LEVERS_SIGNATURE = "28e3fbb90ce869c3695c4a9559ff43eae998389a48b42c509d1adbeea0897c16"


def lever_example(secret: str = SECRET, **changes) -> bytes:
    """Lever's example body, byte for byte, with its signature made with our test token (Lever's
    own signature token is not published); `changes` edit unsigned fields (id, data)."""
    raw = fixture(EXAMPLE).replace(
        LEVERS_SIGNATURE.encode(), hmac_sha256_hex(secret, f"{TOKEN}{TRIGGERED_AT}".encode()).encode()
    )
    if not changes:
        return raw
    payload = json.loads(raw)
    payload.update(changes)
    return json.dumps(payload).encode()


@pytest.fixture
def clock(monkeypatch):
    """Set the verifier's clock to `seconds` after Lever's triggeredAt."""

    def at(seconds: float) -> None:
        monkeypatch.setattr(webhooks, "now_seconds", lambda: TRIGGERED_AT / 1000 + seconds)

    return at


def events(integration) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(integration=integration).order_by("id"))


def test_levers_retry_days_later_with_the_original_token_and_timestamp_is_accepted(client, clock):
    integration = lever_integration()
    clock(3 * 86400)  # our endpoint was down for three days; this is one of Lever's later retries
    response = post(client, integration, lever_example())
    assert response.status_code == 200
    [event] = events(integration)
    assert event.status == WebhookStatus.VERIFIED and event.external_id == f"token:{TOKEN}"


def test_retry_of_a_delivery_we_refused_is_accepted_once_the_signature_token_is_pasted(
    client_in_workspace, workspace, clock
):
    """The first delivery arrived before the customer pasted Lever's token (refused, 401: Lever
    retries it); its retry two hours later, same token and triggeredAt, goes through."""
    integration = lever_integration(workspace=workspace)
    body = lever_example("signature-token-from-lever")
    clock(10)
    assert post(client_in_workspace, integration, body).status_code == 401
    client_in_workspace.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {"writeback_mode": "feedback", "signature_token": "signature-token-from-lever"},
    )
    clock(2 * 3600)
    assert post(client_in_workspace, integration, body).status_code == 200
    refused, accepted = events(integration)
    assert refused.status == WebhookStatus.REJECTED and accepted.status == WebhookStatus.VERIFIED
    webhook_event_process(event_id=accepted.pk)
    accepted.refresh_from_db()
    assert accepted.status == WebhookStatus.PROCESSED, accepted.error


def test_replayed_token_already_processed_is_refused_and_not_processed_again_whatever_its_id_and_data(
    client, clock
):
    """The body `id` and `data` are not signed: a replay that changes them is still the same token."""
    integration = lever_integration()
    clock(5)
    assert post(client, integration, lever_example(id="evt-original")).status_code == 200
    [first] = events(integration)
    webhook_event_process(event_id=first.pk)
    clock(3600)
    replay = lever_example(
        id="evt-changed-by-replayer", data={"opportunityId": "someone-else", "toStageId": "other-stage"}
    )
    response = post(client, integration, replay)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "replayed_token"
    assert response.json()["error"]["details"] == {"original_delivery": first.pk}
    _, again = events(integration)
    assert again.status == WebhookStatus.DUPLICATE and again.duplicate_of_id == first.pk
    assert again.rejection_reason.startswith(f"Replay refused: token already processed (delivery {first.pk}")
    webhook_event_process(event_id=again.pk)
    assert [e.status for e in events(integration)] == [WebhookStatus.PROCESSED, WebhookStatus.DUPLICATE]


def test_retry_of_a_token_stored_but_not_yet_processed_is_acknowledged_and_processed_once(
    client, clock, monkeypatch
):
    """Our answer to the first delivery never reached Lever (a timeout), and processing it failed
    (Lever's API was down during the re-read). Lever's retry, same token and triggeredAt, is
    answered 2xx so Lever stops retrying; the event itself is processed once, by our own retry."""
    integration = lever_integration()
    calls = []

    def stage_entered(**kwargs):
        calls.append(kwargs["opportunity_id"])
        if len(calls) == 1:
            raise RuntimeError("Lever answered 503 to GET /opportunities/:id")

    monkeypatch.setattr(webhooks.services, "lever_stage_entered", stage_entered)
    clock(5)
    assert post(client, integration, lever_example()).status_code == 200
    [first] = events(integration)
    assert webhook_event_process(event_id=first.pk).status == WebhookStatus.FAILED
    clock(600)
    retry = post(client, integration, lever_example())
    assert retry.status_code == 200 and retry.json() == {"status": "duplicate"}
    assert webhook_event_process(event_id=first.pk).status == WebhookStatus.PROCESSED
    _, again = events(integration)
    webhook_event_process(event_id=again.pk)
    assert [e.status for e in events(integration)] == [WebhookStatus.PROCESSED, WebhookStatus.DUPLICATE]
    assert calls == ["3410c8b9-5c31-4bab-b7e9-9f710206d647"] * 2, "one failure, then processed once"


def test_two_signed_deliveries_sharing_an_unsigned_id_are_two_events(client, clock):
    """Dedupe never rests on the body id: a different signed token is a different delivery."""
    integration = lever_integration()
    clock(5)
    post(client, integration, lever_example(id="evt-1"))
    other_token = "0" * 48
    other = json.loads(lever_example(id="evt-1"))
    other["token"] = other_token
    other["signature"] = hmac_sha256_hex(SECRET, f"{other_token}{TRIGGERED_AT}".encode())
    assert post(client, integration, json.dumps(other).encode()).status_code == 200
    assert [e.status for e in events(integration)] == [WebhookStatus.VERIFIED, WebhookStatus.VERIFIED]


def test_delivery_older_than_levers_two_week_resend_window_is_refused_as_a_replay(client, clock):
    integration = lever_integration()
    clock(15 * 86400)
    response = post(client, integration, lever_example())
    assert response.status_code == 401
    reason = response.json()["error"]["message"]
    assert "15.0 days old" in reason and "at most 14 days" in reason
    clock(13 * 86400)
    assert post(client, integration, lever_example()).status_code == 200


def test_levers_example_signature_is_checked_over_token_and_triggered_at(client, clock):
    """Lever's published signature was made with its (unpublished) token: with ours it fails,
    with a body re-signed by ours it verifies."""
    integration = lever_integration()
    clock(60)
    assert post(client, integration, fixture(EXAMPLE)).status_code == 401
    assert post(client, integration, lever_example()).status_code == 200


@pytest.fixture
def stage_entered_fails_first(monkeypatch):
    """Lever's API is down when we first process the delivery: the handler fails, then works."""
    calls: list[str] = []

    def stage_entered(**kwargs):
        calls.append(kwargs["opportunity_id"])
        if len(calls) == 1:
            raise RuntimeError("Lever answered 503 to GET /opportunities/:id")

    monkeypatch.setattr(webhooks.services, "lever_stage_entered", stage_entered)
    return calls


@pytest.fixture
def enqueued(monkeypatch):
    """The event ids queued for processing (the queue is not run in tests)."""
    ids: list[int] = []

    def enqueue(func, *args, **kwargs):
        if func == "integrations.services.webhooks.webhook_event_process_task":
            ids.append(args[0])

    monkeypatch.setattr("jobcannon.core.queue.enqueue", enqueue)
    return ids


def test_retry_of_a_token_we_gave_up_processing_is_accepted_and_processed_once(
    client, clock, settings, stage_entered_fails_first, enqueued, django_capture_on_commit_callbacks
):
    """We gave up on the first delivery (dead: out of attempts while Lever's API was down). Lever
    resends it hours later, same token and triggeredAt: a 2xx "duplicate" would stop Lever's
    retries with the event never processed. It is accepted and the first delivery queued again."""
    settings.WEBHOOK_PROCESS_MAX_ATTEMPTS = 1
    integration = lever_integration()
    clock(5)
    assert post(client, integration, lever_example()).status_code == 200
    [first] = events(integration)
    assert webhook_event_process(event_id=first.pk).status == WebhookStatus.DEAD
    clock(6 * 3600)
    with django_capture_on_commit_callbacks(execute=True):
        retry = post(client, integration, lever_example())
    assert retry.status_code == 200
    assert retry.json() == {"status": "accepted", "id": first.pk, "reopened": True}
    assert enqueued == [first.pk]
    first.refresh_from_db()
    assert first.status == WebhookStatus.VERIFIED and first.attempts == 0
    assert webhook_event_process(event_id=first.pk).status == WebhookStatus.PROCESSED
    _, again = events(integration)
    assert again.status == WebhookStatus.DUPLICATE and again.duplicate_of_id == first.pk
    assert f"after we gave up processing delivery {first.pk}" in again.rejection_reason
    webhook_event_process(event_id=again.pk)
    assert [e.status for e in events(integration)] == [WebhookStatus.PROCESSED, WebhookStatus.DUPLICATE]
    assert stage_entered_fails_first == ["3410c8b9-5c31-4bab-b7e9-9f710206d647"] * 2, (
        "failed, then processed once"
    )
    [line] = integration.activity.filter(kind="webhook.reopened")
    assert f"delivery {first.pk}" in line.message and "Lever answered 503" in line.message
    # Processed now: a further resend of the token is a replay.
    clock(7 * 3600)
    assert post(client, integration, lever_example()).status_code == 409


def test_second_retry_of_a_token_already_queued_again_is_a_duplicate_not_a_second_reopen(
    client, clock, settings, stage_entered_fails_first, enqueued, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_PROCESS_MAX_ATTEMPTS = 1
    integration = lever_integration()
    clock(5)
    post(client, integration, lever_example())
    [first] = events(integration)
    webhook_event_process(event_id=first.pk)
    clock(3600)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, integration, lever_example()).json()["status"] == "accepted"
        second = post(client, integration, lever_example())
    assert second.status_code == 200 and second.json() == {"status": "duplicate"}
    assert enqueued == [first.pk]
    assert webhook_event_process(event_id=first.pk).status == WebhookStatus.PROCESSED
    assert len(stage_entered_fails_first) == 2
