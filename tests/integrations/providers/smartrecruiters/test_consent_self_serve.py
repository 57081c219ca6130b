"""The consent page takes the proof a real SmartRecruiters tenant can produce: the company's
self-serve client credentials (SR Credential Manager → New Credential → OAuth client ID, SRD
/docs/authentication-oauth-client-credential), exchanged at SR's documented token URL and checked
with GET /configuration/company (SRO CompanyConfiguration.identifier). SR registers
authorization-code apps for partners, not customers, so a company needs no OAuth app of its own.
Also: the partner (master) secret only ever goes to SR's published token URL."""

from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.urls import reverse

from integrations.models import Integration, IntegrationStatus, OutboundCall, Token
from integrations.providers.smartrecruiters import constants, setup
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from tests.factories import IntegrationFactory

from .test_partner_api import form_post

pytestmark = pytest.mark.django_db

PROVIDER = get_provider("smartrecruiters")


def _company_without_an_oauth_app(name="Acme Hiring (sandbox)"):
    """A sandbox company as SR publishes one: no authorization-code app; JobCannon is listed
    (partner configuration saved), the admin generated self-serve client credentials."""
    sim.partner_master()
    assert sim.partner_configuration_save(setup.partner_configuration_body()) == ""
    company = sim.company_register(name=name, redirect_uri="", oauth_app=False)
    sim.put("company", company["id"], {**company, "rate_limit": 200})
    credential = sim.customer_credential_create(
        company["id"], scopes=list(constants.CUSTOMER_CREDENTIAL_SCOPES)
    )
    return company, credential


