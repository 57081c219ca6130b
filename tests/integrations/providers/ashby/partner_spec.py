"""Ashby's partner OpenAPI, from a third-party mirror (tests/fixtures/ashby/openapi/, source and commit in its
README) loaded into schemathesis, pointed at our WSGI app: the base URL is the integration's
partner base URL, exactly what a customer pastes into Ashby."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import checks as st_checks

from .helpers import ashby_integration, basic, with_partner_key

OPENAPI = Path(__file__).parents[3] / "fixtures" / "ashby" / "openapi"
PARTNER_SPEC = OPENAPI / "ashby-partner-assessment-openapi.yml"
USED_SPEC = OPENAPI / "ashby-api-used-openapi.yml"
# Response checks with format validation on (`format: uuid` is the point of several of them).
# Without security parameters, Authorization is ours to send (the partner key, as Ashby sends
# it). With them (`with_security=True`), schemathesis generates an Authorization header from the
# spec's global `security: [BasicAuth]` (random Basic credentials, and in negative mode malformed
# or missing ones): wrong keys, answered with the operation's own refusal (the spec lists no 401).
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


def load_partner_spec(app, *, with_security: bool = False) -> schemathesis.schemas.BaseSchema:
    config = {**CONFIG, "generation": {"with-security-parameters": with_security}}
    schema = schemathesis.openapi.from_path(str(PARTNER_SPEC), config=schemathesis.Config.from_dict(config))
    schema.app = app
    return schema


class Partner:
    """Ashby's side: calls `<partner base URL>/<operation>` and validates what comes back. The
    base URL is the integration's own (`/partners/ashby/<public id>`) or, `by_key`, the shared
    one (`/partners/ashby`, the integration found by the key)."""

    def __init__(self, app, integration, key: str, *, by_key: bool = False, with_security: bool = False):
        self.schema = load_partner_spec(app, with_security=with_security)
        self.integration, self.key = integration, key
        self.base_url = "http://testserver/partners/ashby" + ("" if by_key else f"/{integration.public_id}")

    def call(
        self,
        path: str,
        body: Any,
        *,
        raw: bytes | None = None,
        media_type: str | None = None,
        key: str | None = None,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        **transport: Any,
    ):
        """POST (or `method`) `body` (or the bytes `raw`) with Basic auth (`key`, default the
        integration's partner key) plus `headers`; `transport` goes to werkzeug (e.g.
        environ_overrides). Raises on any violation of the spec (status, content type, body)."""
        case = self.schema[path]["POST"].Case(body=body, media_type=media_type, method=method)
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {}
        all_headers = {**basic(key or self.key), **(headers or {})}
        response = case.call(base_url=self.base_url, headers=all_headers, **kwargs, **transport)
        case.validate_response(response, checks=CHECKS)
        return response


@pytest.fixture
def partner(wsgi_app, settings):
    """Ashby calling an integration's base URL, the integration's inbound budget off."""
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0}}
    integration = ashby_integration()
    return Partner(wsgi_app, integration, with_partner_key(integration))


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
