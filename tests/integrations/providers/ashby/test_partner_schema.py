"""Our partner endpoints against Ashby's published partner OpenAPI (tests/fixtures/ashby/openapi/
ashby-partner-assessment-openapi.yml), through the WSGI app, with Basic auth as Ashby sends it
(partner key as username, blank password) and format checks on.

First the vendor's own example bodies (tests/fixtures/ashby/partner/) for every status the spec
lists, then schemathesis-generated requests for every operation, valid and invalid: zero
schema violations (status code, content type, headers, body)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from assessments.models import AssessmentRun

from .helpers import ashby_integration, basic, with_partner_key
from .partner_spec import CHECKS, PARTNER_SPEC, load_partner_spec, wsgi_app  # noqa: F401 (fixture)

EXAMPLES = Path(__file__).parents[3] / "fixtures" / "ashby" / "partner"
EXAMPLE_UUID = "e9ed20fd-d45f-4aad-8a00-a19bfba0083e"  # the spec's example uuid


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


class Partner:
    """Ashby's side: calls `<partner base URL>/<operation>` and validates what comes back."""

    def __init__(self, app, integration, key: str):
        self.schema = load_partner_spec(app)
        self.integration, self.key = integration, key
        self.base_url = f"http://testserver/partners/ashby/{integration.public_id}"

    def call(self, path: str, body, *, raw: bytes | None = None, media_type: str | None = None):
        case = self.schema[path]["POST"].Case(body=body, media_type=media_type)
        kwargs = {"data": raw} if raw is not None else {}
        response = case.call(base_url=self.base_url, headers=basic(self.key), **kwargs)
        case.validate_response(response, checks=CHECKS)  # raises on any violation of the spec
        return response


@pytest.fixture
def partner(wsgi_app, settings):  # noqa: F811
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0}}
    integration = ashby_integration()
    return Partner(wsgi_app, integration, with_partner_key(integration))


def listed_type_id(partner: Partner, name: str = "Big Five personality") -> str:
    results = partner.call("/assessment.list", example("assessment.list")).json()["results"]
    return next(r["assessment_type_id"] for r in results if r["name"] == name)


# --- the vendor's examples, one per status the spec lists ------------------------------------------


@pytest.mark.django_db
def test_assessment_list_answers_uuid_type_ids(partner):
    body = partner.call("/assessment.list", example("assessment.list")).json()
    assert body["success"] is True and len(body["results"]) == 3
    for item in body["results"]:
        assert str(uuid.UUID(item["assessment_type_id"])) == item["assessment_type_id"]


@pytest.mark.django_db
def test_assessment_start_with_the_listed_uuid_is_200_then_409_then_422(partner):
    start = {**example("assessment.start"), "assessment_type_id": listed_type_id(partner)}
    first = partner.call("/assessment.start", start)
    assert first.status_code == 200
    results = first.json()["results"]
    run = AssessmentRun.objects.get()
    assert results["assessment_id"] == run.external_assessment_id and run.instrument == "big5"
    assert results["update_request"]["assessment_status"]["value"] == "Invited"
    # Ashby retrying the same order: the same assessment.
    assert (
        partner.call("/assessment.start", start).json()["results"]["assessment_id"]
        == results["assessment_id"]
    )
    # The same candidate, application and assessment as another order (another plan step): 409.
    AssessmentRun.objects.update(external_request_key="another-order")
    conflict = partner.call("/assessment.start", start)
    assert conflict.status_code == 409 and "already" in conflict.json()["message"]
    # What the recruiter must fix: 422 with the message Ashby shows.
    no_email = {**start, "candidate": {**start["candidate"], "email": ""}}
    missing = partner.call("/assessment.start", no_email)
    assert missing.status_code == 422 and missing.json()["message"].startswith("Candidate email is missing")
    unknown = partner.call("/assessment.start", {**start, "assessment_type_id": EXAMPLE_UUID})
    assert unknown.status_code == 422 and "Unknown assessment type" in unknown.json()["message"]


