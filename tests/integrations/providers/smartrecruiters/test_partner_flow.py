"""The Assessment API (2021) partner integration as SmartRecruiters documents it (SRD
/docs/integration-workflow, /reference/askforconsent, /reference/assessment-partner-integration):
master (partner) credentials get a token, setUpIntegration hands SR our client credentials and
answers with the company's, results go with the company credentials. Against SR's real hosts
(`responses`) and through the built-in sandbox (consent page, Apps & Integrations)."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import IntegrationActivity, IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import constants, setup
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.partner_auth import partner_secret_hash
from integrations.services.writeback import writeback_deliver
from tests.factories import IntegrationFactory

from .helpers import connect_via_simulator, mailbox_to
from .test_contract import COMPANY_CREDENTIALS, give_result, give_token
from .test_partner_api import BASE, form_post, token_for
from .test_simulator_flow import complete

pytestmark = pytest.mark.django_db
TOKEN = constants.CLIENT_CREDENTIALS_TOKEN_URL
SETUP = constants.API_BASE + "/assessment-api/v202010/integration/company/AcmeCorp"


@pytest.fixture
def master(settings):
    settings.SMARTRECRUITERS_PARTNER_CLIENT_ID = "jobcannon-master"
    settings.SMARTRECRUITERS_PARTNER_CLIENT_SECRET = "master-secret"


def _form(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body).items()}


def test_registration_uses_the_master_token_and_keeps_the_company_credentials(master, mocked_responses):
    integration = IntegrationFactory(provider="smartrecruiters", provider_settings={"company_id": "AcmeCorp"})
    mocked_responses.post(
        TOKEN, json={"access_token": "partner-at", "expires_in": 3600, "token_type": "Bearer"}
    )
    mocked_responses.post(
        SETUP, json={"clientId": "acme-company-client", "clientSecret": "acme-company-secret"}
    )
    assert setup.partner_register(get_provider("smartrecruiters"), integration) is True
    token_call, setup_call = mocked_responses.calls
    assert _form(token_call.request) == {
        "grant_type": "client_credentials",
        "client_id": "jobcannon-master",
        "client_secret": "master-secret",
        # setUpIntegration's reference page (client_credentials_write) and SRO's security.
        "scope": "client_credentials_write partner_configuration_manage",
    }
    assert setup_call.request.headers["Authorization"] == "Bearer partner-at"
    sent = json.loads(setup_call.request.body)
    assert set(sent) == {"clientId", "clientSecret"}, "SRO: the body is ClientCredentials"
    assert sent["clientId"] == integration.credentials["partner_client_id"]
    integration.refresh_from_db()
    # Only the hash of the secret SR received is kept (issue 21: partner secrets are only compared).
    assert "partner_client_secret" not in integration.credentials
    assert integration.credentials["partner_client_secret_sha256"] == partner_secret_hash(
        sent["clientSecret"]
    )
    assert (integration.credential("company_client_id"), integration.credential("company_client_secret")) == (
        "acme-company-client",
        "acme-company-secret",
    )
    assert integration.provider_settings["partner_registered"] is True


def test_a_refused_registration_is_explained_and_nothing_is_stored(master, mocked_responses):
    integration = IntegrationFactory(provider="smartrecruiters", provider_settings={"company_id": "AcmeCorp"})
    mocked_responses.post(TOKEN, json={"access_token": "partner-at", "expires_in": 3600})
    mocked_responses.post(
        SETUP,
        status=403,
        json={"code": "FORBIDDEN", "message": "Company has not given consent for integration"},
    )
    assert setup.partner_register(get_provider("smartrecruiters"), integration) is False
    integration.refresh_from_db()
    assert integration.provider_settings["partner_registered"] is False
    assert "consent" in integration.provider_settings["partner_error"]
    assert not integration.credential("company_client_id")
    line = IntegrationActivity.objects.get(
        integration=integration, kind="smartrecruiters.partner_unregistered"
    )
    assert "Apps & Integrations" in line.message and "/partners/smartrecruiters/integration" in line.message


def test_sr_answering_already_integrated_keeps_the_company_credentials_it_issued(master, mocked_responses):
    """SRO: 409 "Partner already integrated for company": the earlier credentials stay in use, and
    the partner secret SR holds is not replaced by the one it refused."""
    integration = IntegrationFactory(
        provider="smartrecruiters",
        provider_settings={"company_id": "AcmeCorp"},
        credentials={**COMPANY_CREDENTIALS, "partner_client_secret_sha256": partner_secret_hash("kept")},
    )
    mocked_responses.post(TOKEN, json={"access_token": "partner-at", "expires_in": 3600})
    conflict = {"message": "Partner already integrated for company", "errors": [{"code": "CONFLICT"}]}
    mocked_responses.post(SETUP, status=409, json=conflict)
    assert setup.partner_register(get_provider("smartrecruiters"), integration, force=True) is True
    integration.refresh_from_db()
    assert integration.provider_settings["partner_registered"] is True
    assert integration.credentials["partner_client_secret_sha256"] == partner_secret_hash("kept")
    assert integration.credential("company_client_id") == COMPANY_CREDENTIALS["company_client_id"]
    # Without credentials of its own, the same answer is an explained state.
    bare = IntegrationFactory(provider="smartrecruiters", provider_settings={"company_id": "AcmeCorp"})
    mocked_responses.post(SETUP, status=409, json=conflict)
    assert setup.partner_register(get_provider("smartrecruiters"), bare) is False
    bare.refresh_from_db()
    assert (
        "remove JobCannon in SmartRecruiters' Apps & Integrations" in bare.provider_settings["partner_error"]
    )


def test_without_master_credentials_registration_says_what_to_configure(mocked_responses):
    integration = IntegrationFactory(provider="smartrecruiters", provider_settings={"company_id": "AcmeCorp"})
    assert setup.partner_register(get_provider("smartrecruiters"), integration) is False
    integration.refresh_from_db()
    assert "SMARTRECRUITERS_PARTNER_CLIENT_ID" in integration.provider_settings["partner_error"]
    assert not mocked_responses.calls, "nothing is sent without credentials"


def test_results_go_with_the_company_token_not_the_oauth_token(mocked_responses):
    from tests.factories import AssessmentRunFactory

    integration = IntegrationFactory(
        provider="smartrecruiters",
        status=IntegrationStatus.CONNECTED,
        auth_kind="oauth2",
        credentials={"client_id": "c", "client_secret": "s", **COMPANY_CREDENTIALS},
    )
    give_token(integration)
    run = AssessmentRunFactory(
        workspace=integration.workspace,
        integration=integration,
        external_assessment_id="ord-1",
        status="scored",
    )
    give_result(run)
    message = WritebackMessage.objects.create(
        integration=integration, run=run, kind="assessment.result", event="completed", idempotency_key="k-1"
    )
    mocked_responses.post(TOKEN, json={"access_token": "company-at", "expires_in": 3600})
    mocked_responses.patch(constants.API_BASE + "/assessment-api/v202010/orders/ord-1/results", json={})
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    token_call, patch_call = mocked_responses.calls
    assert _form(token_call.request)["client_id"] == COMPANY_CREDENTIALS["company_client_id"]
    assert patch_call.request.headers["Authorization"] == "Bearer company-at"
    body = json.loads(patch_call.request.body)
    # SRO PackageResult: its status enum, score {raw, min, max}; no passed (not in the schema).
    assert body["status"] == "COMPLETED" and body["status"] in constants.RESULT_STATUSES
    assert body["score"] == {"raw": 72, "min": 0, "max": 100} and body["scoreLabel"] == "72/100"
    assert body["summary"] == "Curious and steady." and body["attachments"][0]["type"] == "OTHER_URL"
    assert "passed" not in body and None not in body.values()


# --- the consent step through the sandbox -----------------------------------------------------


def test_connecting_in_apps_and_integrations_opens_our_consent_page_and_allow_registers(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    # The admin signed in with SmartRecruiters first (the consent page's proof of the company); SR
    # refused the registration then: the company had not consented yet.
    connect_via_simulator(client_in_workspace, integration, apps_consent=False)
    company_id = integration.demo["company_id"]
    opened = client_in_workspace.post(
        reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id])
    )
    assert opened.status_code == 302
    consent = urlsplit(opened["Location"])
    back = f"http://testserver/sim/smartrecruiters/company/{company_id}/"
    # SRO consentUrl: SR adds companyId and (REDIRECT display mode) redirect.
    assert consent.path == BASE + "integration"
    assert parse_qs(consent.query) == {"companyId": [company_id], "redirect": [back]}
    page = client_in_workspace.get(consent.path + "?" + consent.query)
    assert page.status_code == 200 and company_id in page.content.decode()
    done = form_post(
        client_in_workspace,
        consent.path,
        {"companyId": company_id, "integration": integration.pk, "redirect": back},
    )
    assert done.status_code == 302 and done["Location"] == back, "back to SmartRecruiters once allowed"
    integration.refresh_from_db()
    company = sim.get("company", company_id)
    assert integration.credential("company_client_id") == company["company_client_id"]
    assert company["partner"]["client_id"] == integration.credential("partner_client_id")
    assert integration.provider_settings["company_id"] == company_id


def test_the_consent_page_never_redirects_outside_smartrecruiters(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration, apps_consent=False)
    company_id = integration.demo["company_id"]
    client_in_workspace.post(reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id]))
    done = form_post(
        client_in_workspace,
        BASE + "integration",
        {"companyId": company_id, "integration": integration.pk, "redirect": "https://attacker.example.com/"},
    )
    assert done.status_code == 200 and b'id="sr-consent-done"' in done.content
    assert b"attacker.example.com" not in done.content and b"You can close this window." in done.content


@pytest.mark.parametrize(
    ("redirect", "kept"),
    [
        ("https://www.smartrecruiters.com/settings/apps-and-integrations", True),
        ("https://smartrecruiters.com/", True),
        ("http://www.smartrecruiters.com/", False),
        ("https://smartrecruiters.com.attacker.example.com/", False),
        ("https://attacker.example.com/?www.smartrecruiters.com", False),
    ],
)
def test_only_a_smartrecruiters_redirect_is_carried_through_the_consent_form(
    client_in_workspace, sr_sim, redirect, kept
):
    sr_sim()
    page = client_in_workspace.get(
        BASE + "integration?" + urlencode({"companyId": "AcmeCorp", "redirect": redirect})
    )
    assert page.status_code == 200
    assert (f'name="redirect" value="{redirect}"' in page.content.decode()) is kept


def test_the_sandbox_refuses_registration_before_the_company_consented(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration, apps_consent=False)
    company_id = integration.demo["company_id"]
    done = form_post(
        client_in_workspace, BASE + "integration", {"companyId": company_id, "integration": integration.pk}
    )
    assert done.status_code == 502
    assert b"has not given consent" in done.content
    assert not integration.credential("company_client_id")


def test_the_consent_page_needs_a_signed_in_admin_and_a_company_id(client_in_workspace):
    from django.test import Client

    anonymous = Client().get(BASE + "integration?" + urlencode({"companyId": "AcmeCorp"}))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    missing = client_in_workspace.get(BASE + "integration")
    assert missing.status_code == 400 and b"without a companyId" in missing.content


# --- in-line orders ----------------------------------------------------------------------------

RESULT_URL = "https://api.smartrecruiters.com/assessment-api/v202010/orders/9ee2f66a-ea6f-11e9/results"
DONE_URL = "https://jobs.smartrecruiters.com/sr-jobs/inline-assessment/callback?application=9ee2f66a"


def inline_body(**changes):
    """SRO InlineAssessmentPackageOrderRequest (2021)."""
    body = {
        "resultCallbackURL": RESULT_URL,
        "candidate": {
            "firstName": "John",
            "lastName": "Smith",
            "email": "john.smith@example.com",
            "applicationLanguage": "en",
        },
        "job": {"id": "job-1"},
        "assessmentPackageId": "jobcannon-eq",
        "jobId": "job-1",
        "companyId": "AcmeCorp",
        "completedAssessmentCallbackUrl": DONE_URL,
    }
    body.update(changes)
    return body


def legacy_inline_body():
    # SRD /docs/in-line-assessment-ordering-process, the InlineAssessmentOrderRequest example.
    return {
        "applicationOperationId": "9ee2f66a-ea6f-11e9-81b4-2a2ae2dbcce4",
        "candidate": {
            "firstName": "John",
            "lastName": "Smith",
            "email": "john.smith@example.com",
            "language": "en",
        },
        "completedAssessmentCallbackUrl": DONE_URL,
        "assessmentResultUrl": "https://api.smartrecruiters.com/v1/assessments/inline/9ee2f66a/results",
        "partnerClientId": "jcsr_client",
        "partnerInlineAssessmentTypeId": "jobcannon-eq",
        "offerCatalogId": "jobcannon-eq",
        "job": {"id": "job-1", "name": "Support Lead"},
    }


@pytest.fixture
def partner_auth(client, db):
    from integrations.providers.smartrecruiters import services

    integration = IntegrationFactory(provider="smartrecruiters", auth_kind="oauth2", region="eu")
    client_id, secret = services.partner_credentials_issue(integration=integration)
    integration.refresh_from_db()
    return integration, {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}


def test_inline_order_answers_the_candidate_url_at_once_without_an_email(client, partner_auth):
    integration, auth = partner_auth
    url = BASE + "packages/inline/orders"
    first = client.post(url, inline_body(), content_type="application/json", headers=auth)
    again = client.post(url, inline_body(), content_type="application/json", headers=auth)
    assert first.status_code == 200 and again.status_code == 200
    answer = first.json()
    assert answer["url"] == again.json()["url"], "idempotent"
    # SRO's InlineAssessmentPackageResponse names url (and requires assessmentPackageURL); legacy
    # SR reads inlineAssessmentUrl.
    assert answer["url"] == answer["assessmentPackageURL"] == answer["inlineAssessmentUrl"]
    assert "/a/" in answer["url"]
    run = AssessmentRun.objects.get(integration=integration)
    assert run.instrument == "eq" and run.ats_context["inline"] is True
    assert run.external_assessment_id == "9ee2f66a-ea6f-11e9"
    assert run.ats_context["assessment_result_url"] == RESULT_URL
    assert not mailbox_to("john.smith@example.com"), "SR redirects the candidate; no invitation email"


def test_a_legacy_inline_order_is_still_read(client, partner_auth):
    integration, auth = partner_auth
    response = client.post(
        BASE + "packages/inline/orders", legacy_inline_body(), content_type="application/json", headers=auth
    )
    assert response.status_code == 200, response.content
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_assessment_id == "9ee2f66a-ea6f-11e9-81b4-2a2ae2dbcce4"


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        ({"assessmentPackageId": ""}, 400, "assessmentPackageId"),
        ({"assessmentPackageId": "someone-elses"}, 404, "There is no package which was ordered"),
        ({"resultCallbackURL": ""}, 400, "resultCallbackURL"),
        ({"resultCallbackURL": "https://attacker.example.com/orders/1/results"}, 400, "API host"),
        ({"completedAssessmentCallbackUrl": "javascript:alert(1)"}, 400, "completedAssessmentCallbackUrl"),
        ({"completedAssessmentCallbackUrl": ""}, 400, "completedAssessmentCallbackUrl"),
        ({"candidate": {"firstName": "No", "email": "nope"}}, 400, "email"),
    ],
)
def test_a_bad_inline_order_is_rejected_with_a_rejection_reason(
    client, partner_auth, changes, status, fragment
):
    _, auth = partner_auth
    response = client.post(
        BASE + "packages/inline/orders", inline_body(**changes), content_type="application/json", headers=auth
    )
    assert response.status_code == status
    assert fragment in response.json()["rejectionReason"]
    assert response.json()["error"]["message"] == response.json()["rejectionReason"]
    assert not AssessmentRun.objects.exists()


def test_an_inline_result_goes_to_the_orders_results_url_and_no_attachment_is_sent(
    client, partner_auth, mocked_responses
):
    integration, auth = partner_auth
    integration.credentials = {**integration.credentials, **COMPANY_CREDENTIALS}
    integration.status = IntegrationStatus.CONNECTED
    integration.save()
    client.post(BASE + "packages/inline/orders", inline_body(), content_type="application/json", headers=auth)
    run = complete(AssessmentRun.objects.get(integration=integration))
    # SRO: "Adding attachment to inline assessment orders is not supported": the result only.
    message = WritebackMessage.objects.exclude(kind="assessment.started").get(run=run)
    assert message.kind == "assessment.result"
    mocked_responses.post(TOKEN, json={"access_token": "company-at", "expires_in": 3600})
    mocked_responses.patch(RESULT_URL, json={})
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    assert mocked_responses.calls[-1].request.url == RESULT_URL
    assert mocked_responses.calls[-1].request.headers["Authorization"] == "Bearer company-at"


def test_a_credentials_recheck_keeps_the_company_credentials_sr_issued(client_in_workspace, sr_sim):
    from integrations.services.integrations import integration_credentials_check

    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    issued = integration.credential("company_client_secret")
    assert issued and integration.provider_settings["partner_registered"] is True
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.credential("company_client_secret") == issued
    assert sim.get("company", integration.demo["company_id"])["company_client_secret"] == issued
