"""Our partner endpoints against Ashby's partner OpenAPI (a third-party mirror:
tests/fixtures/ashby/openapi/ashby-partner-assessment-openapi.yml), through the WSGI app, with Basic auth as Ashby sends it
(partner key as username, blank password) and format checks on.

First request bodies we assembled from the spec's per-field examples (tests/fixtures/ashby/partner/;
Ashby publishes no whole request example, see its README) for every status the spec lists, then
schemathesis-generated requests for every operation, valid and invalid, with the right key or
generated (wrong, malformed, missing) Basic credentials, on both partner base URLs: zero schema
violations (status code, content type, headers, body). What the shared inbound guard and
DRF refuse before an operation runs: test_partner_refusals.py."""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from assessments.models import AssessmentRun

from .helpers import ashby_integration, basic, with_partner_key
from .partner_spec import CHECKS, Partner

EXAMPLES = Path(__file__).parents[3] / "fixtures" / "ashby" / "partner"
EXAMPLE_UUID = "e9ed20fd-d45f-4aad-8a00-a19bfba0083e"  # the spec's example uuid
OPERATIONS = ("assessment.list", "assessment.start", "assessment.cancel", "assessment.customField.list")


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def listed_type_id(partner: Partner, name: str = "Big Five personality") -> str:
    results = partner.call("/assessment.list", example("assessment.list")).json()["results"]
    return next(r["assessment_type_id"] for r in results if r["name"] == name)


# --- bodies assembled from the spec's per-field examples, one per status the spec lists ---------------


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


# --- schemathesis: generated requests, valid and invalid, right and wrong keys, both base URLs ---


