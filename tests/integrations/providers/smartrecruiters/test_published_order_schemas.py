"""The Assessment API (2021) order flow held against SmartRecruiters' published schemas
(vendor/assessment_api_2021.openapi.json, transcribed from SRO): what the sandbox sends as SR
(AssessmentPackageOrderRequest, InlineAssessmentPackageOrderRequest), what JobCannon answers
(the package list and detail, the in-line order answer), and setUpIntegration's
ClientCredentials and scope. Validated with jsonschema against the vendor file, never against
our own constants."""

import ast
from pathlib import Path

import jsonschema
import pytest
import requests

from assessments.models import AssessmentRun
from integrations.providers.smartrecruiters import constants, reference
from integrations.providers.smartrecruiters import simulator_calls as calls
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import provider_for

from .test_partner_api import BASE, partner, token_for  # noqa: F401 - `partner` is a fixture
from .test_partner_flow import inline_body

pytestmark = pytest.mark.django_db


def validate(body, name):
    """jsonschema.validate against SRO's components.schemas[name] (its $refs in the same file)."""
    document = reference.assessment_api()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft4Validator)


COMPANY = {"id": "co-order-schema"}
API = "https://api.smartrecruiters.com"


def sandbox_order(**candidate_changes):
    """A sandbox order as simulator_state.order_create stores it."""
    return {
        "id": "ord-schema-1",
        "packageId": "jobcannon-eq",
        "candidate": {
            "id": "cand-1",
            "firstName": "Sam",
            "lastName": "Example",
            "email": "sam.candidate@example.com",
            **candidate_changes,
        },
        "job": {"id": "job-1", "name": "Support Lead"},
        "settings": {"dueDate": "2026-12-01T00:00:00+00:00", "emailTemplate": "default"},
        "createdOn": "2026-11-20T10:00:00+00:00",
    }


def test_the_sandbox_sends_orders_and_inline_orders_in_the_published_shapes():
    validate(calls.order_request_body(COMPANY, sandbox_order(), API), "AssessmentPackageOrderRequest")
    inline = calls.inline_order_request_body(
        COMPANY, sandbox_order(), API, "https://sr.example.com/application-complete"
    )
    validate(inline, "InlineAssessmentPackageOrderRequest")
    # Both published requests require the (deprecated) jobId next to job.
    assert {"jobId", "job"} <= set(reference.schema("AssessmentPackageOrderRequest")["required"])


def test_an_order_outside_the_published_schema_is_never_sent(mocked_responses):
    """The sandbox holds what it would send against SRO first: an order whose candidate has no
    lastName (required by the order's Candidate) is not posted to JobCannon at all."""
    broken = sandbox_order()
    del broken["candidate"]["lastName"]
    company = {"id": "co-order-schema", "partner": {}}
    sim.put("order", broken["id"], {**broken, "company": company["id"]})
    with pytest.raises(jsonschema.ValidationError):
        validate(calls.order_request_body(company, broken, API), "AssessmentPackageOrderRequest")
    stored = calls.order_deliver(company, broken, API)
    assert stored["delivery"]["ok"] is False and stored["delivery"]["status"] is None
    assert "AssessmentPackageOrderRequest" in stored["delivery"]["message"]
    assert "lastName" in stored["delivery"]["message"]
    assert not mocked_responses.calls, "nothing went over the wire"


def test_our_package_list_detail_and_inline_answer_fit_the_published_schemas(client, partner):  # noqa: F811
    integration, client_id, secret = partner
    auth = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    listed = client.get(BASE + "packages", headers=auth)
    assert listed.status_code == 200
    validate(listed.json(), "PackagesGetListResponse")
    detail = client.get(BASE + f"packages/{listed.json()[0]['id']}", headers=auth)
    validate(detail.json(), "AssessmentPackage")
    answer = client.post(
        BASE + "packages/inline/orders", inline_body(), content_type="application/json", headers=auth
    )
    assert answer.status_code == 200, answer.content
    # SRO requires assessmentPackageURL while naming only `url`: ours carries both.
    validate(answer.json(), "InlineAssessmentPackageResponse")


def _setup_integration(integration, token, body):
    company_id = integration.demo["company_id"]
    company = sim.get("company", company_id)
    sim.put("company", company_id, {**company, "partner_consent": True})
    url = f"{provider_for(integration).api_base_url(integration)}/assessment-api/v202010/integration/company/{company_id}"
    return requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_a_master_token_needs_the_declared_scope_and_the_reference_pages_to_register_a_company(sr_sim):
    """SRO security of setUpIntegration: oauth2_master [partner_configuration_manage]; SRD
    /reference/assessment-partner-integration step 1: client_credentials_write. The sandbox
    requires both (test_partner_master_scope.py: our client asks for both)."""
    integration = sr_sim()
    (scope,) = reference.operation_scopes("/integration/company/{companyId}", "post")
    body = {"clientId": "jc-partner-1", "clientSecret": "s3cret"}
    declared_only = sim.client_token_issue(company_id="", scopes=[scope], grant="partner")["access_token"]
    assert _setup_integration(integration, declared_only, body).status_code == 403
    token = sim.client_token_issue(
        company_id="", scopes=[scope, constants.SCOPE_CLIENT_CREDENTIALS_WRITE], grant="partner"
    )["access_token"]
    answer = _setup_integration(integration, token, body)
    assert answer.status_code == 200, answer.text
    validate(answer.json(), "ClientCredentials")


def test_setup_integration_refuses_credentials_outside_the_published_schema(sr_sim):
    integration = sr_sim()
    (scope,) = reference.operation_scopes("/integration/company/{companyId}", "post")
    token = sim.client_token_issue(
        company_id="", scopes=[scope, constants.SCOPE_CLIENT_CREDENTIALS_WRITE], grant="partner"
    )["access_token"]
    answer = _setup_integration(integration, token, {"clientId": 12345, "clientSecret": "s3cret"})
    assert answer.status_code == 400
    assert "clientId" in answer.json()["message"]
    assert not sim.get("company", integration.demo["company_id"]).get("company_client_id")


PACKAGE = Path(reference.__file__).parent
UNDOCUMENTED_POLL = ("assessment-orders", "v202107")


def _strings(source: str) -> list[str]:
    """Every string literal and f-string piece in a module (comments and docstrings excluded)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def _poll_calls(source: str) -> list[str]:
    return [s for s in _strings(source) if any(marker in s for marker in UNDOCUMENTED_POLL)]


def test_nothing_in_the_provider_calls_the_removed_undocumented_order_poll():
    """GET /assessment-api/v202107/assessment-orders is a Customer API list that needs parameters
    we never had (README "Not called"): no module of the provider may name it again."""
    assert _poll_calls('url = f"{base}/assessment-api/v202107/assessment-orders"'), "the scan sees one"
    found = {
        path.name: hits for path in sorted(PACKAGE.glob("*.py")) if (hits := _poll_calls(path.read_text()))
    }
    assert found == {}


def test_an_accepted_sandbox_order_reaches_jobcannon(client_in_workspace, connected):
    """End to end: the order the sandbox now sends (with the Candidate fields SRO requires) is
    accepted by our partner API and becomes a run."""
    from .test_simulator_flow import move, new_candidate

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = AssessmentRun.objects.get(integration=integration)
    order = sim.get("order", run.external_assessment_id)
    assert order["delivery"]["ok"] is True and order["delivery"]["status"] == 202
