"""DELETE integrations/companies/{companyId}: SRO declares no `security` for
removeIntegrationOnPartnerSide and SR's OCM reference client sends it with AUTH_MODE "either", so
we accept our Bearer token or HTTP Basic with the partner client id and secret we issued (as
oauth/token does). An unauthenticated call is refused: it would let anyone disconnect a company."""

import base64

import pytest

from integrations.models import IntegrationStatus
from integrations.providers.smartrecruiters import simulator_calls as calls
from integrations.providers.smartrecruiters import simulator_state as sim

from .test_company_credentials_revoked import sim_post
from .test_partner_api import BASE, partner, token_for  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture
def acme(partner):  # noqa: F811
    integration, client_id, secret = partner
    integration.provider_settings = {"company_id": "AcmeCorp"}
    integration.save()
    return integration, client_id, secret


def test_the_company_removal_is_accepted_with_basic_partner_credentials(client, acme):
    integration, client_id, secret = acme
    assert (
        client.delete(BASE + "integrations/companies/OtherCorp", headers=basic(client_id, secret)).status_code
        == 404
    )
    assert (
        client.delete(BASE + "integrations/companies/AcmeCorp", headers=basic(client_id, secret)).status_code
        == 204
    )
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED


def test_the_company_removal_is_refused_without_credentials_or_with_a_wrong_secret(client, acme):
    integration, client_id, secret = acme
    url = BASE + "integrations/companies/AcmeCorp"
    assert client.delete(url).status_code == 401
    wrong = client.delete(url, headers=basic(client_id, secret + "x"))
    assert wrong.status_code == 401 and "wrong secret" in wrong.json()["error"]["message"]
    assert client.delete(url, headers=basic("jcsr_unknown", secret)).status_code == 401
    integration.refresh_from_db()
    assert integration.status != IntegrationStatus.DISCONNECTED
    # Our Bearer token still works as before.
    bearer = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    assert client.delete(url, headers=bearer).status_code == 204


def test_the_sandbox_removes_jobcannon_with_basic_partner_credentials(
    client_in_workspace, connected, monkeypatch
):
    integration = connected()
    company_id = integration.demo["company_id"]
    company = sim.get("company", company_id)
    sim.put("company", company_id, {**company, "removal_auth": "basic"})

    def no_token(_saved):
        raise ValueError("the Basic removal asks our token endpoint for nothing")

    monkeypatch.setattr(calls, "_partner_token", no_token)
    sim_post(client_in_workspace, "apps-remove", integration)  # Apps & Integrations → JobCannon → Remove

    removal = next(d for d in sim.deliveries(company_id) if d["kind"] == "removal")
    assert removal["status"] == 204, removal
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED
