"""A tenant that starts in SmartRecruiters: Apps & Integrations → JobCannon → Connect opens our
consent page for a workspace that has no SmartRecruiters integration yet. SRD
/docs/integration-workflow gives the company (customer-level) credentials the job and candidate
reads and the results, so the admin's Allow is the whole connection: no OAuth app of the
customer's, no client id to paste. The company then gets packages, an order, a result and a sync."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import Environment, Integration, IntegrationStatus, Token, WritebackMessage
from integrations.providers.smartrecruiters import services, setup
from integrations.providers.smartrecruiters import simulator_calls as calls
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver
from integrations.sync.models import Candidate, Job, SyncStatus
from integrations.sync.services import sync_integration
from jobcannon.workspaces.models import Membership, Role

from .test_partner_api import form_post
from .test_simulator_flow import complete, move, new_candidate

pytestmark = pytest.mark.django_db
COMPANY = "co-consentonly"


@pytest.fixture
def sr_company(simulators):
    """A SmartRecruiters sandbox company, and JobCannon's partner configuration saved at SR (the
    body `manage.py smartrecruiters_partner_configure` PUTs)."""
    company = sim.company_register(
        name="Consent Only Inc (sandbox)", redirect_uri="https://example.com/unused", company_id=COMPANY
    )
    sim.put("company", COMPANY, {**company, "rate_limit": 200})
    assert sim.partner_configuration_save(setup.partner_configuration_body()) == ""
    return company


def _apps_connect(client):
    """SR records the consent and opens our consent page (REDIRECT mode: companyId, redirect)."""
    opened = client.post(reverse("integrations:sim-smartrecruiters:apps-connect", args=[COMPANY]))
    assert opened.status_code == 302, opened.content[:300]
    url = urlsplit(opened["Location"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


def test_a_company_that_consents_without_any_oauth_step_gets_packages_an_order_a_result_and_a_sync(
    client_in_workspace, workspace, sr_company
):
    assert not Integration.objects.filter(workspace=workspace, provider="smartrecruiters").exists()
    path, query = _apps_connect(client_in_workspace)
    assert query["companyId"] == COMPANY and query["redirect"]

    page = client_in_workspace.get(path, query)
    assert page.status_code == 200
    html = page.content.decode()
    assert "connect SmartRecruiters</a> first" not in html, "companyId and redirect are not lost"
    assert 'id="sr-consent-create"' in html and f'value="{COMPANY}"' in html
    assert f'value="{query["redirect"]}"' in html
    assert 'id="sr-consent-oauth-optional"' in html and "webhooks_manage" in html

    done = form_post(client_in_workspace, path, {**query, "create": "1"})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:500]

    integration = Integration.objects.get(workspace=workspace, provider="smartrecruiters")
    assert (
        integration.environment == Environment.SANDBOX and integration.status == IntegrationStatus.CONNECTED
    )
    assert integration.provider_settings["company_id"] == COMPANY
    assert integration.credential("company_client_id") == sim.get("company", COMPANY)["company_client_id"]
    assert not Token.objects.filter(integration=integration).exists(), "no OAuth step at all"
    assert not integration.credential("client_id"), "nobody pasted an OAuth client"
    services.settings_update(
        integration=integration, changes={"rate_limit": {"per_second": 200, "burst": 200}}
    )
    integration.refresh_from_db()

    # SR lists JobCannon's packages with the partner credentials it saved at setUpIntegration.
    packages, error = calls.partner_packages(sim.get("company", COMPANY))
    assert not error and packages and all(p["id"].startswith("jobcannon-") for p in packages)

    # A recruiter moves a candidate to the assessment stage: SR orders over the partner API.
    integration.demo = {"company_id": COMPANY}
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_candidate_id == candidate_id

    # The result goes back with the company credentials.
    run = complete(run)
    for message in WritebackMessage.objects.filter(run=run):
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.status == "confirmed", message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["result"]["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"

    # The data sync reads jobs and candidates with the company credentials too.
    runs = sync_integration(integration=integration)
    assert [r.status for r in runs] == [SyncStatus.SUCCEEDED, SyncStatus.SUCCEEDED], [
        r.last_error for r in runs
    ]
    assert Job.objects.filter(integration=integration).count() == len(sim.jobs(COMPANY))
    assert Candidate.objects.filter(integration=integration, external_id=candidate_id).exists()
    assert not Token.objects.filter(integration=integration).exists()


def test_a_member_who_is_not_an_admin_reads_who_can_allow_it(client, user, sr_company, workspace):
    Membership.objects.filter(user=user, workspace=workspace).update(role=Role.MEMBER)
    client.force_login(user)
    path, query = _apps_connect(client)

    page = client.get(path, query)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="sr-consent-ask-admin"' in html and COMPANY in html and 'id="sr-consent-create"' not in html

    refused = form_post(client, path, {**query, "create": "1"})
    assert refused.status_code == 403 and b"owners and admins" in refused.content
    assert not Integration.objects.filter(workspace=workspace, provider="smartrecruiters").exists()
