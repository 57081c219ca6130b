"""Every Lever fixture says where it comes from (tests/fixtures/lever/webhooks/README.md), and the
bodies Lever publishes are read as Lever sends them."""

import json
import re

import pytest

from integrations.base import InboundRequest
from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.lever import webhooks
from integrations.services.webhooks import webhook_event_process

from .helpers import FIXTURES, SECRET, fixture, lever_integration, post

ROW = re.compile(r"^\| `([^`]+\.json)` \| (PUBLISHED|INVENTED)\b", re.MULTILINE)


def test_every_fixture_has_exactly_one_source_row():
    rows = ROW.findall((FIXTURES / "README.md").read_text())
    named = [name for name, _ in rows]
    assert len(named) == len(set(named)), "one row per fixture"
    assert sorted(named) == sorted(p.name for p in FIXTURES.glob("*.json"))


def test_published_rows_are_the_lever_docs_fixtures_and_name_their_source():
    rows = dict(ROW.findall((FIXTURES / "README.md").read_text()))
    published = sorted(name for name, kind in rows.items() if kind == "PUBLISHED")
    assert published == [
        "candidateHired__lever_docs_test_request.json",
        "candidateStageChange__lever_docs_example.json",
    ]


def test_levers_published_test_request_is_kept_verbatim():
    """LD "How to set up webhooks": "Our test POST request looks like this"."""
    assert json.loads(fixture("candidateHired__lever_docs_test_request")) == {
        "triggeredAt": 1431458021951,
        "event": "candidateHired",
        "data": {},
        "signature": "m3e73080553bcbf65f66c90b6m4ac0mb664c6am763efb1899653808864456b36",
        "token": "657fd5a0759c87d35660b096dbc388d1d31058869f08ce3f",
    }


def test_levers_test_request_parses_to_its_event_and_signed_token():
    parsed = webhooks.parse(
        InboundRequest(body=fixture("candidateHired__lever_docs_test_request"), headers={}, query={})
    )
    assert parsed.event_type == "candidateHired"
    assert parsed.external_id == "token:657fd5a0759c87d35660b096dbc388d1d31058869f08ce3f"


@pytest.mark.django_db
def test_levers_test_request_signed_with_our_token_is_verified_and_processed_as_a_no_op(client, monkeypatch):
    """Lever's settings page sends this to test a URL: `data` is empty, nothing to re-read. Its
    printed signature uses an unpublished token, so it is re-signed with ours (token and
    triggeredAt as printed; the clock is moved to just after it)."""
    from integrations.base import hmac_sha256_hex

    payload = json.loads(fixture("candidateHired__lever_docs_test_request"))
    monkeypatch.setattr(webhooks, "now_seconds", lambda: payload["triggeredAt"] / 1000 + 1)
    payload["signature"] = hmac_sha256_hex(SECRET, f"{payload['token']}{payload['triggeredAt']}".encode())
    integration = lever_integration()
    assert post(client, integration, json.dumps(payload).encode()).status_code == 200
    event = WebhookEvent.objects.get(integration=integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
