"""The consent page binds a SmartRecruiters company only to a workspace that has shown the company
is its own. SR's consent URL carries a bare companyId (SRO consentUrl: SR adds companyId and
redirect, nothing signed), so a JobCannon workspace admin who knows another company's id could
otherwise bind it first (its jobs, candidates and results) and leave the real admin with SR's 409.
The proof is a credential of that company (the company's self-serve client credentials:
test_consent_self_serve.py; or the workspace's own OAuth sign-in to it) that GET
/configuration/company names it with, and one company connects to one workspace. A create
without credentials is refused, with the self-serve way to show the company."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from integrations.models import Integration, OutboundCall
from integrations.providers.smartrecruiters import constants, services
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.integrations import integration_create
from jobcannon.workspaces.models import Membership, Role
from tests.conftest import StackAwareClient
from tests.factories import MembershipFactory, UserFactory

from .helpers import connect_via_simulator
from .test_partner_api import form_post

pytestmark = pytest.mark.django_db


def _apps_connect(client, company_id):
    """SR records the company's consent and opens our consent page (REDIRECT mode: companyId,
    redirect)."""
    opened = client.post(reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id]))
    assert opened.status_code == 302, opened.content[:300]
    url = urlsplit(opened["Location"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


@pytest.fixture
def other_admin(other_workspace):
    """A signed-in owner of another JobCannon workspace."""
    user = UserFactory()
    MembershipFactory(user=user, workspace=other_workspace, role=Role.OWNER)
    client = StackAwareClient()
    client.force_login(user)
    client.user = user
    return client


def _sr_integration(workspace, user, **settings):
    return integration_create(
        workspace=workspace,
        provider="smartrecruiters",
        environment="sandbox",
        auth_kind="oauth2",
        region="us",
        created_by=user,
        provider_settings={
            "use_simulator": True,
            "rate_limit": {"per_second": 200, "burst": 200},
            **settings,
        },
    )


def _setups(integration) -> int:
    return OutboundCall.objects.filter(
        integration=integration, path__contains="/integration/company/"
    ).count()


def test_a_workspace_that_never_signed_in_to_the_company_cannot_bind_it_and_the_companys_own_can(
    client_in_workspace, sr_sim, other_admin, other_workspace
):
    # The company's own workspace signed in with SmartRecruiters; the company is consenting in SR.
    own = sr_sim()
    connect_via_simulator(client_in_workspace, own, apps_consent=False)
    company_id = own.demo["company_id"]
    path, query = _apps_connect(client_in_workspace, company_id)

    # Another workspace's admin, with no SmartRecruiters integration, opens the same URL first.
    page = other_admin.get(path, query)
    assert page.status_code == 200
    assert (
        'id="sr-consent-sign-in-first"' in page.content.decode() and b"sr-consent-allow" not in page.content
    )
    refused = form_post(other_admin, path, {**query, "create": "1"})
    assert refused.status_code == 403 and refused.get("Location") is None
    html = refused.content.decode()
    assert 'id="sr-consent-error"' in html
    assert f"Paste the Client ID and Client secret of company {company_id}" in html
    # ... and why it is required, and the self-serve way (no OAuth app, no support ticket).
    assert "signed by nothing" in html and "No SmartRecruiters OAuth app is needed" in html
    assert "Settings → Apps &amp; Integrations → Credentials → New Credential → OAuth client ID" in html
    assert "contact JobCannon support" not in html
    assert not Integration.objects.filter(workspace=other_workspace, provider="smartrecruiters").exists()
    assert not sim.get("company", company_id).get("company_client_id"), "setUpIntegration was not called"

    # ... or with an integration that never signed in to SmartRecruiters.
    unbound = _sr_integration(other_workspace, other_admin.user)
    refused = form_post(other_admin, path, {**query, "integration": unbound.pk})
    assert refused.status_code == 403
    assert "This SmartRecruiters integration holds no SmartRecruiters credential" in refused.content.decode()
    assert "No SmartRecruiters OAuth app is needed" in refused.content.decode()
    unbound.refresh_from_db()
    assert not unbound.credential("company_client_id") and _setups(unbound) == 0
    assert "company_id" not in unbound.provider_settings

    # The company's own admin allows it: nothing was taken first, SR's 409 never comes.
    done = form_post(client_in_workspace, path, {**query, "integration": own.pk})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:500]
    own.refresh_from_db()
    assert own.credential("company_client_id") == sim.get("company", company_id)["company_client_id"]
    assert own.provider_settings["registered_company_id"] == company_id


def test_a_company_registered_for_another_workspace_is_refused_even_to_a_user_of_that_company(
    client_in_workspace, connected, other_admin, other_workspace
):
    owner = connected()  # signed in, consented, registered
    company_id = owner.demo["company_id"]
    issued = owner.credential("company_client_id")
    # A user of the same SmartRecruiters company signs in from their own JobCannon workspace.
    second = _sr_integration(other_workspace, other_admin.user)
    services.credentials_update(
        integration=second,
        changes={
            "client_id": owner.credential("client_id"),
            "client_secret": owner.credential("client_secret"),
        },
    )
    connect_via_simulator(other_admin, second, apps_consent=False)
    second.refresh_from_db()
    assert second.provider_settings["company_id"] == company_id, "the sign-in showed the company"
    setups = _setups(second)

    path, query = _apps_connect(other_admin, company_id)
    refused = form_post(other_admin, path, {**query, "integration": second.pk})
    assert refused.status_code == 409
    assert constants.CONSENT_COMPANY_ELSEWHERE.format(company_id=company_id) in refused.content.decode()
    second.refresh_from_db()
    assert not second.credential("company_client_id") and _setups(second) == setups
    owner.refresh_from_db()
    assert (
        owner.credential("company_client_id") == issued == sim.get("company", company_id)["company_client_id"]
    )


def test_an_integration_signed_in_to_another_company_is_refused(
    client_in_workspace, sr_sim, other_admin, other_workspace
):
    own = sr_sim()
    company_id = own.demo["company_id"]
    # The other workspace signed in to its own company; its settings lost the record of it (an
    # older version, or a hand edit): the page asks SmartRecruiters, not the settings.
    theirs = _sr_integration(other_workspace, other_admin.user)
    theirs.demo = get_provider("smartrecruiters").demo_setup(theirs)
    their_company = sim.get("company", theirs.demo["company_id"])
    sim.put("company", their_company["id"], {**their_company, "rate_limit": 200})
    connect_via_simulator(other_admin, theirs, apps_consent=False)
    services.settings_update(integration=theirs, changes={"company_id": ""})

    path, query = _apps_connect(client_in_workspace, company_id)
    refused = form_post(other_admin, path, {**query, "integration": theirs.pk})
    assert refused.status_code == 409
    assert f"signed in to company {theirs.demo['company_id']}, not {company_id}" in refused.content.decode()
    assert not sim.get("company", company_id).get("company_client_id")


def test_a_member_who_is_not_an_admin_reads_who_can_allow_it(client, user, sr_sim, workspace):
    company_id = sr_sim().demo["company_id"]
    Integration.objects.filter(workspace=workspace).delete()
    Membership.objects.filter(user=user, workspace=workspace).update(role=Role.MEMBER)
    client.force_login(user)
    path, query = _apps_connect(client, company_id)

    page = client.get(path, query)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="sr-consent-ask-admin"' in html and company_id in html and 'id="sr-consent-create"' not in html

    refused = form_post(client, path, {**query, "create": "1"})
    assert refused.status_code == 403 and b"owners and admins" in refused.content
    assert not Integration.objects.filter(workspace=workspace, provider="smartrecruiters").exists()
