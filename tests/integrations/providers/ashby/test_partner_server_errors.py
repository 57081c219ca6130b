"""Our own failure on an Ashby partner call (a bug, the database down) still answers in Ashby's
error envelope (`success: false`, `errors`, `errorInfo {code, message, requestId}`) with the
request id of our logs, and leaks nothing of the exception.

Before, any exception that was not DRF's or an ApplicationError fell through to the site-wide
handler500: 500 `{"error": {"code": "server_error", ...}}`, no envelope, no request id. The status
is a 5xx on purpose (partner_errors.server_failure says why): the one answer whose status the spec
does not list, so it is checked here against the spec's error envelope, not by `partner.call`."""

from __future__ import annotations

import logging
from unittest import mock

import jsonschema
import pytest
import yaml
from django.db import OperationalError, connection

from assessments.models import AssessmentRun
from integrations.providers.ashby import selectors, services

from .helpers import basic
from .partner_spec import PARTNER_SPEC
from .test_partner_schema import example, listed_type_id

# Credentials, a host and SQL in the exception's text: none may reach Ashby.
SECRET_TEXT = (
    'connection to server at "db.internal" failed: password=hunter2 SELECT * FROM integrations_token'
)
LEAKS = ("hunter2", "db.internal", "integrations_token", "SELECT", "Traceback", "Error:")


def error_envelope_schema() -> dict:
    """The spec's shared error schema, as the `oneOf` error branch of assessment.cancel's 200."""
    spec = yaml.safe_load(PARTNER_SPEC.read_text())
    schema = spec["paths"]["/assessment.cancel"]["post"]["responses"]["200"]["content"]
    return schema["application/json"]["schema"]["oneOf"][1]


def post(partner, path: str, body: dict):
    """Ashby's call, without `partner.call`'s status check (a 5xx is in no operation's list)."""
    case = partner.schema[path]["POST"].Case(body=body)
    return case.call(base_url=partner.base_url, headers=basic(partner.key))


def assert_failure_envelope(response, *, status: int, code: str, operation: str) -> dict:
    assert response.status_code == status, response.content
    assert response.headers["content-type"][0] == "application/json"
    body = response.json()
    jsonschema.validate(body, error_envelope_schema())
    request_id = response.headers["x-request-id"][0]
    assert body["success"] is False and body["errors"] == [code]
    assert body["errorInfo"]["code"] == code
    assert body["errorInfo"]["requestId"] == request_id
    assert operation in body["errorInfo"]["message"] and request_id in body["errorInfo"]["message"]
    text = response.content.decode()
    assert not any(leak in text for leak in LEAKS), text
    if operation == "assessment.start":  # the sentence Ashby shows the recruiter
        assert body["message"] == body["errorInfo"]["message"]
    return body


def boom(*args, **kwargs):
    raise RuntimeError(SECRET_TEXT)


@pytest.mark.parametrize(
    ("operation", "target"),
    [
        ("assessment.start", (services, "partner_assessment_start")),
        ("assessment.cancel", (services, "partner_run_get")),
        ("assessment.list", (selectors, "assessment_type_list")),
    ],
)
@pytest.mark.django_db
def test_an_unexpected_exception_is_a_500_in_ashbys_envelope_with_the_request_id(
    partner, monkeypatch, caplog, operation, target
):
    body = {
        "assessment.start": lambda: {
            **example("assessment.start"),
            "assessment_type_id": listed_type_id(partner),
        },
        "assessment.cancel": lambda: example("assessment.cancel"),
        "assessment.list": lambda: {},
    }[operation]()
    monkeypatch.setattr(*target, boom)
    with caplog.at_level(logging.ERROR, logger="integrations.providers.ashby.apis"):
        response = post(partner, f"/{operation}", body)
    assert_failure_envelope(response, status=500, code="internal_error", operation=operation)
    assert not AssessmentRun.objects.exists()
    # Our side keeps what Ashby does not get: the traceback, under the same request id.
    (record,) = [r for r in caplog.records if r.msg == "ashby.partner_failed"]
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert record.request_id == response.headers["x-request-id"][0]
    assert record.operation == operation


@pytest.mark.parametrize("operation", ["assessment.start", "assessment.cancel", "assessment.list"])
@pytest.mark.django_db
def test_with_the_database_down_ashby_gets_a_503_in_its_envelope(partner, operation):
    """The partner key is checked against the database first: with the database unreachable the
    call fails there, before any operation runs. Ashby is told to come back (503), not that its
    key is wrong."""
    body = {**example("assessment.start"), "assessment_type_id": listed_type_id(partner)}
    bodies = {
        "assessment.start": body,
        "assessment.cancel": example("assessment.cancel"),
        "assessment.list": {},
    }
    with mock.patch.object(connection, "cursor", side_effect=OperationalError(SECRET_TEXT)):
        response = post(partner, f"/{operation}", bodies[operation])
    assert_failure_envelope(response, status=503, code="service_unavailable", operation=operation)
