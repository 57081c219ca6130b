"""JobCannon's partner configuration at SmartRecruiters (savePartnerConfig, PUT
/assessment-api/v202010/partner/configuration with the master credentials): where SR reaches our
consent page, packages, orders, token and removal endpoints. Until it is saved SR answers
setUpIntegration 404 "Partner configuration does not exist" (SRO); the consent then fails with the
reason and the command that fixes it, and succeeds once `manage.py
smartrecruiters_partner_configure` ran."""

from io import StringIO

import pytest
from django.core.management import call_command

from integrations.models import IntegrationStatus, OutboundCall
from integrations.providers.smartrecruiters import constants, setup
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import provider_for

from .test_partner_api import BASE, form_post

pytestmark = pytest.mark.django_db


def _forget_partner_configuration():
    """SR has JobCannon's master credentials (Partner Operations issued them) but JobCannon never
    told it where its endpoints are."""
    partner = sim.partner_master()
    sim.put(
        "partner",
        sim.PARTNER_KEY,
        {"client_id": partner["client_id"], "client_secret": partner["client_secret"]},
    )


def test_without_partner_configuration_setup_is_404_explained_and_the_command_fixes_it(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    company_id = integration.demo["company_id"]
    _forget_partner_configuration()
    # The company consented in SR's Apps & Integrations (SR would not even list JobCannon without
    # a configuration; the consent page is opened directly here).
    sim.put("company", company_id, {**sim.get("company", company_id), "partner_consent": True})

    refused = form_post(
        client_in_workspace, BASE + "integration", {"companyId": company_id, "integration": integration.pk}
    )
    assert refused.status_code == 502
    page = refused.content.decode()
    assert 'id="sr-consent-error"' in page and "Partner configuration does not exist" in page
    assert constants.PARTNER_CONFIGURE_COMMAND in page, "the page names the fix"
    integration.refresh_from_db()
    assert integration.provider_settings["partner_registered"] is False
    assert constants.PARTNER_CONFIGURE_COMMAND in integration.provider_settings["partner_error"]
    assert not integration.credential("company_client_id")
    assert not sim.partner_configuration(), "nothing set it behind the partner's back"

    out = StringIO()
    call_command("smartrecruiters_partner_configure", integration=integration.pk, stdout=out)
    assert "Partner configuration saved" in out.getvalue()
    put = OutboundCall.objects.filter(
        integration=integration, operation="assessment.partner_configuration.save"
    )
    assert put.count() == 1 and put.get().method == "PUT"
    assert put.get().path.endswith("/assessment-api/v202010/partner/configuration")
    saved = sim.get("partner", sim.PARTNER_KEY)["configuration"]
    assert saved == setup.partner_configuration_body()
    assert saved["consentUrl"] == "http://testserver" + BASE + "integration"
    assert saved["consentDisplayMode"] == "REDIRECT"

    done = form_post(
        client_in_workspace, BASE + "integration", {"companyId": company_id, "integration": integration.pk}
    )
    assert done.status_code == 200 and b'id="sr-consent-done"' in done.content
    integration.refresh_from_db()
    assert integration.provider_settings["partner_registered"] is True
    assert integration.credential("company_client_id") == sim.get("company", company_id)["company_client_id"]
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason


def test_the_sandbox_answers_partner_configuration_only_to_the_master_token(client, sr_sim, simulators):
    import requests

    integration = sr_sim()
    api = f"{provider_for(integration).api_base_url(integration)}{constants.PARTNER_CONFIGURATION_PATH}"
    master = sim.partner_master()
    token = requests.post(
        provider_for(integration).client_credentials_token_url(integration),
        data={
            "grant_type": "client_credentials",
            "client_id": master["client_id"],
            "client_secret": master["client_secret"],
        },
        timeout=5,
    ).json()["access_token"]
    got = requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert got.status_code == 200 and got.json()["packagesUrl"].endswith(BASE + "packages")

    _forget_partner_configuration()
    missing = requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert missing.status_code == 404 and missing.json()["message"] == "Partner configuration does not exist."

    refused = requests.put(
        api, json={"consentUrl": "not a url"}, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert refused.status_code == 400

    # A company token (or the customer's OAuth token) is not the partner's.
    company = sim.client_token_issue(
        company_id=integration.demo["company_id"],
        scopes=list(constants.COMPANY_TOKEN_SCOPES),
        grant="company",
    )
    other = requests.put(
        api,
        json=setup.partner_configuration_body(),
        headers={"Authorization": f"Bearer {company['access_token']}"},
        timeout=5,
    )
    assert other.status_code == 403 and not sim.partner_configuration()