def settings_(max_examples: int):
    """Hypothesis settings (the name `settings` is pytest-django's fixture in the tests)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# The operation's own refusal of input it cannot use (AssessmentStartApi / AssessmentCancelApi,
# PartnerApi.handle_exception), told from the shared inbound guard's invalid_input by its sentence.
OPERATION_INPUT_REFUSALS = (
    "The request does not match Ashby's partner schema",
    "Request payload is malformed",
)


def outcome(response) -> str:
    """What Ashby would read from an answer: "200 success", or "<status> <errorInfo.code>", with
    an invalid_input the operation itself gave marked "(operation)"."""
    body = response.json()
    if body.get("success") is True:
        return f"{response.status_code} success"
    info = body["errorInfo"]
    own = info["code"] == "invalid_input" and info["message"].startswith(OPERATION_INPUT_REFUSALS)
    return f"{response.status_code} {info['code']}" + (" (operation)" if own else "")


@pytest.mark.parametrize("by_key", [False, True], ids=["integration-url", "shared-url"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.django_db
def test_every_generated_request_gets_an_answer_the_published_schema_allows(
    wsgi_app,
    settings,
    mode,
    by_key,
):
    """Every operation of the spec, requests generated from it (format-aware: uuids, enums) with
    the spec's security parameters: the Authorization header is generated too (random Basic
    credentials; in negative mode malformed or missing), or replaced by the real partner key, and
    some bodies get a real type id / assessment id / email swapped in so the 200 paths are reached.
    Sent to the integration's base URL and to the shared one (integration found by the key).
    Checked: no 5xx, only the statuses the spec lists, documented content types and headers, and
    bodies valid against the spec with format validation. (negative_data_rejection is not among
    the checks on purpose: the list operations ignore their body, and assessment.start accepts the
    pre-UUID instrument keys and a job left out; leniency Ashby's retries and old plans need. That
    check, each deliberate difference named and everything else refused, is
    test_partner_invalid_input.py. ignored_auth is not either: the spec lists no 401, so a refused
    key is a 200 or 422 refusal, which that check cannot tell from success.)

    Then what was answered, per operation, so a run that only ever reached a refusal fails: the
    right key is never refused; in positive mode every operation succeeds at least once and
    assessment.start answers a 200; in negative mode start and cancel refuse malformed input
    themselves (invalid_input), not only the guard in front of them. Both inbound budgets are
    off, so the answers do not depend on what ran before."""
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0}}
    # The failed-key budget (the guard's rate_limit_exceeded) is per client address and lasts
    # across cases and tests: off, or the later cases would be refused before any operation ran.
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 0}
    integration = ashby_integration()
    partner = Partner(wsgi_app, integration, with_partner_key(integration), by_key=by_key, with_security=True)
    type_ids = [r["assessment_type_id"] for r in partner.call("/assessment.list", {}).json()["results"]]
    # One run to cancel from the start, so assessment.cancel's success path does not hang on
    # what the generated starts reached.
    started = {**example("assessment.start"), "assessment_type_id": type_ids[0]}
    assert partner.call("/assessment.start", started).status_code == 200
    failures: list[str] = []
    answers: dict[str, Counter[str]] = defaultdict(Counter)
    refused_right_key: list[str] = []
    for result in partner.schema.get_all_operations():
        operation = result.ok()

        calls = itertools.count()

        @settings_(max_examples=25)
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            # In turn, not drawn (so every mix is reached whatever hypothesis draws): three calls
            # in four with the real partner key, the others with the generated credentials; and
            # what is swapped into the generated body: our assembled body's required fields over
            # the generated ones (positive mode; generated extras kept), so assessment.start's 200
            # is reached; real ids only (type id, assessment id, candidate email); or nothing.
            n = next(calls)
            right_key = n % 4 != 3
            real = ("example", "ids", "generated")[n % 3]
            body = case.body
            if real != "generated" and isinstance(body, dict):
                if "assessment_type_id" in body or (
                    real == "example" and operation.path == "/assessment.start"
                ):
                    if real == "example" and mode == GenerationMode.POSITIVE:
                        for part in ("candidate", "application"):
                            generated = body.get(part) if isinstance(body.get(part), dict) else {}
                            body[part] = {**generated, **started[part], "ashby_id": f"{part}-{n}"}
                        body.pop("additional_fields", None)  # a generated due date is not a date
                    body["assessment_type_id"] = type_ids[n % len(type_ids)]
                    if isinstance(body.get("candidate"), dict):
                        body["candidate"]["email"] = f"candidate.{n}@example.com"
                if "assessment_id" in body:
                    run = AssessmentRun.objects.order_by("?").first()
                    if run is not None:
                        body["assessment_id"] = run.external_assessment_id
            if right_key:
                # Ours replaces whatever was generated, in any case ("authorization"), on a case
                # built from the generated one: on the generated case itself schemathesis drops
                # Authorization again, whoever set it, when its mutation was "Authorization
                # missing" (transport.prepare.get_exclude_headers).
                headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
                case = operation.Case(
                    body=case.body, media_type=case.media_type, headers={**headers, **basic(partner.key)}
                )
            response = case.call(base_url=partner.base_url)
            case.validate_response(response, checks=CHECKS)
            answer = outcome(response)
            answers[operation.label].update([answer])
            if right_key and answer.endswith(("unauthenticated", "rate_limit_exceeded")):
                refused_right_key.append(
                    f"{operation.label}: {answer}: {response.json()['errorInfo']['message']}"
                )

        try:
            check()
        # Collect every operation's failure, then report them together. Schemathesis raises its
        # FailureGroup, a BaseExceptionGroup and not an Exception: caught here too, or the first
        # failing operation would end the run and hide the others'.
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)
    tally = {label: dict(counts) for label, counts in answers.items()}
    assert not refused_right_key, refused_right_key
    assert all(
        answers[f"POST /{op}"]["200 unauthenticated"] + answers[f"POST /{op}"]["422 unauthenticated"]
        for op in OPERATIONS
    ), f"generated credentials reached every operation and were refused: {tally}"
    if mode == GenerationMode.POSITIVE:
        for op in OPERATIONS:
            assert answers[f"POST /{op}"]["200 success"], f"{op} never succeeded: {tally}"
    else:
        for op in ("assessment.start", "assessment.cancel"):
            refusals = answers[f"POST /{op}"]
            assert any(a.endswith("invalid_input (operation)") for a in refusals), (
                f"{op} never refused malformed input itself: {tally}"
            )


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


# --- a wrong key: refused by the operation, as its spec lists --------------------------------------


@pytest.mark.parametrize("by_key", [False, True], ids=["integration-url", "shared-url"])
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/assessment.list", 200),
        ("/assessment.start", 422),
        ("/assessment.cancel", 200),
        ("/assessment.customField.list", 200),
    ],
)
@pytest.mark.django_db
def test_a_missing_or_wrong_key_is_refused_with_a_status_the_operation_lists(
    wsgi_app,
    settings,
    path,
    status,
    by_key,
):
    """The spec declares HTTP Basic (`security: [BasicAuth]`) but no 401 on any operation: a
    missing, malformed or wrong partner key gets the operation's own refusal (422 with the message
    Ashby shows on assessment.start, a 200 envelope elsewhere), errorInfo.code `unauthenticated`,
    WWW-Authenticate beside it, and nothing done."""
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0}}
    integration = ashby_integration()
    partner = Partner(wsgi_app, integration, with_partner_key(integration), by_key=by_key)
    body = {"assessment_id": EXAMPLE_UUID} if path == "/assessment.cancel" else {}
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer nope"},
        basic("jcash_000000000000_wrong"),
    ):
        refused = partner.call(path, body, headers=headers)  # raises on any violation of the spec
        assert refused.status_code == status, refused.content
        answer = refused.json()
        assert answer["success"] is False and answer["errorInfo"]["code"] == "unauthenticated"
        assert answer["errorInfo"]["requestId"] == refused.headers["x-request-id"][0]
        assert refused.headers["www-authenticate"][0].startswith("Basic")
        assert "results" not in answer or answer["results"] is None, "no catalogue for a wrong key"
        if status == 422:
            assert answer["message"] == answer["errorInfo"]["message"]
