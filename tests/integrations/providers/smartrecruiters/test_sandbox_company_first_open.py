"""Audit a1920-r2 G3: a new sandbox SmartRecruiters integration, followed the way its pages say
(Step 2: client credentials are the required path, the OAuth sign-in is optional and skipped),
reaches "Connected" through the sandbox alone: "Open the SmartRecruiters sandbox" shows the
company (it used to answer "Unknown company" until the optional OAuth step's "Get sandbox
credentials" had made it), then Credentials → New Credential, Apps & Integrations → connect
JobCannon, our consent page → Allow. No OAuth sign-in, no "Get sandbox credentials"."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import IntegrationStatus, Token
from integrations.providers.smartrecruiters import constants

from .helpers import consent_allow, consent_open, sandbox_integration

pytestmark = pytest.mark.django_db

NS = "integrations:sim-smartrecruiters:"


def _link(html: str, element_id: str) -> str:
    found = re.search(rf'href="([^"]+)"[^>]*id="{element_id}"', html) or re.search(
        rf'id="{element_id}"[^>]*href="([^"]+)"', html
    )
    assert found, f"#{element_id} not on the page"
    return found.group(1)


def _code(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert found, f"#{element_id} not on the page"
    return found.group(1).strip()


def test_a_fresh_sandbox_integration_connects_through_the_sandbox_without_the_oauth_step(
    simulators, client_in_workspace, workspace, user
):
    integration = sandbox_integration(workspace, user)
    detail = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    sandbox_url = _link(detail, "sr-simulator-link")

    company_page = client_in_workspace.get(sandbox_url)
    html = company_page.content.decode()
    assert company_page.status_code == 200, html[:600]
    assert "Unknown company" not in html
    credentials_url = _link(html, "sim-credentials-link")

    made = client_in_workspace.post(
        credentials_url,
        {"name": "JobCannon consent", "scopes": list(constants.CUSTOMER_CREDENTIAL_SCOPES)},
    )
    assert made.status_code == 200
    client_id = _code(made.content.decode(), "sim-new-client-id")
    secret = _code(made.content.decode(), "sim-new-client-secret")

    company_id = urlsplit(sandbox_url).path.rstrip("/").rsplit("/", 1)[-1]
    consent_allow(
        client_in_workspace, *consent_open(client_in_workspace, company_id), integration, client_id, secret
    )
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not Token.objects.filter(integration=integration).exists()  # no OAuth sign-in happened


def test_the_sandbox_makes_no_company_for_an_id_that_is_not_one_of_your_integrations(
    simulators, client_in_workspace, workspace, user, other_workspace
):
    theirs = sandbox_integration(other_workspace, user)  # another workspace's: not the signed-in user's
    for company_id in ("co-nope", "co-" + theirs.public_id.hex[:12]):
        page = client_in_workspace.get(reverse(NS + "company", args=[company_id]))
        assert page.status_code == 404 and "Unknown company" in page.content.decode(), company_id


def test_the_sandbox_makes_no_company_for_a_production_integration(
    simulators, client_in_workspace, workspace, user
):
    """Even with use_simulator set on it (an admin's edit), a production integration talks to the
    real SmartRecruiters: the sandbox makes no company for it."""
    production = sandbox_integration(workspace, user)
    production.environment = "production"
    production.save()
    page = client_in_workspace.get(reverse(NS + "company", args=["co-" + production.public_id.hex[:12]]))
    assert page.status_code == 404 and "Unknown company" in page.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_fresh_sandbox_integration_to_connected_without_the_oauth_step(page):
    from tests.conftest import browser_login
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory()
    integration = sandbox_integration(MembershipFactory(user=user).workspace, user)
    browser_login(page, user)

    page.goto(f"/integrations/{integration.pk}/")
    page.locator("#sr-simulator-link").click()
    page.locator("#sim-credentials-link").click()
    page.get_by_label("Credential name").fill("JobCannon consent")
    page.get_by_role("button", name="Generate").click()
    client_id = page.locator("#sim-new-client-id").inner_text().strip()
    secret = page.locator("#sim-new-client-secret").inner_text().strip()

    page.locator("#sim-banner-company").click()
    page.locator("#sim-apps-connect").click()
    page.get_by_label("SmartRecruiters Client ID").fill(client_id)
    page.get_by_label("SmartRecruiters Client secret").fill(secret)
    page.locator("#sr-consent-allow").click()
    expect(page.locator("#sim-apps-remove")).to_be_visible()

    page.goto(f"/integrations/{integration.pk}/")
    expect(page.locator("#integration-status")).to_have_text("Connected")
