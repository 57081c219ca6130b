"""Issue 21: privacy export and delete match the candidate's exact address, also where a vendor
puts it in a URL path or query or after `key=` inside a JSON string; another person's address
that merely contains it (`xa@b.co`, `a@b.co.uk`, `joanna@b.com`) is never matched."""

import json

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from jobcannon.audit.privacy import body_mentions_address, candidate_delete
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

EMAIL = "a@b.co"
MENTIONS = {
    "query": {"link": "https://ats.example/c?email=a@b.co"},
    "query_later_field": {"link": "https://ats.example/c?ref=1&email=A@B.co#top"},
    "path": {"path": "/candidates/a@b.co"},
    "path_then_query": {"link": "https://ats.example/candidates/a@b.co?tab=notes"},
    "key_value": {"note": "contact=a@b.co"},
    "key_value_in_a_sentence": {"note": "Forwarded; contact=a@b.co, thanks."},
    "percent_encoded_path": {"link": "https://ats.example/candidates/a%40b.co"},
    "percent_encoded_query": {"link": "https://ats.example/c?email=a%40b.co"},
}
OTHER_PEOPLE = {
    "longer_local_part": {"path": "/candidates/xa@b.co"},
    "longer_domain": {"link": "https://ats.example/c?email=a@b.co.uk"},
    "substring": {"note": "contact=joanna@b.com"},
    "plus_is_part_of_the_address": {"note": "contact+a@b.co"},
    "longer_local_part_after_key": {"note": "contact=xa@b.co"},
    "percent_encoded_longer_domain": {"link": "https://ats.example/c?email=a%40b.co.uk"},
}


def _body(value: dict) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize("name", sorted(MENTIONS))
def test_an_address_in_a_url_or_after_a_key_is_found(name):
    assert body_mentions_address(_body(MENTIONS[name]), EMAIL)


@pytest.mark.parametrize("name", sorted(OTHER_PEOPLE))
def test_another_persons_address_is_not_found(name):
    assert not body_mentions_address(_body(OTHER_PEOPLE[name]), EMAIL)


def test_a_needle_holding_a_delimiter_is_still_compared_whole():
    assert body_mentions_address(_body({"link": "https://ats.example/c?email=x=a@b.co"}), "x=a@b.co")
    assert not body_mentions_address(_body({"note": "y=a@b.co"}), "x=a@b.co")


def test_export_lists_and_delete_purges_exactly_those_deliveries(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    events = {
        name: WebhookEvent.objects.create(
            provider="fake", integration=integration, status=WebhookStatus.PROCESSED, body=_body(value)
        )
        for name, value in {**MENTIONS, **OTHER_PEOPLE}.items()
    }

    export = client_in_workspace.post("/workspace/privacy/export/", {"export-email": EMAIL})
    listed = {d["id"] for d in json.loads(export.content)["webhook_deliveries"]}
    assert listed == {events[name].pk for name in MENTIONS}

    outcome = candidate_delete(workspace=workspace, email=EMAIL)
    assert outcome.webhook_bodies == len(MENTIONS)
    for name, event in events.items():
        event.refresh_from_db()
        assert (bytes(event.body) == b"") is (name in MENTIONS), name