@pytest.mark.django_db
def test_assessment_start_with_a_body_that_is_not_json_is_a_422_not_a_400(partner):
    response = partner.call("/assessment.start", None, raw=b"{not json", media_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["message"].startswith("Request payload is malformed")
    assert body["errorInfo"]["code"] == "invalid_input" and body["errorInfo"]["requestId"]


@pytest.mark.django_db
def test_assessment_cancel_answers_200_with_success_or_the_error_envelope(partner):
    start = {**example("assessment.start"), "assessment_type_id": listed_type_id(partner)}
    aid = partner.call("/assessment.start", start).json()["results"]["assessment_id"]

    cancelled = partner.call("/assessment.cancel", {**example("assessment.cancel"), "assessment_id": aid})
    assert cancelled.status_code == 200 and cancelled.json()["success"] is True
    assert cancelled.json()["results"]["update_request"]["cancelled_reason"]["value"] == "Cancelled in Ashby"
    assert partner.call("/assessment.cancel", {"assessment_id": aid}).json()["success"] is True

    unknown = partner.call("/assessment.cancel", example("assessment.cancel"))
    assert unknown.status_code == 200
    assert unknown.json()["errorInfo"]["code"] == "assessment_not_found"

    AssessmentRun.objects.update(status="scored")
    completed = partner.call("/assessment.cancel", {"assessment_id": aid})
    assert completed.status_code == 200 and completed.json()["errorInfo"]["code"] == "assessment_completed"


@pytest.mark.django_db
def test_assessment_cancel_with_a_malformed_body_looks_like_the_specs_error_example(partner):
    """The spec's error example: {"success": false, "errors": ["invalid_input"], "errorInfo":
    {"code": "invalid_input", "message": "Request payload is malformed", "requestId": "01JSJ8FDK5ZN4XQBZP7DBKK7ZC"}}."""
    response = partner.call("/assessment.cancel", None, raw=b"{not json", media_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False and body["errors"] == ["invalid_input"]
    assert body["errorInfo"]["code"] == "invalid_input"
    assert body["errorInfo"]["message"].startswith("Request payload is malformed")
    assert body["errorInfo"]["requestId"]


@pytest.mark.django_db
def test_custom_field_list_matches_the_published_schema(partner):
    body = partner.call("/assessment.customField.list", {}).json()
    assert [f["id"] for f in body["fields"]] == ["due_date", "email_template"]


# --- schemathesis: generated requests, valid and invalid -------------------------------------------


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.django_db
def test_every_generated_request_gets_an_answer_the_published_schema_allows(partner, mode):
    """Every operation of the spec, requests generated from it (format-aware: uuids, enums), some
    with a real type id / assessment id / email swapped in so the 200 paths are reached too.
    Checked: no 5xx, only the statuses the spec lists, documented content types and headers, and
    bodies valid against the spec with format validation. (negative_data_rejection is not among
    the checks on purpose: the list operations ignore their body, and assessment.start accepts the
    pre-UUID instrument keys and a job left out; leniency Ashby's retries and old plans need.)"""
    type_ids = [r["assessment_type_id"] for r in partner.call("/assessment.list", {}).json()["results"]]
    failures: list[str] = []
    for result in partner.schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans(), n=st.integers(0, 10**6))
        def check(case, real, n):
            body = case.body
            if real and isinstance(body, dict):
                if "assessment_type_id" in body:
                    body["assessment_type_id"] = type_ids[n % len(type_ids)]
                    if isinstance(body.get("candidate"), dict):
                        body["candidate"]["email"] = f"candidate.{n}@example.com"
                if "assessment_id" in body:
                    run = AssessmentRun.objects.order_by("?").first()
                    if run is not None:
                        body["assessment_id"] = run.external_assessment_id
            response = case.call(base_url=partner.base_url, headers=basic(partner.key))
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


# --- past the integration's inbound budget -------------------------------------------------------


@pytest.mark.django_db
def test_past_its_budget_every_operation_answers_a_status_the_spec_lists(partner, settings):
    """No partner operation lists a 429. Past the budget assessment.start answers 422 with the
    message Ashby shows (when to retry) and assessment.cancel 200 with the error envelope, both
    rate_limit_exceeded with Retry-After; the list operations, which the spec gives no way to
    refuse, still answer. Every answer valid against the spec."""
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0.001, "burst": 1}}
    start = {**example("assessment.start"), "assessment_type_id": listed_type_id(partner)}
    assert partner.call("/assessment.start", start).status_code == 200  # the one call the budget allows
    for path, body, status in (
        ("/assessment.start", {**start, "application": {"ashby_id": "other"}}, 422),
        ("/assessment.cancel", example("assessment.cancel"), 200),
    ):
        response = partner.call(path, body)  # raises on any violation of the spec
        assert response.status_code == status, (path, response.content)
        assert response.json()["errorInfo"]["code"] == "rate_limit_exceeded"
        assert "Retry in" in response.json()["errorInfo"]["message"]
        assert int(response.headers["retry-after"][0]) >= 1
    assert AssessmentRun.objects.count() == 1, "the refused start started nothing"
    for path in ("/assessment.list", "/assessment.customField.list"):
        assert partner.call(path, {}).json()["success"] is True


# --- the two answers the spec does not list: still Ashby's error envelope ------------------------


def spec_error_envelope() -> dict:
    """The spec's shared error schema, as it appears in assessment.cancel's 200 `oneOf`."""
    spec = yaml.safe_load(PARTNER_SPEC.read_text())
    one_of = spec["paths"]["/assessment.cancel"]["post"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["oneOf"]
    return next(s for s in one_of if s.get("title") == "Error Response")


@pytest.mark.parametrize(
    "path", ["/assessment.list", "/assessment.start", "/assessment.cancel", "/assessment.customField.list"]
)
@pytest.mark.django_db
def test_a_wrong_key_or_a_get_is_refused_in_the_specs_error_envelope(partner, client, path):
    """401 (a missing or wrong partner key: HTTP Basic's answer, before any operation runs) and 405
    (not a POST) are not among the statuses the operations list (README, "Partner statuses and
    bodies"); their bodies are still the spec's error envelope, formats checked."""
    validator = jsonschema.Draft202012Validator(
        spec_error_envelope(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    url = partner.base_url.removeprefix("http://testserver") + path
    for headers in ({}, basic("jcash_000000000000_wrong")):
        refused = client.post(url, data="{}", content_type="application/json", headers=headers)
        assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Basic")
        validator.validate(refused.json())
        assert refused.json()["errorInfo"]["requestId"] == refused["X-Request-ID"]
    not_post = client.get(url, headers=basic(partner.key))
    assert not_post.status_code == 405
    validator.validate(not_post.json())
    assert not_post.json()["success"] is False
