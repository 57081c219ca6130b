"""What is refused before an Ashby partner operation runs, checked against Ashby's
partner OpenAPI (third-party mirror) (tests/fixtures/ashby/openapi/ashby-partner-assessment-openapi.yml) like every
other answer: the shared inbound guard (integrations/middleware.py: a bad Content-Length, a
body over WEBHOOK_MAX_BODY_BYTES, multipart, JSON nested too deep, the caller's failed-key budget
spent) and DRF (Accept, methods other than POST).

The spec lists 200/409/422 for assessment.start and 200 for the others, each refusal in Ashby's
envelope (`success: false`, `errorInfo {code, message, requestId}`). So every refusal here is the
operation's own: 422 with the message Ashby shows on assessment.start, a 200 envelope elsewhere
(AshbyProvider.partner_refusal, partner_errors.refusal). Before, they were 400/413/415/429 in the
project's generic `{"error": ...}` shape, 405, 406, or browsable-API HTML."""

from __future__ import annotations

import pytest

from assessments.models import AssessmentRun

from .helpers import ashby_integration, with_partner_key
from .partner_spec import Partner

# The refusal status each operation's spec lists.
OPERATIONS = {
    "/assessment.list": 200,
    "/assessment.start": 422,
    "/assessment.cancel": 200,
    "/assessment.customField.list": 200,
}
WRONG_KEY = "jcash_000000000000_wrong"


def assert_refused(response, path: str, code: str) -> dict:
    """Refused by the operation (`partner.call` has already checked the answer against the spec):
    its listed status, Ashby's envelope naming `code`, and the request id of our logs."""
    assert response.status_code == OPERATIONS[path], response.content
    body = response.json()
    assert body["success"] is False and body["errors"] == [code]
    assert body["errorInfo"]["code"] == code and body["errorInfo"]["message"]
    assert body["errorInfo"]["requestId"] == response.headers["x-request-id"][0]
    if path == "/assessment.start":
        assert body["message"] == body["errorInfo"]["message"], "the sentence Ashby shows the recruiter"
    return body


def guard_cases(limit: int) -> dict[str, dict]:
    """What the inbound guard refuses, as (raw body, headers, werkzeug environ, Ashby code)."""
    json_type = {"Content-Type": "application/json"}
    return {
        "multipart": {
            "raw": b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
            "headers": {"Content-Type": "multipart/form-data; boundary=x"},
            "code": "invalid_input",
        },
        "JSON 300 deep": {"raw": b"[" * 300 + b"]" * 300, "headers": json_type, "code": "invalid_input"},
        "body over 1 MiB": {
            "raw": b'{"x": "' + b"a" * limit + b'"}',
            "headers": json_type,
            "code": "payload_too_large",
        },
        "Content-Length not a number": {
            "raw": b"{}",
            "headers": json_type,
            "environ_overrides": {"CONTENT_LENGTH": "x"},
            "code": "invalid_input",
        },
    }


GUARD_CASE_NAMES = list(guard_cases(0))


@pytest.mark.parametrize("by_key", [False, True], ids=["integration-url", "shared-url"])
@pytest.mark.parametrize("case_name", GUARD_CASE_NAMES)
@pytest.mark.parametrize("path", list(OPERATIONS))
@pytest.mark.django_db
def test_the_inbound_guard_refuses_a_partner_call_with_a_status_the_operation_lists(
    wsgi_app,
    settings,
    path,
    case_name,
    by_key,
):
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0}}
    integration = ashby_integration()
    ashby = Partner(wsgi_app, integration, with_partner_key(integration), by_key=by_key)
    case = guard_cases(settings.WEBHOOK_MAX_BODY_BYTES)[case_name]
    response = ashby.call(
        path,
        None,
        raw=case["raw"],
        headers=case["headers"],
        environ_overrides=case.get("environ_overrides", {}),
    )  # raises on any violation of the spec
    assert_refused(response, path, case["code"])
    assert not AssessmentRun.objects.exists()


@pytest.mark.parametrize("path", list(OPERATIONS))
@pytest.mark.django_db
def test_past_the_failed_key_budget_each_operation_still_answers_as_its_spec_lists_with_retry_after(
    partner,
    settings,
    path,
):
    """INBOUND_FAILURE_RATE_LIMITS: two failed keys from this address, then the guard refuses
    (it was a 429 `{"error": {"code": "rate_limited"}}`). Ashby's own rate-limit code, the wait
    in the message and in Retry-After; the right key from the same address still works."""
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 0.001, "burst": 2}
    answers = [partner.call(path, {}, key=WRONG_KEY) for _ in range(3)]
    for answer in answers[:2]:
        assert_refused(answer, path, "unauthenticated")
    body = assert_refused(answers[2], path, "rate_limit_exceeded")
    wait = int(answers[2].headers["retry-after"][0])
    assert wait >= 1 and body["errorInfo"]["message"].endswith(f"retry in {wait} seconds.")
    assert "partner API key" in body["errorInfo"]["message"]
    assert partner.call("/assessment.list", {}).json()["success"] is True


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/html;q=1, application/json;q=0"])
@pytest.mark.parametrize("path", list(OPERATIONS))
@pytest.mark.django_db
def test_answers_are_json_whatever_the_accept_header(partner, path, accept):
    """The spec's answers are application/json only: no 406, no browsable-API HTML."""
    response = partner.call(path, {}, headers={"Accept": accept})  # content type checked too
    assert response.headers["content-type"][0] == "application/json"
    assert response.status_code in (200, 422)


@pytest.mark.parametrize("method", ["GET", "OPTIONS", "PUT", "DELETE"])
@pytest.mark.parametrize("path", list(OPERATIONS))
@pytest.mark.django_db
def test_a_method_other_than_post_is_refused_as_the_operation_refuses(partner, path, method):
    """Ashby only POSTs; anything else (OPTIONS included: no DRF metadata) is the operation's
    refusal, `method_not_allowed` with `Allow: POST` (it was a 405, or a 200 of metadata)."""
    body = None if method in ("GET", "OPTIONS") else {}
    response = partner.call(path, body, method=method)
    assert_refused(response, path, "method_not_allowed")
    assert response.headers["allow"] == ["POST"]
