"""Ashby's published partner OpenAPI (tests/fixtures/ashby/openapi/, source and commit in its
README) loaded into schemathesis, pointed at our WSGI app: the base URL is the integration's
partner base URL, exactly what a customer pastes into Ashby."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis import checks as st_checks

OPENAPI = Path(__file__).parents[3] / "fixtures" / "ashby" / "openapi"
PARTNER_SPEC = OPENAPI / "ashby-partner-assessment-openapi.yml"
USED_SPEC = OPENAPI / "ashby-api-used-openapi.yml"
# Response checks with format validation on (`format: uuid` is the point of several of them).
# Authorization is ours to send (the partner key, as Ashby sends it): schemathesis neither
# generates nor negates it. A wrong key is answered 401 (the spec's global `security` is HTTP
# Basic; its operations list no status for it): test_partner_api.py covers those.
CONFIG = {
    "checks": {"response_schema_conformance": {"validate-formats": True}},
    "generation": {"with-security-parameters": False},
}
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]


def load_partner_spec(app) -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_path(str(PARTNER_SPEC), config=schemathesis.Config.from_dict(CONFIG))
    schema.app = app
    return schema


@pytest.fixture
def wsgi_app(db) -> Iterator:
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # Like Django's test client: a request through the WSGI app must not close the connection
    # that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
