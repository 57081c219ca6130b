"""setUpIntegration's master-token scope. SRD /reference/assessment-partner-integration, step 1:
"Validates if token has client_credentials_write scope (created using master credentials)"; SRO's
`security` for the operation declares partner_configuration_manage. The sandbox requires both,
and our partner client asks for both by name when it takes the master token."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests

from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import provider_for

pytestmark = pytest.mark.django_db


def _setup_url(integration, company_id: str) -> str:
    base = provider_for(integration).api_base_url(integration)
    return f"{base}{constants.ASSESSMENT_API}/integration/company/{company_id}"


def _master_token(integration, scope: str) -> requests.Response:
    master = sim.partner_master()
    return requests.post(
        provider_for(integration).client_credentials_token_url(integration),
        data={
            "grant_type": "client_credentials",
            "client_id": master["client_id"],
            "client_secret": master["client_secret"],
            "scope": scope,
        },
        timeout=5,
    )


def test_set_up_integration_refuses_a_master_token_without_client_credentials_write(sr_sim, simulators):
    integration = sr_sim()
    company_id = integration.demo["company_id"]
    sim.put("company", company_id, {**sim.get("company", company_id), "partner_consent": True})
    body = {"clientId": "jcsr_example", "clientSecret": "example-secret-0001"}

    narrow = _master_token(integration, constants.SCOPE_PARTNER_CONFIGURATION_MANAGE)
    assert (
        narrow.status_code == 200 and narrow.json()["scope"] == constants.SCOPE_PARTNER_CONFIGURATION_MANAGE
    )
    headers = {"Authorization": f"Bearer {narrow.json()['access_token']}"}
    refused = requests.post(_setup_url(integration, company_id), json=body, headers=headers, timeout=5)
    assert (
        refused.status_code == 403 and constants.SCOPE_CLIENT_CREDENTIALS_WRITE in refused.json()["message"]
    )
    assert not sim.get("company", company_id).get("company_client_id"), "nothing was issued"

    both = _master_token(
        integration,
        f"{constants.SCOPE_CLIENT_CREDENTIALS_WRITE} {constants.SCOPE_PARTNER_CONFIGURATION_MANAGE}",
    )
    headers = {"Authorization": f"Bearer {both.json()['access_token']}"}
    accepted = requests.post(_setup_url(integration, company_id), json=body, headers=headers, timeout=5)
    assert (
        accepted.status_code == 200
        and accepted.json()["clientId"] == sim.get("company", company_id)["company_client_id"]
    )


def test_the_sandbox_refuses_a_master_token_request_for_scopes_it_was_not_approved_for(sr_sim, simulators):
    integration = sr_sim()
    refused = _master_token(integration, "candidates_read")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


def test_our_master_token_asks_for_client_credentials_write_and_the_registration_passes(
    connected, simulators
):
    integration = connected()
    master = sim.partner_master()
    asked = [
        parse_qs(call.request.body)
        for call in simulators.calls
        if call.request.url.endswith(constants.TOKEN_PATH)
        and isinstance(call.request.body, str)
        and f"client_id={master['client_id']}" in call.request.body
    ]
    assert asked, "the partner client took a master token"
    for form in asked:
        assert set(form["scope"][0].split()) == {
            constants.SCOPE_CLIENT_CREDENTIALS_WRITE,
            constants.SCOPE_PARTNER_CONFIGURATION_MANAGE,
        }
    assert integration.provider_settings["partner_registered"] is True
    assert integration.credential("company_client_id")
