"""SmartRecruiters' X-Hook-Secret call is the activation handshake only (reference §2.4): it is
answered and stored (verified: JobCannon asked for it), but it carries no signature, so it does
not tick "Signed webhook received and verified recently". A v1-signed event does."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.services.checklist import integration_checklist
from integrations.services.health import integration_health

from .test_webhooks import post, vendor_headers

pytestmark = pytest.mark.django_db


def _item(integration, key: str):
    return {item.key: item for item in integration_checklist(integration=integration).items}[key]


def test_the_activation_handshake_alone_leaves_the_signed_webhook_item_not_yet(client, sr_integration):
    until = (timezone.now() + timedelta(seconds=30)).isoformat()
    sr_integration.provider_settings = {
        "subscription": {"id": "sub-1", "status": "activating", "activating_until": until}
    }
    sr_integration.save()
    answered = post(client, sr_integration, b"", {"X-Hook-Secret": "handshake-value-123"})
    assert answered.status_code == 200 and answered["X-Hook-Secret"] == "handshake-value-123"

    received = _item(sr_integration, "webhook_received")
    assert received.state == "waiting", received.detail
    assert "webhook.handshake" not in received.detail
    # The page's health agrees: no webhook has been received yet.
    assert integration_health(integration=sr_integration).last_webhook_at is None

    body = json.dumps({"candidateId": "cand-1", "jobId": "job-1"}).encode()
    assert post(client, sr_integration, body, vendor_headers(body, "job.created")).status_code == 202
    received = _item(sr_integration, "webhook_received")
    assert received.state == "ok" and "job.created" in received.detail
    assert integration_health(integration=sr_integration).last_webhook_at is not None