def _apps_connect(client, company_id):
    opened = client.post(reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id]))
    assert opened.status_code == 302, opened.content[:300]
    url = urlsplit(opened["Location"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


def _creds(credential, secret=None):
    return {
        "customer_client_id": credential["client_id"],
        "customer_client_secret": credential["client_secret"] if secret is None else secret,
    }


def test_a_company_with_no_oauth_app_completes_consent_with_its_self_serve_client_credentials(
    simulators, client_in_workspace, workspace
):
    company, credential = _company_without_an_oauth_app()
    assert not company["client_id"], "the sandbox company has no authorization-code app"
    path, query = _apps_connect(client_in_workspace, company["id"])

    page = client_in_workspace.get(path, query)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="customer_client_id"' in html and 'name="customer_client_secret"' in html
    assert "Settings → Apps &amp; Integrations → Credentials → New Credential → OAuth client ID" in html
    assert "contact JobCannon support" not in html

    done = form_post(client_in_workspace, path, {**query, "create": "1", **_creds(credential)})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:800]

    integration = Integration.objects.get(workspace=workspace, provider="smartrecruiters")
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.environment == "sandbox"
    # The proof is stored (encrypted, Integration.credentials) and the company credentials SR
    # issued at setUpIntegration are kept; no OAuth token was ever involved.
    assert integration.credential("customer_client_id") == credential["client_id"]
    assert integration.credential("customer_client_secret") == credential["client_secret"]
    issued = sim.get("company", company["id"])
    assert integration.credential("company_client_id") == issued["company_client_id"]
    assert integration.provider_settings["registered_company_id"] == company["id"]
    assert integration.provider_settings["company_name"] == company["name"]
    assert not Token.objects.filter(integration=integration).exists()
    # The proof call went to the documented token URL (the sandbox's) and GET /configuration/company.
    paths = list(OutboundCall.objects.filter(integration=integration).values_list("path", flat=True))
    assert any(p.endswith("/identity/oauth/token") for p in paths)
    assert any(p.endswith("/configuration/company") for p in paths)


def test_an_existing_integration_shows_the_company_with_pasted_client_credentials(
    simulators, client_in_workspace, sr_sim
):
    integration = sr_sim()  # never signed in with OAuth
    company_id = integration.demo["company_id"]
    credential = {
        "client_id": integration.demo["customer_client_id"],
        "client_secret": integration.demo["customer_client_secret"],
    }
    path, query = _apps_connect(client_in_workspace, company_id)
    done = form_post(
        client_in_workspace, path, {**query, "integration": integration.pk, **_creds(credential)}
    )
    assert done.status_code == 302, done.content[:800]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.credential("company_client_id") == sim.get("company", company_id)["company_client_id"]


def test_a_wrong_secret_is_a_page_error_naming_what_to_check_and_nothing_is_stored(
    simulators, client_in_workspace, workspace
):
    company, credential = _company_without_an_oauth_app()
    path, query = _apps_connect(client_in_workspace, company["id"])
    refused = form_post(client_in_workspace, path, {**query, "create": "1", **_creds(credential, "not-it")})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="sr-consent-error"' in html
    assert "SmartRecruiters did not accept this Client ID and Client secret" in html
    assert "Settings → Apps &amp; Integrations → Credentials" in html and "shown only once" in html
    assert not Integration.objects.filter(workspace=workspace, provider="smartrecruiters").exists()
    assert not sim.get("company", company["id"]).get("company_client_id"), "setUpIntegration not called"


def test_one_half_of_the_credentials_is_a_form_error(simulators, client_in_workspace, workspace):
    company, credential = _company_without_an_oauth_app()
    path, query = _apps_connect(client_in_workspace, company["id"])
    refused = form_post(
        client_in_workspace, path, {**query, "create": "1", "customer_client_id": credential["client_id"]}
    )
    assert refused.status_code == 400
    assert "Enter both the Client ID and the Client secret" in refused.content.decode()


def test_credentials_of_another_company_are_refused_409(simulators, client_in_workspace, workspace):
    company, _ = _company_without_an_oauth_app()
    _other, theirs = _company_without_an_oauth_app(name="Other Co (sandbox)")
    path, query = _apps_connect(client_in_workspace, company["id"])
    refused = form_post(client_in_workspace, path, {**query, "create": "1", **_creds(theirs)})
    assert refused.status_code == 409
    assert f"belong to company {theirs['company']}, not {company['id']}" in refused.content.decode()
    assert not Integration.objects.filter(workspace=workspace, provider="smartrecruiters").exists()


def test_credentials_without_the_company_scopes_name_the_scopes_to_add(
    simulators, client_in_workspace, workspace
):
    company, _ = _company_without_an_oauth_app()
    narrow = sim.customer_credential_create(company["id"], scopes=[constants.SCOPE_JOBS_READ])
    path, query = _apps_connect(client_in_workspace, company["id"])
    refused = form_post(client_in_workspace, path, {**query, "create": "1", **_creds(narrow)})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "company_read and configuration_read" in html and "System role" in html


def test_the_sandbox_issues_self_serve_credentials_not_a_company_oauth_app_to_paste(sr_sim):
    integration = sr_sim()
    values = PROVIDER.simulator_credentials(integration)
    credential = sim.customer_credential(values["customer_client_id"])
    assert credential is not None and credential["client_secret"] == values["customer_client_secret"]
    assert credential["company"] == integration.demo["company_id"]
    names = [f.name for f in PROVIDER.credential_fields(integration)]
    assert names[:2] == ["customer_client_id", "customer_client_secret"]
    fields = PROVIDER.credential_fields(integration)
    assert "Settings → Apps & Integrations → Credentials → New Credential → OAuth client ID" in fields[0].help


@responses.activate
def test_the_master_secret_never_goes_to_an_integrations_api_base_url_override(settings):
    settings.SMARTRECRUITERS_PARTNER_CLIENT_ID = "master-id"
    settings.SMARTRECRUITERS_PARTNER_CLIENT_SECRET = "master-secret"
    integration = IntegrationFactory(
        provider="smartrecruiters",
        environment="production",
        provider_settings={"api_base_url": "https://elsewhere.example.com"},
    )
    responses.add(
        responses.POST,
        constants.CLIENT_CREDENTIALS_TOKEN_URL,
        json={"access_token": "master-token", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.add(
        responses.GET,
        constants.API_BASE + constants.PARTNER_CONFIGURATION_PATH,
        json={"consentUrl": "https://jobcannon.example.com/x"},
    )
    assert PROVIDER.client_credentials_token_url(integration) == constants.CLIENT_CREDENTIALS_TOKEN_URL
    PROVIDER.partner_client(integration).partner_configuration_get()
    hosts = [urlsplit(call.request.url).hostname for call in responses.calls]
    assert hosts == ["api.smartrecruiters.com", "api.smartrecruiters.com"]
    assert "master-secret" in (responses.calls[0].request.body or "")
    assert not any("elsewhere.example.com" in call.request.url for call in responses.calls)
