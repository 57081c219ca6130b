"""Issue 21: a signed delivery whose data (not only action/webhookActionId) holds text no
database column can store, a lone UTF-16 surrogate ("\\ud800", which JSON may spell and json.loads
returns as is, but no UTF-8 encoder accepts) or NUL (PostgreSQL refuses it), is processed with
those characters replaced by U+FFFD, not retried until dead. The raw body keeps the bytes Ashby
signed. Runs on PostgreSQL too when DATABASE_URL points at it (NUL is the PostgreSQL case)."""

import json

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from integrations.services.webhooks import webhook_event_process
from integrations.sync.models import Application
from integrations.sync.models import Candidate as SyncedCandidate

from .helpers import ashby_integration, fixture, post_webhook, sign_real

pytestmark = pytest.mark.django_db

CANDIDATE_ID = "8f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"
APPLICATION_ID = "c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f"


def _application_submit_with(escape: str) -> bytes:
    """Ashby's applicationSubmit fixture with `escape` (a JSON escape, as sent on the wire) in
    the candidate's name and the job title."""
    body = fixture("applicationSubmit").decode()
    assert '"name":"Robin Sample"' in body and '"title":"Backend Engineer"' in body
    body = body.replace('"name":"Robin Sample"', f'"name":"Robin{escape} Sample"')
    return body.replace('"title":"Backend Engineer"', f'"title":"Backend{escape} Engineer"').encode()


@pytest.mark.parametrize(
    "escape", ["\\ud800", "\\u0000", "\\udfff\\ud800"], ids=["surrogate", "nul", "reversed_pair"]
)
def test_application_submit_with_unstorable_text_in_its_data_is_processed_and_stored(client, escape):
    integration = ashby_integration()
    body = _application_submit_with(escape)
    assert post_webhook(client, integration, body, sign_real(body)).status_code == 200
    event = WebhookEvent.objects.get(integration=integration)

    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    assert event.attempts == 1
    replaced = "\ufffd" * escape.count("\\u")
    candidate = SyncedCandidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert candidate.name == f"Robin{replaced} Sample"
    assert candidate.email == "robin.sample@example.com"
    application = Application.objects.get(integration=integration, external_id=APPLICATION_ID)
    assert application.candidate == candidate
    assert bytes(event.body) == body  # what Ashby signed stays as sent


def test_a_valid_surrogate_pair_is_kept_as_the_character_it_spells(client):
    integration = ashby_integration()
    body = _application_submit_with("\\ud83d\\ude00")  # 😀, as json.dumps writes it
    post_webhook(client, integration, body, sign_real(body))

    webhook_event_process(event_id=WebhookEvent.objects.get(integration=integration).pk)

    name = SyncedCandidate.objects.get(integration=integration, external_id=CANDIDATE_ID).name
    assert name == "Robin\U0001f600 Sample" == json.loads('"Robin\\ud83d\\ude00 Sample"')


def test_the_drain_processes_it_in_its_batch_with_the_other_deliveries(client):
    from integrations.services.webhooks import webhook_event_process_batch

    integration = ashby_integration()
    for body in (_application_submit_with("\\ud800"), fixture("jobCreate")):
        post_webhook(client, integration, body, sign_real(body))

    processed = webhook_event_process_batch(limit=10)

    assert len(processed) == 2
    statuses = set(WebhookEvent.objects.filter(integration=integration).values_list("status", flat=True))
    assert statuses == {WebhookStatus.PROCESSED}
    name = SyncedCandidate.objects.get(integration=integration, external_id=CANDIDATE_ID).name
    assert name == "Robin\ufffd Sample"
