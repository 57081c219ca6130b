"""Junk sent to a real integration's own webhook URL /webhooks/<provider>/<public id>/ (issue 21).

Anyone who knows one customer's URL can send it bodies that do not verify. What that may cost is
bounded per integration (integrations/services/webhook_intake.py):

- the rows it stores: rejected rows an integration claims take from that integration's budget
  (WEBHOOK_REJECTED_STORE_BUDGET_PER_INTEGRATION), so one customer's URL under attack cannot use
  up what is kept of another customer's rejected deliveries (a wrong secret they need to see);
  junk that no integration claimed takes from the provider's own pool and cannot either.

(How long the rows it stores are kept: tests/jobcannon/audit/test_rejected_retention.py.)"""

from __future__ import annotations

import uuid

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from tests.factories import IntegrationFactory
from tests.integrations.test_webhook_hintless import ATS, body_for, send

pytestmark = pytest.mark.django_db


def slash64(n: int) -> str:
    """An address in the n-th /64 of one /48: each its own client for the per-address budgets."""
    return f"2001:db8:7:{n:x}::1"


def url(integration) -> str:
    return f"/webhooks/fake/{integration.public_id}/"


def stored_rejections(integration) -> int:
    return WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.REJECTED).count()


# --- what is stored ---------------------------------------------------------------------------


def test_a_flood_at_one_integrations_url_does_not_stop_another_customers_rejection_being_kept(
    client, settings
):
    """The audit's probe: junk to A's URL from ever new addresses spent the provider's one budget
    for rejected rows, and B's genuine delivery signed with a stale secret was answered 401 but
    not kept, so B's customer could not see why their ATS was refused."""
    settings.WEBHOOK_REJECTED_STORE_BUDGET = {"per_second": 1e-6, "burst": 5}
    settings.WEBHOOK_REJECTED_STORE_BUDGET_PER_INTEGRATION = {"per_second": 1e-6, "burst": 3}
    a, b = IntegrationFactory(), IntegrationFactory()  # two workspaces, one provider
    assert a.workspace_id != b.workspace_id

    junk = [
        send(client, body_for(n), secret="whsec_wrong", address=slash64(n), path=url(a)) for n in range(12)
    ]
    assert [r.status_code for r in junk] == [401] * 12
    assert stored_rejections(a) == 3  # A's own budget
    assert all("Not kept in the webhook log" in r.json()["error"]["message"] for r in junk[3:])

    stale = send(client, body_for("b"), secret="whsec_rotated_away", address=ATS, path=url(b))
    assert stale.status_code == 401
    assert "Not kept" not in stale.json()["error"]["message"]
    kept = WebhookEvent.objects.get(integration=b)
    assert kept.status == WebhookStatus.REJECTED and kept.rejection_reason  # B's log says why


def test_junk_no_integration_claimed_does_not_stop_a_customers_rejection_being_kept(client, settings):
    settings.WEBHOOK_REJECTED_STORE_BUDGET = {"per_second": 1e-6, "burst": 2}
    integration = IntegrationFactory()
    for n in range(5):  # made-up integration ids, each from its own /64
        send(client, body_for(n), address=slash64(n), path=f"/webhooks/fake/{uuid.uuid4()}/")
    assert WebhookEvent.objects.filter(integration__isnull=True).count() == 2

    stale = send(client, body_for("b"), secret="whsec_rotated_away", address=ATS, path=url(integration))
    assert stale.status_code == 401
    assert stored_rejections(integration) == 1
