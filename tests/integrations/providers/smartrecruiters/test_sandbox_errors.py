"""The sandbox refuses as SmartRecruiters' OpenAPI (SRO) documents: the ErrorResponse body
{message, errors: [{code, message}]}, NO_PERMISSION_TO_MANAGE_WEBHOOKS without webhooks_manage,
and a company (client-credentials) token that carries the Assessment API's scopes, not the
customer's OAuth scopes."""

import pytest
from django.urls import reverse

from integrations.models import Integration, IntegrationActivity
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.oauth import token_get_access

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db

API = "/sim/smartrecruiters/api"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def company_token(client, integration) -> dict:
    """The company credentials SR issues at setUpIntegration, exchanged at SR's token endpoint."""
    company = sim.get("company", integration.demo["company_id"])
    company.update(company_client_id="sr-company-test", company_client_secret="sr-company-secret")
    sim.put("company", company["id"], company)
    answer = client.post(
        reverse("integrations:sim-smartrecruiters:oauth-token"),
        {
            "grant_type": "client_credentials",
            "client_id": "sr-company-test",
            "client_secret": "sr-company-secret",
        },
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_without_webhooks_manage_sr_answers_no_permission_to_manage_webhooks(
    client, client_in_workspace, sr_sim
):
    integration = sr_sim()
    granted = [s for s in constants.SCOPES if s != constants.SCOPE_WEBHOOKS_MANAGE]
    connect_via_simulator(client_in_workspace, integration, granted=granted)
    integration = Integration.objects.get(pk=integration.pk)

    answer = client.post(
        API + constants.VENDOR_SUBSCRIPTIONS_PATH,
        data={"callbackUrl": "https://example.com/hook", "events": ["job.created"]},
        content_type="application/json",
        headers=bearer(token_get_access(integration=integration)),
    )

    assert answer.status_code == 403
    body = answer.json()
    # SRO ErrorResponse: `errors` (required) of Error {code (required), message}, and `message`.
    assert set(body) == {"message", "errors"}
    assert [e["code"] for e in body["errors"]] == [constants.NO_PERMISSION_TO_MANAGE_WEBHOOKS]
    refused = IntegrationActivity.objects.get(
        integration=integration, kind="smartrecruiters.subscription_refused"
    )
    assert refused.data["vendor_code"] == constants.NO_PERMISSION_TO_MANAGE_WEBHOOKS
    assert "The scope webhooks_manage is needed" in integration.provider_settings["subscription"]["error"]


def test_the_company_token_carries_the_assessment_scopes_not_the_oauth_scopes(client, sr_sim):
    integration = sr_sim()

    token = company_token(client, integration)

    # SRO Result_updatePackageResult needs assessment_result_manage (scheme `oauth2`, which also
    # lists jobs_read and candidates_read); none of the customer's other OAuth scopes.
    assert token["scope"].split() == list(constants.COMPANY_TOKEN_SCOPES)
    assert constants.SCOPE_ASSESSMENT_RESULT_MANAGE in token["scope"].split()
    for oauth_only in (
        constants.SCOPE_WEBHOOKS_MANAGE,
        constants.SCOPE_CANDIDATES_MANAGE,
        constants.SCOPE_CONFIGURATION_READ,
    ):
        assert oauth_only not in token["scope"].split()
    # So SR refuses it where a customer scope is needed, with the documented code.
    subscriptions = client.get(
        API + constants.VENDOR_SUBSCRIPTIONS_PATH, headers=bearer(token["access_token"])
    )
    assert subscriptions.status_code == 403
    assert subscriptions.json()["errors"][0]["code"] == constants.NO_PERMISSION_TO_MANAGE_WEBHOOKS
    company = client.get(API + "/configuration/company", headers=bearer(token["access_token"]))
    assert company.status_code == 403 and "configuration_read" in company.json()["message"]


def test_results_need_the_assessment_result_scope_on_a_company_token(client, sr_sim):
    integration = sr_sim()
    company_id = integration.demo["company_id"]
    sim.put("order", "ord-1", {"id": "ord-1", "company": company_id, "status": "PENDING"})
    without = sim.client_token_issue(company_id=company_id, scopes=["jobs_read"], grant="company")
    refused = client.patch(
        f"{API}/assessment-api/v202010/orders/ord-1/results",
        data={"status": "COMPLETED"},
        content_type="application/json",
        headers=bearer(without["access_token"]),
    )
    assert refused.status_code == 403 and "assessment_result_manage" in refused.json()["message"]

    token = company_token(client, integration)
    accepted = client.patch(
        f"{API}/assessment-api/v202010/orders/ord-1/results",
        data={"status": "COMPLETED"},
        content_type="application/json",
        headers=bearer(token["access_token"]),
    )
    assert accepted.status_code == 200, accepted.content
