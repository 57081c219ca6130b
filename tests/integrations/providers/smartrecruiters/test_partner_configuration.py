"""JobCannon's partner configuration at SmartRecruiters (savePartnerConfig, PUT
/assessment-api/v202010/partner/configuration with the master credentials): where SR reaches our
consent page, packages, orders, token and removal endpoints. Until it is saved SR answers
setUpIntegration 404 "Partner configuration does not exist" (SRO); the consent then fails with the
reason and the command that fixes it, and succeeds once `manage.py
smartrecruiters_partner_configure` ran."""

from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import resolve

from integrations.models import IntegrationStatus, OutboundCall
from integrations.providers.smartrecruiters import constants, reference, setup, simulator_schema
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import provider_for

from .helpers import connect_via_simulator
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
    # Signed in with SmartRecruiters (the consent page's proof of the company) before consenting.
    connect_via_simulator(client_in_workspace, integration, apps_consent=False)
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
    token = _master_token(integration)
    got = requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert got.status_code == 200 and got.json()["assessmentPackageListUrl"].endswith(BASE + "packages")

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


# --- SRO PartnerConfigurationRequest (vendor/assessment_api_2021.openapi.json) ---------------------

HOST = "http://testserver"


def test_the_body_we_put_is_srs_published_partner_configuration_request():
    """Every property name, required property and enum value from SR's own OpenAPI
    (components.schemas.PartnerConfigurationRequest), not from our constants."""
    schema = reference.schema("PartnerConfigurationRequest")
    body = setup.partner_configuration_body()
    assert set(schema["required"]) == {
        "consentUrl",
        "consentDisplayMode",
        "assessmentPackageListUrl",
        "singleAssessmentPackageUrl",
        "oauthTokenUrl",
        "supportedAssessmentTypes",
    }, "the vendor file is SRO's text"
    assert set(schema["required"]) <= set(body), "every required property is sent"
    assert set(body) <= set(schema["properties"]), "no property SR does not publish"
    assert body["consentDisplayMode"] in schema["properties"]["consentDisplayMode"]["enum"]
    assert set(body["supportedAssessmentTypes"]) <= set(reference.schema("AssessmentType")["enum"])
    assert simulator_schema.problems("PartnerConfigurationRequest", body) == []
    assert body == {
        "consentUrl": HOST + BASE + "integration",
        "consentDisplayMode": "REDIRECT",
        "assessmentPackageListUrl": HOST + BASE + "packages",
        # `format: uri` cannot hold "{assessmentPackageId}": the folder SR appends the id to [I].
        "singleAssessmentPackageUrl": HOST + BASE + "packages",
        "packageOrderUrl": HOST + BASE + "packages/orders",
        "inlineAssessmentPackageOrderUrl": HOST + BASE + "packages/inline/orders",
        "oauthTokenUrl": HOST + BASE + "oauth/token",
        "integrationDisableUrl": HOST + BASE + "integrations/companies",
        # INLINE_ASSESSMENT with inlineAssessmentPackageOrderUrl (test_inline_assessment_type.py).
        "supportedAssessmentTypes": ["BEHAVIORAL_ASSESSMENT", "INLINE_ASSESSMENT"],
    }


def test_each_configured_url_reaches_the_partner_operation_sro_says_it_refers_to():
    """SRO's descriptions: assessmentPackageListUrl "Refers to Partner API: GET /packages",
    singleAssessmentPackageUrl "GET /packages/{assessmentPackageId}", and so on."""
    body = setup.partner_configuration_body()

    def view(url):
        return resolve(urlsplit(url).path).url_name

    assert view(body["consentUrl"]) == "consent"
    assert view(body["assessmentPackageListUrl"]) == "packages"
    assert view(body["singleAssessmentPackageUrl"] + "/jobcannon-disc") == "package"
    assert view(body["packageOrderUrl"]) == "orders"
    assert view(body["inlineAssessmentPackageOrderUrl"]) == "inline-orders"
    assert view(body["oauthTokenUrl"]) == "oauth-token"
    assert view(body["integrationDisableUrl"] + "/AcmeCorp") == "integration-delete"


def test_our_wire_names_and_scope_are_the_ones_in_srs_openapi():
    properties = reference.schema("PartnerConfigurationRequest")["properties"]
    assert set(constants.PARTNER_CONFIGURATION_FIELDS.values()) <= set(properties)
    assert constants.PARTNER_CONSENT_DISPLAY_MODES == tuple(properties["consentDisplayMode"]["enum"])
    assert constants.PACKAGE_TYPE in reference.schema("AssessmentType")["enum"]
    for method in ("get", "put"):
        assert reference.operation_scopes("/partner/configuration", method) == (
            constants.SCOPE_PARTNER_CONFIGURATION_MANAGE,
        )


