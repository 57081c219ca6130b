"""SR sends an event-version header on every Webhooks API callback (its own demo receiver reads
it on each one: smartrecruiters/sr-webhooks-client lib/api/router/webhooks.js, internalEvent) and
signs over it (SRD /reference/subscriptionsgeneratesecretkey-1: "<timestamp>.<body>.<event-id>.
<event-name>.<event-version>.<link>"). The sandbox does the same for every event we subscribe to:
the published version where there is one, else its placeholder [I]. Our intake verifies those
deliveries and refuses one whose version was changed on the way."""

import pytest
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_calls as calls
from integrations.providers.smartrecruiters import simulator_state as sim

pytestmark = pytest.mark.django_db

SIGNED = (
    "event-id",
    "event-name",
    "event-version",
    "link",
    "smartrecruiters-timestamp",
    "smartrecruiters-signature",
)


def _header(event: WebhookEvent, name: str) -> str:
    return next((v for k, v in event.headers.items() if k.lower() == name), "")


@pytest.mark.parametrize(
    ("event", "ids", "link"),
    [
        (
            "application.status.updated",
            {"job_id": "j", "candidate_id": "c", "application_id": "a"},
            "/candidates/c/jobs/j",
        ),
        ("candidate.updated", {"id": "c"}, "/candidates/c"),
        ("candidate.deleted", {"id": "c"}, ""),  # SRO: no Link header on candidate.deleted
    ],
)
def test_every_event_arrives_with_a_signed_event_version_and_is_verified(connected, client, event, ids, link):
    integration = connected()
    company = sim.get("company", integration.demo["company_id"])
    api = "http://testserver/sim/smartrecruiters/api"
    assert calls.webhook_send(company, event, ids=ids, link=api + link if link else "") == [202]

    received = WebhookEvent.objects.get(integration=integration, event_type=event)
    assert received.verified and received.signature_scheme == "smartrecruiters-v1"
    assert _header(received, "event-version"), "SR sends event-version on every callback"
    assert _header(received, "event-version") == constants.SANDBOX_UNPUBLISHED_EVENT_VERSION
    assert event not in constants.PUBLISHED_EVENT_VERSIONS, "a placeholder, not a published version"

    # The same delivery with its version changed on the way no longer matches the signature.
    headers = {name: _header(received, name) for name in SIGNED if _header(received, name)}
    headers["event-version"] = "v999999"
    url = reverse("integrations:webhook", args=["smartrecruiters", integration.public_id])
    refused = client.post(url, data=bytes(received.body), content_type="application/json", headers=headers)
    assert refused.status_code == 401
    rejected = WebhookEvent.objects.filter(integration=integration).latest("pk")
    assert rejected.status == WebhookStatus.REJECTED and "signature" in rejected.rejection_reason.lower()


def test_a_published_version_is_sent_as_published(connected):
    integration = connected()
    company = sim.get("company", integration.demo["company_id"])
    calls.webhook_send(
        company,
        "application.created",
        ids={"job_id": "j", "candidate_id": "c", "application_id": "a"},
        link="http://testserver/sim/smartrecruiters/api/candidates/c/jobs/j",
    )
    received = WebhookEvent.objects.get(integration=integration, event_type="application.created")
    assert received.verified and _header(received, "event-version") == "v201910"
