"""Knit as `shared/reference/lever-smartrecruiters-knit.md` §3 quotes it (audit G6, G7): a
`record.new` with only `eventType` and `eventData` is accepted and processed into a run, and the
pages do not present the seed's `record.deleted` for assessments as a Knit fact."""

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun, RunStatus
from integrations.models import WebhookEvent, WebhookStatus
from integrations.services.integrations import integration_create
from integrations.services.webhooks import webhook_event_process

from .helpers import API_KEY, knit_integration

pytestmark = pytest.mark.django_db

QUOTE = Path(__file__).parents[3] / "fixtures" / "knit" / "webhooks" / "record.new__reference_quote.json"


def knit_signature(key: str, body: bytes) -> str:
    """Knit's recipe (reference §3), written out here rather than through webhooks.sign:
    HMAC-SHA256 of the payload keyed with the Knit API key, base64 URL-safe without padding."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def post_quote(client, integration, body: bytes):
    return client.post(
        reverse("integrations:webhook", args=["knit", integration.public_id]),
        data=body,
        content_type="application/json",
        headers={"X-Knit-Signature": knit_signature(API_KEY, body)},
    )


def test_the_fixture_has_only_the_keys_the_reference_quotes():
    payload = json.loads(QUOTE.read_bytes())
    assert set(payload) == {"eventType", "eventData"}
    assert set(payload["eventData"]["candidateAssessment"]) == {
        "id", "applicationId", "jobId", "assessmentPackage", "callbackUrl", "candidate", "metaData", "originData",
    }  # fmt: skip


def test_record_new_as_the_reference_quotes_it_is_accepted_and_becomes_a_run(client):
    integration = knit_integration()
    body = QUOTE.read_bytes()

    response = post_quote(client, integration, body)

    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get(integration=integration)
    event = webhook_event_process(event_id=event.pk) or event
    assert event.status == WebhookStatus.PROCESSED, event.error
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_assessment_id == "ats_ass_PkX8gRRNx05D1cKvomNCW5"
    assert (run.candidate_first_name, run.candidate_email) == ("John", "john.doe@example.com")
    assert run.status == RunStatus.INVITED


def test_the_same_quoted_record_new_delivered_twice_is_processed_once(client):
    integration = knit_integration()
    body = QUOTE.read_bytes()
    assert post_quote(client, integration, body).status_code == 200
    webhook_event_process(event_id=WebhookEvent.objects.get(integration=integration).pk)
    second = post_quote(client, integration, body)
    assert second.status_code == 200, second.content
    assert second.json().get("status") == "duplicate"
    assert AssessmentRun.objects.filter(integration=integration).count() == 1


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_wizard_and_knit_setup_page_label_record_deleted_the_seeds_and_unconfirmed(
    client_in_workspace, workspace, user
):
    integration = integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )
    for url in (
        reverse("integrations:setup", args=[integration.pk]),
        reverse("integrations:integration-knit:setup", args=[integration.pk]),
    ):
        page = _text(client_in_workspace.get(url).content.decode())
        assert "record.deleted" in page, url
        assert "and record.deleted when Ashby cancels one, signed" not in page, url
        assert "and record.deleted (assessment.cancel), signed" not in page, url
        assert "record.deleted" in page.split("per the seed, unconfirmed")[0][-120:], url