def _master_token(integration):
    import requests

    master = sim.partner_master()
    answer = requests.post(
        provider_for(integration).client_credentials_token_url(integration),
        data={
            "grant_type": "client_credentials",
            "client_id": master["client_id"],
            "client_secret": master["client_secret"],
        },
        timeout=5,
    ).json()
    assert constants.SCOPE_PARTNER_CONFIGURATION_MANAGE in answer["scope"].split()
    return answer["access_token"]


def _without(name):
    return lambda body: {k: v for k, v in body.items() if k != name}


def _with(**changes):
    return lambda body: {**body, **changes}


INVENTED_BEFORE = {  # what JobCannon PUT before the schema was read: names SR does not publish
    "consentUrl": HOST + BASE + "integration",
    "consentDisplayMode": "REDIRECT",
    "packagesUrl": HOST + BASE + "packages",
    "ordersUrl": HOST + BASE + "packages/orders",
    "inlineOrdersUrl": HOST + BASE + "packages/inline/orders",
    "tokenUrl": HOST + BASE + "oauth/token",
    "integrationRemovalUrl": HOST + BASE + "integrations/companies",
}


@pytest.mark.parametrize(
    "edit, named",
    [
        *[
            (_without(name), name)
            for name in (
                "consentUrl",
                "consentDisplayMode",
                "assessmentPackageListUrl",
                "singleAssessmentPackageUrl",
                "oauthTokenUrl",
                "supportedAssessmentTypes",
            )
        ],
        (_with(consentDisplayMode="SIDEBAR"), "consentDisplayMode"),
        (_with(supportedAssessmentTypes=[]), "supportedAssessmentTypes"),
        (_with(supportedAssessmentTypes=["PERSONALITY_TEST"]), "supportedAssessmentTypes"),
        (_with(supportedAssessmentTypes=["SKILL_TEST"] * 7), "supportedAssessmentTypes"),
        (_with(fields=[{"id": f"f{i}", "name": "F", "description": "d"} for i in range(6)]), "fields"),
        (_with(fields=[{"id": "level", "description": "Seniority"}]), "'name' is a required property"),
        (_with(oauthTokenUrl="/partners/smartrecruiters/oauth/token"), "oauthTokenUrl"),
        (lambda body: INVENTED_BEFORE, "assessmentPackageListUrl"),
    ],
    ids=lambda v: v if isinstance(v, str) else "edit",
)
def test_the_sandbox_answers_400_to_a_configuration_outside_srs_schema(sr_sim, simulators, edit, named):
    import requests

    integration = sr_sim()
    body = edit(setup.partner_configuration_body())
    _forget_partner_configuration()
    api = f"{provider_for(integration).api_base_url(integration)}{constants.PARTNER_CONFIGURATION_PATH}"
    refused = requests.put(
        api, json=body, headers={"Authorization": f"Bearer {_master_token(integration)}"}, timeout=5
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()
    assert error["errors"][0]["code"] and named in error["message"], "SRO ErrorResponse naming the property"
    assert error["message"].startswith("Invalid configuration provided")  # SRO's 400 description
    assert not sim.partner_configuration(), "a refused configuration is not stored"


def test_the_sandbox_takes_what_the_schema_allows_popup_and_partner_fields(sr_sim, simulators):
    import requests

    integration = sr_sim()
    api = f"{provider_for(integration).api_base_url(integration)}{constants.PARTNER_CONFIGURATION_PATH}"
    body = _with(
        consentDisplayMode="POPUP",
        fields=[{"id": "level", "name": "Seniority level", "description": "Which norm group to use"}],
        supportedAssessmentTypes=["BEHAVIORAL_ASSESSMENT", "INLINE_ASSESSMENT"],
    )(setup.partner_configuration_body())
    body.pop("inlineAssessmentPackageOrderUrl")  # optional in SRO
    saved = requests.put(
        api, json=body, headers={"Authorization": f"Bearer {_master_token(integration)}"}, timeout=5
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == body
    assert sim.partner_configuration()["inline_orders"] == ""


def test_partner_configuration_needs_the_partner_configuration_manage_scope(sr_sim, simulators):
    """SRO security oauth2_master: [partner_configuration_manage]; 403 "Request missed required scopes"."""
    import requests

    integration = sr_sim()
    _forget_partner_configuration()
    api = f"{provider_for(integration).api_base_url(integration)}{constants.PARTNER_CONFIGURATION_PATH}"
    narrow = sim.client_token_issue(
        company_id="", scopes=[constants.SCOPE_CLIENT_CREDENTIALS_WRITE], grant="partner"
    )["access_token"]
    headers = {"Authorization": f"Bearer {narrow}"}
    put = requests.put(api, json=setup.partner_configuration_body(), headers=headers, timeout=5)
    assert put.status_code == 403 and "partner_configuration_manage" in put.json()["message"]
    assert requests.get(api, headers=headers, timeout=5).status_code == 403
    assert not sim.partner_configuration()
