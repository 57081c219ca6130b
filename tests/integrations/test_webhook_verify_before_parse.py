"""On an integration's own webhook URL nothing parses or depth-scans a body before its signature
verified (issue 21): 1 MiB of valid-JSON junk with a wrong X-Knit-Signature cost ~15 ms of CPU,
parsed and re-serialised to try Knit's JSON.stringify form before it was refused."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.knit import webhooks as knit_webhooks
from jobcannon.core import jsondepth
from tests.integrations.providers.knit.helpers import API_KEY, knit_headers, knit_integration

pytestmark = pytest.mark.django_db

# Valid JSON, an object like Knit's events, just under the own URL's limit (WEBHOOK_MAX_BODY_BYTES).
JSON_JUNK = json.dumps(
    {"eventType": "record.new", "eventId": "evt_junk", "data": [{"id": "x" * 40, "n": 1.0}] * 4_000}
).encode()


@pytest.fixture
def parses():
    """The length of every body json.loads or the depth check is given, wherever it runs."""
    seen: list[int] = []
    real_loads, real_deep = json.loads, jsondepth.json_too_deep

    def loads(value, *args, **kwargs):
        seen.append(len(value))
        return real_loads(value, *args, **kwargs)

    def deep(body: bytes) -> bool:
        seen.append(len(body))
        return real_deep(body)

    with (
        mock.patch.object(json, "loads", loads),
        mock.patch.object(jsondepth, "json_too_deep", deep),
        mock.patch("integrations.middleware.json_too_deep", deep),
        mock.patch("integrations.services.webhook_intake.json_too_deep", deep),
    ):
        yield seen


def post_knit(client, integration, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/webhooks/knit/{integration.public_id}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize(
    "body",
    [JSON_JUNK, b'{"eventType": "record.new", "pad": "' + b"z" * 20_000 + b'"}', b"\x8f" * 4096],
    ids=["240KiB-json", "20KiB-json", "binary"],
)
def test_knit_junk_with_a_wrong_signature_on_its_own_url_is_refused_without_parsing(
    client, parses, body, settings
):
    integration = knit_integration()
    assert 200 * 1024 < len(JSON_JUNK) < settings.WEBHOOK_MAX_BODY_BYTES
    response = post_knit(client, integration, body, knit_headers(body, key="not-the-knit-key"))
    assert response.status_code == 401
    assert "X-Knit-Signature does not match" in response.json()["error"]["message"]
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.REJECTED and event.integration == integration
    assert "X-Knit-Signature does not match" in event.rejection_reason
    assert not [n for n in parses if n >= len(body)], "the body was parsed before it verified"


def test_knit_json_stringify_signature_still_verifies_on_its_own_url(client):
    """Knit's Node example signs JSON.stringify(req.body): a small event sent spelled otherwise
    (spaces, 1.0) is still verified, over its re-serialised form."""
    integration = knit_integration()
    body = b'{"eventType": "record.modified", "eventId": "evt_pretty", "data": {"n": 1.0}}'
    signed = knit_headers(knit_webhooks.js_stringify(json.loads(body)), key=API_KEY)
    response = post_knit(client, integration, body, signed)
    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get().signature_scheme == "knit-hmac-json"


def test_a_large_knit_body_signed_only_in_its_json_stringify_form_is_refused_with_the_reason(client):
    integration = knit_integration()
    body = b'{"eventType": "record.modified", "eventId": "evt_big", "pad": "' + b"z" * 20_000 + b'"}'
    signed = knit_headers(knit_webhooks.js_stringify(json.loads(body)), key=API_KEY)
    response = post_knit(client, integration, body, signed)
    assert response.status_code == 401
    assert "not re-serialised" in WebhookEvent.objects.get().rejection_reason
