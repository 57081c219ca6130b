"""SR's published OAuth scopes and webhook event names, as the vendor file holds them
(vendor/assessment_api_2021.openapi.json: SRO securitySchemes.oauth and EventName, konfig-sdks/
openapi-examples smartrecruiters/openapi.yaml @2d2b1f35; SRD /docs/authentication-access-scopes).
The sandbox checks what we send against those lists, never against constants.py: a scope or event
name we invent is refused here as SR would refuse it, not accepted because we named it."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from integrations.base import ATSError
from integrations.models import Integration
from integrations.providers.smartrecruiters import constants, reference
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider

from .helpers import connect_via_simulator

KONFIG = (
    "konfig-sdks/openapi-examples/blob/2d2b1f35dea9f56a07e6fa1f70697171b2676bb5/smartrecruiters/openapi.yaml"
)


def test_the_vendor_file_names_the_sources_of_its_scopes_and_event_names():
    document = reference.assessment_api()
    assert KONFIG in document["_source"] and "EventName" in document["_how"]
    assert document["_srd_access_scopes"]["_source"].endswith("/docs/authentication-access-scopes")
    assert {"webhooks_manage", "user_me_read", "candidate_status_read"} <= reference.customer_oauth_scopes()
    assert "application.created" in reference.webhook_event_names()


def test_every_scope_we_request_is_one_sr_publishes():
    published = reference.customer_oauth_scopes()
    assert set(constants.SCOPES) <= published
    assert set(constants.WEBHOOK_PATH_SCOPES) <= published
    assert set(constants.SEED_SCOPE_ALIASES.values()) <= published
    assert not set(constants.SEED_SCOPES) & published, "the seed's colon spellings are not SR's"


def test_our_event_names_are_exactly_srs_event_name_enum():
    assert constants.KNOWN_EVENTS == reference.webhook_event_names()
    assert set(constants.SUBSCRIBED_EVENTS) <= reference.webhook_event_names()


def _consent(client, integration, scopes: str):
    """The sandbox's consent page for our authorization request, asking for `scopes` instead."""
    start = client.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    url = urlsplit(start["Location"])
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    return client.get(url.path + "?" + urlencode({**params, "scope": scopes}))


@pytest.mark.django_db
def test_the_sandbox_consent_offers_every_scope_sr_publishes(client_in_workspace, sr_sim):
    integration = sr_sim()
    scopes = sorted(reference.customer_oauth_scopes())
    page = _consent(client_in_workspace, integration, " ".join(scopes))
    assert page.status_code == 200, page.get("Location")
    html = page.content.decode()
    assert all(scope in html for scope in ("interviews_read", "approvals_decide", "webhooks_read"))


@pytest.mark.django_db
@pytest.mark.parametrize("invented", ["made_up_scope", "candidates:read"])
def test_the_sandbox_refuses_a_scope_sr_does_not_publish_even_when_our_constants_request_it(
    client_in_workspace, sr_sim, monkeypatch, invented
):
    monkeypatch.setattr(constants, "SCOPES", (*constants.SCOPES, invented))
    integration = sr_sim()
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    assert invented in parse_qs(urlsplit(start["Location"]).query)["scope"][0].split()
    answer = client_in_workspace.get(start["Location"])
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["error"] == ["invalid_scope"] and invented in query["error_description"][0]


@pytest.mark.django_db
def test_the_sandbox_refuses_an_event_name_sr_does_not_publish_even_when_our_constants_list_it(
    client_in_workspace, sr_sim, monkeypatch
):
    invented = "candidate.assessment.completed"  # seed 001's name; not in SRO's EventName
    monkeypatch.setattr(constants, "KNOWN_EVENTS", constants.KNOWN_EVENTS | {invented})
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    client = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk))
    with pytest.raises(ATSError) as refused:
        client.subscribe(callback_url="https://example.com/hook", events=["application.created", invented])
    assert refused.value.status_code == 422 and invented in refused.value.message


# --- the Customer API calls we make with the OAuth token: their scopes as SRO declares them ------

CUSTOMER_API_CALLS = [
    (method.upper(), path)
    for path, operations in reference.assessment_api()["customer_api"]["paths"].items()
    for method in operations
]


def test_the_vendor_file_transcribes_the_security_of_each_customer_api_call_we_make():
    """The three operations as the konfig YAML @2d2b1f35 publishes them (its `security` lists an
    API-key alternative and an `oauth` one): read back here literally, so the vendor file cannot
    be edited to fit constants.py without this test noticing."""
    assert KONFIG in reference.assessment_api()["customer_api"]["_source"]
    assert sorted(CUSTOMER_API_CALLS) == [
        ("GET", "/configuration/candidate-properties"),
        ("GET", "/configuration/company"),
        ("PUT", "/candidates/{id}/jobs/{jobId}/properties/{propertyId}"),
    ]
    company = reference.customer_api_operation("/configuration/company", "get")
    assert company["operationId"] == "Configuration_getCompanyInformation"
    assert company["security"] == [{"key": []}, {"oauth": ["company_read", "configuration_read"]}]
    properties = reference.customer_api_operation("/configuration/candidate-properties", "get")
    assert properties["operationId"] == "Configuration_getCandidateProperties"
    assert properties["security"] == [{"key": []}, {"oauth": ["configuration_read"]}]
    write = reference.customer_api_operation("/candidates/{id}/jobs/{jobId}/properties/{propertyId}", "put")
    assert write["operationId"] == "Candidates_updatePropertyValue" and write["deprecated"] is True
    assert write["security"] == [{"key": []}, {"oauth": ["candidates_manage"]}]
    assert '{ "value": "Example text" }' in write["description"]  # the body we send: {"value": ...}


@pytest.mark.parametrize(("method", "path"), CUSTOMER_API_CALLS)
def test_our_scopes_for_each_customer_api_call_are_the_published_ones_and_requested(method, path):
    published = reference.customer_api_oauth_scopes(path, method)
    assert published
    assert constants.CUSTOMER_API_CALL_SCOPES[(method, path)] == published
    # Requested by default, so a customer who approves what we ask can make the call.
    assert set(published) <= set(constants.SCOPES)
    # And a refusal of any of them is explained on the integration page.
    assert set(published) <= set(constants.SCOPE_EFFECTS)


@pytest.mark.django_db
def test_the_sandbox_requires_every_scope_sro_declares_for_the_company_call(client, sr_sim):
    integration = sr_sim()
    company_id = integration.demo["company_id"]
    api = "/sim/smartrecruiters/api/configuration/company"
    without = sim.tokens_issue(company_id=company_id, scopes=["configuration_read"])["access_token"]
    refused = client.get(api, headers={"Authorization": f"Bearer {without}"})
    assert refused.status_code == 403 and "company_read" in refused.json()["message"]
    both = sim.tokens_issue(company_id=company_id, scopes=["company_read", "configuration_read"])
    answer = client.get(api, headers={"Authorization": f"Bearer {both['access_token']}"})
    assert answer.status_code == 200 and answer.json()["identifier"] == company_id
