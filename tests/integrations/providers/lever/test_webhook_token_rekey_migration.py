"""Migration 0008: Lever webhook events stored before the token dedupe get the key `parse` gives
today (`token:<token>`), so a Lever retry or rerun of one of them is deduplicated, never
processed twice. Built from Lever's example delivery (test_webhook_retries.py); the migration
function is called on rows made as the old code stored them (django-test-migrations is not
installed)."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.lever import webhooks
from tests.factories import IntegrationFactory

from .helpers import lever_integration, post
from .test_webhook_retries import TOKEN, TRIGGERED_AT, events, lever_example

pytestmark = pytest.mark.django_db

migration = importlib.import_module("integrations.migrations.0008_lever_webhook_token_dedupe_keys")


@pytest.fixture
def clock(monkeypatch):
    """Set the verifier's clock to `seconds` after Lever's triggeredAt."""

    def at(seconds: float) -> None:
        monkeypatch.setattr(webhooks, "now_seconds", lambda: TRIGGERED_AT / 1000 + seconds)

    return at


def stored(integration, *, key: str | None, status: str, body: bytes | None = None, minutes_ago: int = 60):
    """A Lever row as the code before the token dedupe stored it."""
    return WebhookEvent.objects.create(
        provider="lever",
        integration=integration,
        body=lever_example(id="evt-1") if body is None else body,
        external_id=key or "",
        dedupe_key=key,
        event_type="candidateStageChange",
        verified=True,
        status=status,
        received_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
    )


def rekey() -> None:
    migration.rekey_lever_events(apps, None)


def test_event_keyed_on_the_unsigned_body_id_is_rekeyed_and_levers_retry_of_it_is_refused(client, clock):
    integration = lever_integration()
    first = stored(integration, key="evt-1", status=WebhookStatus.PROCESSED)
    rekey()
    first.refresh_from_db()
    assert first.dedupe_key == first.external_id == f"token:{TOKEN}"
    clock(3600)
    response = post(client, integration, lever_example(id="evt-1"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "replayed_token"
    assert [e.status for e in events(integration)] == [WebhookStatus.PROCESSED, WebhookStatus.DUPLICATE]


def test_token_and_timestamp_key_of_a_purged_body_is_rekeyed_from_the_key(client, clock):
    integration = lever_integration()
    first = stored(integration, key=f"{TOKEN}:{TRIGGERED_AT}", status=WebhookStatus.PROCESSED, body=b"")
    rekey()
    first.refresh_from_db()
    assert first.dedupe_key == f"token:{TOKEN}"
    clock(3600)
    assert post(client, integration, lever_example()).status_code == 409


def test_two_rows_of_one_token_keep_the_handled_one_and_the_other_becomes_its_duplicate(client, clock):
    """The old keys let a Lever retry (another body id) through as a second event, still queued."""
    integration = lever_integration()
    later_retry = stored(
        integration,
        key="evt-retry",
        status=WebhookStatus.FAILED,
        body=lever_example(id="evt-retry"),
        minutes_ago=5,
    )
    first = stored(integration, key="evt-1", status=WebhookStatus.PROCESSED, minutes_ago=60)
    rekey()
    first.refresh_from_db()
    later_retry.refresh_from_db()
    assert first.dedupe_key == f"token:{TOKEN}" and first.status == WebhookStatus.PROCESSED
    assert later_retry.dedupe_key is None and later_retry.external_id == f"token:{TOKEN}"
    assert later_retry.status == WebhookStatus.DUPLICATE and later_retry.duplicate_of_id == first.pk
    clock(3600)
    assert post(client, integration, lever_example()).status_code == 409


def test_oldest_row_is_kept_when_none_was_handled():
    integration = lever_integration()
    newer = stored(integration, key=f"{TOKEN}:{TRIGGERED_AT}", status=WebhookStatus.VERIFIED, minutes_ago=5)
    oldest = stored(integration, key="evt-1", status=WebhookStatus.VERIFIED, minutes_ago=60)
    rekey()
    oldest.refresh_from_db()
    newer.refresh_from_db()
    assert oldest.dedupe_key == f"token:{TOKEN}" and oldest.status == WebhookStatus.VERIFIED
    assert newer.status == WebhookStatus.DUPLICATE and newer.duplicate_of_id == oldest.pk


def test_rows_without_a_token_and_other_providers_are_left_alone():
    """Seed 004's X-Lever-Signature signs the whole body: without a token `parse` keys on its id."""
    integration = lever_integration()
    seed = stored(integration, key="evt-seed", status=WebhookStatus.PROCESSED, body=b'{"id": "evt-seed"}')
    other = WebhookEvent.objects.create(
        provider="ashby",
        integration=IntegrationFactory(provider="ashby"),
        body=lever_example(),
        external_id="evt-1",
        dedupe_key="evt-1",
        verified=True,
    )
    rekey()
    seed.refresh_from_db()
    other.refresh_from_db()
    assert seed.dedupe_key == "evt-seed"
    assert other.dedupe_key == "evt-1"


def test_rekey_is_idempotent():
    integration = lever_integration()
    first = stored(integration, key="evt-1", status=WebhookStatus.PROCESSED)
    rekey()
    rekey()
    first.refresh_from_db()
    assert first.dedupe_key == f"token:{TOKEN}"
