"""What we send to Ashby, checked against the request schemas of Ashby's OpenAPI (third-party mirror)
(tests/fixtures/ashby/openapi/ashby-api-used-openapi.yml), format validation on: webhook.create
(the webhookType enum), webhook.delete, assessment.update (uuid ids, blobs) and
candidate.createNote."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from integrations.models import IntegrationStatus, WritebackMessage
from integrations.providers.ashby import constants
from integrations.services.integrations import integration_credentials_check
from integrations.services.writeback import writeback_deliver

from .helpers import ashby_integration, scored_run
from .partner_spec import USED_SPEC

API = constants.API_BASE
SPEC = yaml.safe_load(USED_SPEC.read_text())


def request_errors(endpoint: str, body: dict) -> list[str]:
    schema = SPEC["paths"][f"/{endpoint}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def sent(mocked_responses, endpoint: str) -> list[dict]:
    return [
        json.loads(c.request.body or b"{}")
        for c in mocked_responses.calls
        if c.request.url == f"{API}/{endpoint}"
    ]


def test_the_fixture_checks_formats_and_enums():
    """A check that cannot fail is no check: the seed's names and a non-uuid id are refused."""
    assert request_errors(
        "webhook.create", {"webhookType": "candidate.created", "requestUrl": "https://x", "secretToken": "t"}
    )
    assert request_errors("assessment.update", {"assessment_id": "asm-1", "timestamp": 1})


@pytest.mark.django_db
def test_connect_sends_api_key_info_and_webhook_bodies_ashby_accepts(mocked_responses):
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(
        API + "/webhook.create",
        json={"success": True, "results": {"id": "e9ed20fd-d45f-4aad-8a00-a19bfba0083e", "enabled": True}},
    )
    mocked_responses.post(API + "/webhook.delete", json={"success": True, "results": {}})
    assert integration_credentials_check(integration=integration)
    # A rotated secret re-registers: the old webhook is deleted by its uuid.
    integration.refresh_from_db()
    integration.webhook_secrets = [{"secret": "whsec_rotated", "created_at": "2026-06-01T00:00:00+00:00"}]
    integration.save()
    assert integration_credentials_check(integration=integration)

    bodies = {
        endpoint: sent(mocked_responses, endpoint)
        for endpoint in ("apiKey.info", "webhook.create", "webhook.delete")
    }
    assert bodies["webhook.create"] and bodies["webhook.delete"]
    for endpoint, calls in bodies.items():
        for body in calls:
            assert not request_errors(endpoint, body), (endpoint, body, request_errors(endpoint, body))


@pytest.mark.parametrize("event", ["started", "completed", "cancelled", "expired"])
@pytest.mark.django_db
def test_assessment_update_bodies_match_the_published_request_schema(mocked_responses, event):
    integration = ashby_integration()
    mocked_responses.post(API + "/assessment.update", json={"success": True, "results": {}})
    run = scored_run(integration, assessment_id=str(uuid.uuid4()))
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_ASSESSMENT_UPDATE,
        event=event,
        idempotency_key=event,
    )
    writeback_deliver(message_id=message.pk)
    (body,) = sent(mocked_responses, "assessment.update")
    assert not request_errors("assessment.update", body), request_errors("assessment.update", body)


@pytest.mark.django_db
def test_the_update_request_returned_by_start_matches_assessment_update(client):
    """assessment.start's `update_request` is, per the spec, an assessment.update request body."""
    from .helpers import partner_post, start_body, with_partner_key

    integration = ashby_integration()
    key = with_partner_key(integration)
    body = partner_post(client, integration, "assessment-start", start_body(), key).json()
    update = body["results"]["update_request"]
    assert not request_errors("assessment.update", update), request_errors("assessment.update", update)


@pytest.mark.django_db
def test_scorecard_note_body_matches_the_published_request_schema(mocked_responses):
    integration = ashby_integration()
    mocked_responses.post(API + "/candidate.createNote", json={"success": True, "results": {"id": "n"}})
    run = scored_run(integration)
    run.external_candidate_id = "f9e52a51-a075-4116-a7b8-484deba69004"  # the spec's example candidate id
    run.save()
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_SCORECARD,
        event="completed",
        idempotency_key="n",
    )
    writeback_deliver(message_id=message.pk)
    (body,) = sent(mocked_responses, "candidate.createNote")
    assert not request_errors("candidate.createNote", body), request_errors("candidate.createNote", body)
    assert body["note"]["type"] == "text/html"
