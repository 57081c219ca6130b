"""Migration 0011: Ashby webhook events stored before the dedupe key took the action (the bare
webhookActionId) get the key `parse` gives today (`<webhookActionId>:<action>`), so Ashby's
retry of one of them that arrives after the deploy is a duplicate, never processed twice. The
migration function is called on rows made as the old code stored them."""

import importlib
import json

import pytest
from django.apps import apps

from integrations.models import WebhookEvent, WebhookStatus

from .helpers import ashby_integration, fixture, post_webhook, sign_real

pytestmark = pytest.mark.django_db

migration = importlib.import_module("integrations.migrations.0011_ashby_webhook_dedupe_key_with_action")
ACTION_ID = "0c5b3d4e-8f2a-4b6c-9d1e-2f3a4b5c6d7e"


def _body(action: str) -> bytes:
    payload = json.loads(fixture(action))
    payload["webhookActionId"] = ACTION_ID
    return json.dumps(payload).encode()


def _stored_as_before(integration, *, action: str, status: str, key: str | None = ACTION_ID) -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider="ashby",
        integration=integration,
        body=_body(action),
        external_id=ACTION_ID,
        dedupe_key=key,
        event_type=action,
        verified=True,
        status=status,
    )


def test_an_event_keyed_on_the_bare_id_is_rekeyed_and_ashbys_retry_of_it_is_a_duplicate(client):
    integration = ashby_integration()
    old = _stored_as_before(integration, action="applicationSubmit", status=WebhookStatus.PROCESSED)
    digest_keyed = WebhookEvent.objects.create(
        provider="ashby", integration=integration, body=b"{}", external_id="sha256:ab", dedupe_key="sha256:ab",
        event_type="ping", verified=True, status=WebhookStatus.IGNORED,
    )  # fmt: skip

    migration.rekey_ashby_events(apps, None)

    old.refresh_from_db()
    digest_keyed.refresh_from_db()
    assert old.dedupe_key == old.external_id == f"{ACTION_ID}:applicationSubmit"
    assert digest_keyed.dedupe_key == "sha256:ab"
    body = _body("applicationSubmit")
    assert post_webhook(client, integration, body, sign_real(body)).status_code == 200
    retry = WebhookEvent.objects.filter(integration=integration).order_by("-id").first()
    assert retry.status == WebhookStatus.DUPLICATE and retry.duplicate_of_id == old.pk


def test_a_recorded_duplicate_keeps_its_status_and_gets_the_new_external_id():
    integration = ashby_integration()
    _stored_as_before(integration, action="candidateHire", status=WebhookStatus.PROCESSED)
    related = _stored_as_before(
        integration, action="applicationUpdate", status=WebhookStatus.DUPLICATE, key=None
    )

    migration.rekey_ashby_events(apps, None)
    migration.rekey_ashby_events(apps, None)  # twice: the keys are already the new ones

    related.refresh_from_db()
    assert related.status == WebhookStatus.DUPLICATE and related.dedupe_key is None
    assert related.external_id == f"{ACTION_ID}:applicationUpdate"
    assert WebhookEvent.objects.filter(dedupe_key=f"{ACTION_ID}:candidateHire").count() == 1
