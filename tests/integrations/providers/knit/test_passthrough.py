"""Reading Knit's passthrough answer: Knit's envelope says the call was delivered, the wrapped
Ashby answer says whether Ashby applied it (integrations/providers/knit/passthrough.py)."""

import json

import pytest

from integrations.base import ATSNotFound, ATSRateLimited, ATSServerError, ATSValidationError
from integrations.providers.knit.passthrough import ashby_outcome, request_body


def wrapped(body, status=200):
    return {"response": {"statusCode": status, "headers": {}, "body": json.dumps(body)}}


def test_the_request_carries_ashbys_body_as_a_compact_json_string():
    sent = request_body({"assessment_id": "ats_ass_1", "timestamp": 1})
    assert sent == {
        "method": "POST",
        "path": "/assessment.update",
        "body": '{"assessment_id":"ats_ass_1","timestamp":1}',
    }


def test_ashbys_success_is_the_only_success():
    assert ashby_outcome(wrapped({"success": True})) is None
    assert isinstance(ashby_outcome(wrapped({"results": {}})), ATSValidationError)
    assert isinstance(ashby_outcome({"response": {"body": "<html>bad gateway</html>"}}), ATSValidationError)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(404, ATSNotFound), (429, ATSRateLimited), (503, ATSServerError), (422, ATSValidationError)],
)
def test_a_wrapped_http_error_is_classified_like_a_direct_call(status, error_class):
    error = ashby_outcome(wrapped({"success": False, "errors": ["boom"]}, status=status), request_id="exe_1")
    assert type(error) is error_class and error.status_code == status and error.request_id == "exe_1"
    assert f"Ashby answered {status}" in error.message and "boom" in error.message


def test_ashbys_rate_limit_inside_a_200_is_retried_not_dead():
    body = {"success": False, "errorInfo": {"code": "rate_limit_exceeded", "message": "Slow down"}}
    assert isinstance(ashby_outcome(wrapped(body)), ATSRateLimited)
