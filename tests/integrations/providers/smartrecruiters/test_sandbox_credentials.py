"""The sandbox's Settings → Apps & Integrations → Credentials page: where a company administrator
of the built-in SmartRecruiters sandbox makes the client credentials our consent page asks for, as
in SR's Credential Manager (New Credential → OAuth client ID → name, description, scopes →
Generate; the Client ID and Client secret are shown once: SRD
/docs/authentication-oauth-client-credential, 1Password's and learningbank's SmartRecruiters
guides). Without it the sandbox's consent flow could not be finished from its own pages."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import IntegrationStatus
from integrations.providers.smartrecruiters import constants
from tests.factories import IntegrationFactory

from .helpers import browser_sandbox_integration, consent_allow, consent_open

pytestmark = pytest.mark.django_db

NS = "integrations:sim-smartrecruiters:"


def _code(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert found, f"#{element_id} not on the page"
    return found.group(1).strip()


def _new_credential(client, company_id, **overrides):
    data = {
        "type": "oauth_client_id",
        "name": "JobCannon consent",
        "description": "Proves the company to JobCannon",
        "scopes": list(constants.CUSTOMER_CREDENTIAL_SCOPES),
        **overrides,
    }
    return client.post(reverse(NS + "credentials", args=[company_id]), data)


def test_the_company_page_and_app_settings_link_the_credentials_page_which_lists_without_secrets(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    company_id = integration.demo["company_id"]
    url = reverse(NS + "credentials", args=[company_id])
    for page in (NS + "company", NS + "settings"):
        html = client_in_workspace.get(reverse(page, args=[company_id])).content.decode()
        assert f'href="{url}"' in html, page

    page = client_in_workspace.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Apps &amp; Integrations" in html and "New Credential" in html and "OAuth client ID" in html
    # demo_setup's credential is listed by its Client ID; its secret was shown once and is not again.
    assert integration.demo["customer_client_id"] in html
    assert integration.demo["customer_client_secret"] not in html


def test_new_credential_shows_the_secret_once_and_the_consent_page_links_here_and_takes_it(
    simulators, client_in_workspace, sr_sim
):
    integration = sr_sim()  # never signed in with OAuth, no credential of the company stored
    company_id = integration.demo["company_id"]
    credentials_url = reverse(NS + "credentials", args=[company_id])

    made = _new_credential(client_in_workspace, company_id)
    assert made.status_code == 200
    html = made.content.decode()
    client_id, secret = _code(html, "sim-new-client-id"), _code(html, "sim-new-client-secret")
    assert "shown only once" in html
    again = client_in_workspace.get(credentials_url).content.decode()
    assert client_id in again and "JobCannon consent" in again and secret not in again

    # Apps & Integrations → connect JobCannon opens our consent page, which points at this page.
    path, query = consent_open(client_in_workspace, company_id)
    page = client_in_workspace.get(path, query).content.decode()
    assert f'href="{credentials_url}"' in page
    assert 'id="sr-consent-sandbox-credentials"' in page

    consent_allow(client_in_workspace, path, query, integration, client_id, secret)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.credential("customer_client_id") == client_id


def test_a_credential_without_a_name_or_a_scope_is_refused_with_the_reason(client_in_workspace, sr_sim):
    company_id = sr_sim().demo["company_id"]
    for overrides in ({"name": " "}, {"scopes": []}, {"scopes": ["not_a_scope"]}):
        refused = _new_credential(client_in_workspace, company_id, **overrides)
        assert refused.status_code == 400, overrides
        assert 'role="alert"' in refused.content.decode()
        assert 'id="sim-new-client-secret"' not in refused.content.decode()
    assert client_in_workspace.get(reverse(NS + "credentials", args=["co-nope"])).status_code == 404


def test_the_consent_page_links_no_sandbox_page_for_a_company_outside_the_sandbox(
    simulators, client_in_workspace, workspace, sr_sim
):
    consent = reverse("integrations:partner-smartrecruiters:consent")
    # A production integration, opened by SmartRecruiters itself: SR's own Credential Manager.
    IntegrationFactory(workspace=workspace, provider="smartrecruiters", environment="production")
    page = client_in_workspace.get(consent, {"companyId": "acme-real"}).content.decode()
    assert "Settings → Apps &amp; Integrations → Credentials" in page
    assert "sr-consent-sandbox-credentials" not in page
    # A sandbox integration, but a company the sandbox does not hold.
    sr_sim()
    page = client_in_workspace.get(consent, {"companyId": "acme-real"}).content.decode()
    assert "sr-consent-sandbox-credentials" not in page


def test_the_consent_page_links_no_sandbox_page_where_simulators_are_off(
    simulators, client_in_workspace, sr_sim, settings
):
    company_id = sr_sim().demo["company_id"]
    settings.ATS_SIMULATORS_ENABLED = False
    consent = reverse("integrations:partner-smartrecruiters:consent")
    page = client_in_workspace.get(consent, {"companyId": company_id}).content.decode()
    assert "sr-consent-sandbox-credentials" not in page and "/sim/" not in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_sandbox_credentials_then_consent_connects_the_integration(page):
    """README "Try it end to end": integration page → Open the SmartRecruiters sandbox →
    Credentials → New Credential → Apps & Integrations: connect JobCannon → our consent page →
    paste → Allow → back in the sandbox, and the integration is connected."""
    integration = browser_sandbox_integration(page)

    page.goto(f"/integrations/{integration.pk}/")
    page.locator("#sr-simulator-link").click()
    page.locator("#sim-credentials-link").click()
    expect(page.get_by_role("heading", name="New Credential")).to_be_visible()
    page.get_by_label("Credential name").fill("JobCannon consent")
    page.get_by_role("button", name="Generate").click()
    client_id = page.locator("#sim-new-client-id").inner_text().strip()
    secret = page.locator("#sim-new-client-secret").inner_text().strip()
    assert client_id and secret

    page.locator("#sim-banner-company").click()
    page.locator("#sim-apps-connect").click()
    # Our consent page names the sandbox page where those were made.
    link = page.locator("#sr-consent-sandbox-credentials a")
    expect(link).to_have_attribute("href", re.compile(r"/sim/smartrecruiters/company/.+/credentials/$"))
    page.get_by_label("SmartRecruiters Client ID").fill(client_id)
    page.get_by_label("SmartRecruiters Client secret").fill(secret)
    page.locator("#sr-consent-allow").click()
    expect(page.locator("#sim-apps-remove")).to_be_visible()  # back on the sandbox company page

    page.goto(f"/integrations/{integration.pk}/")
    expect(page.locator("#integration-status")).to_have_text("Connected")
