"""After SmartRecruiters' company removal (DELETE integrations/companies/{companyId}: "remove
JobCannon" in Apps & Integrations), the way back is the company's consent again, SR's Apps &
Integrations → JobCannon → Connect, which opens our consent page (SRD /docs/integration-workflow).
That consent alone must bring orders back, whether or not the integration ever had the optional
OAuth sign-in (whose token survives the disconnect), and the integration page must say so."""

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import IntegrationStatus, Token
from integrations.providers.smartrecruiters import simulator_state as sim

from .helpers import consent_allow, consent_open
from .test_checklist_advice import check_item
from .test_partner_api import form_post
from .test_simulator_flow import move, new_candidate

pytestmark = pytest.mark.django_db


def _remove_in_smartrecruiters(client, integration) -> None:
    """Apps & Integrations → JobCannon → Remove in the sandbox: SR calls our DELETE (204)."""
    company_id = integration.demo["company_id"]
    removed = client.post(reverse("integrations:sim-smartrecruiters:apps-remove", args=[company_id]))
    assert removed.status_code == 302, removed.content[:300]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED


def _consent_again(client, integration) -> None:
    """Apps & Integrations → JobCannon → Connect, then Allow on our consent page with the
    company's self-serve client credentials; SR's flow goes back to the sandbox."""
    company_id = integration.demo["company_id"]
    consent_allow(
        client,
        *consent_open(client, company_id),
        integration,
        integration.demo["customer_client_id"],
        integration.demo["customer_client_secret"],
    )


def _order_delivery(client, integration) -> dict:
    """SR orders the assessment (candidate moved to the auto-trigger stage): SR's delivery."""
    candidate_id = new_candidate(client, integration, email="jordan.reconsent@example.com")
    move(client, integration, candidate_id, "assessment")
    return sim.orders(integration.demo["company_id"], candidate_id)[0]["delivery"]


def test_reconsent_after_removal_reconnects_an_integration_that_had_the_oauth_sign_in(
    client_in_workspace, connected
):
    integration = connected()  # consent, then the optional OAuth sign-in
    assert Token.objects.filter(integration=integration).exists()
    _remove_in_smartrecruiters(client_in_workspace, integration)
    assert Token.objects.filter(integration=integration).exists(), "the OAuth token survives the removal"

    _consent_again(client_in_workspace, integration)  # the consent page alone, no re-authorization
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert integration.provider_settings["partner_registered"] is True
    assert integration.provider_settings["subscription"]["status"] == "active", "webhooks subscribed again"
    assert (
        integration.credential("company_client_id")
        == sim.get("company", integration.demo["company_id"])["company_client_id"]
    )

    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["ok"] and delivery["status"] == 202, delivery
    assert AssessmentRun.objects.filter(integration=integration).count() == 1


def test_reconsent_after_removal_reconnects_a_consent_only_integration(client_in_workspace, sr_sim):
    integration = sr_sim()
    _consent_again(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not Token.objects.filter(integration=integration).exists()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    # Allow without pasting again: SR accepted this company for this integration before.
    path, query = consent_open(client_in_workspace, integration.demo["company_id"])
    done = form_post(client_in_workspace, path, {**query, "integration": integration.pk})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:800]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["ok"] and delivery["status"] == 202, delivery


def test_after_removal_the_checklist_says_smartrecruiters_removed_it_and_how_to_consent_again(
    client_in_workspace, connected
):
    integration = connected()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = check_item(html, "credentials")
    text = " ".join(text.split())
    assert state == "fail"
    assert "JobCannon was removed in SmartRecruiters" in text
    assert "Settings → Apps &amp; Integrations → JobCannon → Connect → Authorize and Continue" in text
    assert "does not restore orders" in text
    assert "A workspace admin disconnected it" not in text and "Reconnect to resume" not in text

    # ... and once the company consents again, the checklist item passes.
    _consent_again(client_in_workspace, integration)
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert check_item(html, "credentials")[0] == "ok"


def test_a_workspace_admin_disconnect_keeps_the_generic_fix(client_in_workspace, connected):
    integration = connected()
    disconnected = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "disconnect"])
    )
    assert disconnected.status_code == 302
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = check_item(html, "credentials")
    assert state == "fail" and "Reconnect to resume" in text
    assert "Apps &amp; Integrations → JobCannon → Connect" not in text
