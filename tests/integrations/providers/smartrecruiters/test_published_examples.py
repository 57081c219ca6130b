"""Tests driven by the bodies SmartRecruiters publishes (tests/fixtures/smartrecruiters/*/README.md
names the page of each): the signature example's application.created body, the notification
example body, the help page's Subscription."""

import json
import re
from pathlib import Path

import pytest

from integrations.base import InboundRequest
from integrations.models import Integration, WebhookEvent, WebhookStatus
from integrations.providers.smartrecruiters import constants, selectors, webhooks
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.webhooks import webhook_event_process

from .test_webhooks import (
    VECTOR_HEADERS,
    VECTOR_KEY,
    VECTOR_SIGNATURE,
    post,
    vendor_headers,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "smartrecruiters"


def fixture(folder: str, name: str) -> bytes:
    return (FIXTURES / folder / name).read_bytes()


@pytest.mark.parametrize("folder", ["webhooks", "api"])
def test_every_fixture_names_its_source_or_says_it_is_invented(folder):
    notes = (FIXTURES / folder / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+\.json)` \| (PUBLISHED: https://\S+|INVENTED)", notes, re.M))
    files = sorted(p.name for p in (FIXTURES / folder).glob("*.json"))
    assert sorted(rows) == files, "one row per fixture file, and no row for a file that is gone"


def test_the_application_created_fixture_is_the_body_sr_signed_in_its_example():
    """Byte for byte: SR's published digest only matches these exact bytes."""
    body = fixture("webhooks", "application.created.json")
    request = InboundRequest(body=body, headers=VECTOR_HEADERS, query={})
    assert webhooks.v1_signature(VECTOR_KEY, request) == VECTOR_SIGNATURE


@pytest.mark.django_db
def test_the_published_application_created_body_refreshes_the_candidate_it_names(
    client, sr_integration, monkeypatch
):
    refreshed: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "integrations.providers.smartrecruiters.webhooks.sync_record_refresh_enqueue",
        lambda *, integration, resource, external_id: refreshed.append((resource, external_id)),
    )
    body = fixture("webhooks", "application.created.json")
    response = post(client, sr_integration, body, vendor_headers(body, constants.EVENT_APPLICATION_CREATED))
    assert response.status_code == 202
    event = WebhookEvent.objects.get(integration=sr_integration)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    assert refreshed == [("candidates", "cid")], "SR's example has no application_id: not needed"


def test_the_candidate_fixtures_are_the_published_notification_example():
    example = b'{\n  "id": "string"\n}'
    assert fixture("webhooks", "candidate.updated.json") == example
    assert fixture("webhooks", "candidate.deleted.json") == example


def test_the_published_subscription_is_read_as_sr_sends_it():
    subscription = json.loads(fixture("api", "subscription.json"))
    assert selectors.event_versions(subscription) == {"job.created": "1.0.0"}


@pytest.mark.django_db
def test_the_sandbox_answers_a_new_subscription_in_the_published_shape(connected):
    published = json.loads(fixture("api", "subscription.json"))
    integration = Integration.objects.get(pk=connected().pk)
    ours = (
        get_provider("smartrecruiters")
        .client(integration)
        .subscribe(callback_url="https://example.com/hook", events=["job.created"])
    )

    assert set(ours) == set(published)
    assert [set(e) for e in ours["events"]] == [set(e) for e in published["events"]]
    assert ours["status"] == published["status"] == "inactive"
    assert sim.get("subscription", ours["id"])["callbackUrl"] == "https://example.com/hook"


@pytest.mark.django_db
def test_the_help_page_subscription_callback_is_not_one_of_ours(connected):
    """A subscription SR lists for another callback URL (the help page's) is never taken for ours."""
    from integrations.providers.smartrecruiters import setup

    integration = connected()
    published = json.loads(fixture("api", "subscription.json"))
    state = selectors.subscription_state(integration)
    assert setup._ours([published], state, setup.callback_url(integration)) == []
