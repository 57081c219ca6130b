"""AshbyClient: headers, Basic vs Bearer, and Ashby's error shapes (HTTP 200 + success:false,
errors[] as strings or {message, parameter} objects, errorInfo.requestId, x-ashby-request-id)."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.base import (
    ATSAuthError,
    ATSNotFound,
    ATSPermissionError,
    ATSRateLimited,
    ATSServerError,
    ATSValidationError,
)
from integrations.models import OutboundCall, Token
from integrations.providers.ashby import constants
from integrations.registry import get_provider

from .helpers import API_KEY, ashby_integration

URL = constants.API_BASE + "/apiKey.info"


def client_for(integration):
    return get_provider("ashby").client(integration)


@pytest.mark.django_db
def test_api_key_goes_in_basic_username_with_blank_password_and_explicit_headers(mocked_responses):
    mocked_responses.post(URL, json={"success": True, "results": {"title": "k"}})
    client_for(ashby_integration()).api_key_info()
    request = mocked_responses.calls[0].request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert request.headers["Accept"] == "application/json; version=1"
    assert request.headers["User-Agent"].startswith("JobCannon-Ashby/")
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_oauth_integration_sends_bearer_token(mocked_responses):
    integration = ashby_integration(auth_kind="oauth2")
    Token.objects.create(
        integration=integration,
        access_token="at-123",
        refresh_token="rt",
        access_expires_at=timezone.now() + timedelta(hours=1),
    )
    mocked_responses.post(URL, json={"success": True, "results": {}})
    client_for(integration).api_key_info()
    assert mocked_responses.calls[0].request.headers["Authorization"] == "Bearer at-123"


@pytest.mark.parametrize(
    ("body", "error_class", "fragment"),
    [
        ({"success": False, "errors": ["invalid_input"]}, ATSValidationError, "invalid_input"),
        (
            {
                "success": False,
                "errors": ["invalid_input"],
                "errorInfo": {
                    "code": "invalid_input",
                    "message": "Request payload is malformed",
                    "requestId": "01REQ",
                },
            },
            ATSValidationError,
            "Request payload is malformed",
        ),
        (
            {
                "success": False,
                "errors": [{"message": "missing_endpoint_permission", "parameter": "candidatesWrite"}],
            },
            ATSPermissionError,
            "candidatesWrite",
        ),
        ({"success": False, "errors": ["application_not_found"]}, ATSNotFound, "application_not_found"),
        (
            {
                "success": False,
                "errors": ["Rate limit exceeded"],
                "errorInfo": {"code": "rate_limit_exceeded", "message": "slow"},
            },
            ATSRateLimited,
            "slow",
        ),
    ],
)
@pytest.mark.django_db
def test_http_200_with_success_false_is_a_failure_with_its_message(
    mocked_responses, body, error_class, fragment
):
    mocked_responses.post(URL, json=body)
    with pytest.raises(error_class) as info:
        client_for(ashby_integration()).api_key_info()
    assert fragment in info.value.message


@pytest.mark.django_db
def test_request_id_from_body_or_header_is_logged(mocked_responses):
    integration = ashby_integration()
    mocked_responses.post(
        URL, json={"success": False, "errors": ["x"], "errorInfo": {"code": "x", "requestId": "01BODY"}}
    )
    with pytest.raises(ATSValidationError) as info:
        client_for(integration).api_key_info()
    assert info.value.request_id == "01BODY"
    mocked_responses.replace("POST", URL, json={"success": True}, headers={"x-ashby-request-id": "01HEADER"})
    client_for(integration).api_key_info()
    assert list(OutboundCall.objects.order_by("id").values_list("vendor_request_id", flat=True)) == [
        "01BODY",
        "01HEADER",
    ]


@pytest.mark.django_db
def test_401_with_api_key_says_the_key_did_not_reach_ashby(mocked_responses):
    mocked_responses.post(URL, status=401, json={"success": False, "errors": ["unauthenticated"]})
    with pytest.raises(ATSAuthError) as info:
        client_for(ashby_integration()).api_key_info()
    assert "Basic-auth username" in info.value.message


@pytest.mark.django_db
def test_401_with_oauth_uses_the_seed_explanation(mocked_responses):
    integration = ashby_integration(
        auth_kind="oauth2", credentials={"client_id": "cid", "client_secret": "cs"}
    )
    Token.objects.create(
        integration=integration,
        access_token="at",
        refresh_token="rt",
        access_expires_at=timezone.now() + timedelta(hours=1),
    )
    mocked_responses.post(URL, status=401, json={"success": False, "errors": ["unauthenticated"]})
    mocked_responses.post(
        constants.TOKEN_URL,
        json={"access_token": "at-2", "refresh_token": "rt", "expires_in": 3600, "token_type": "Bearer"},
    )
    with pytest.raises(ATSAuthError) as info:
        client_for(integration).api_key_info()
    assert "token expired or insufficient scopes: re-authorize" in info.value.message
    assert "candidate:write" in info.value.message
    auths = [c.request.headers.get("Authorization") for c in mocked_responses.calls if c.request.url == URL]
    assert auths == ["Bearer at", "Bearer at-2"], "one refresh, one retry"


@pytest.mark.django_db
def test_403_wrong_key_vs_missing_endpoint_permission_are_explained_differently(mocked_responses):
    integration = ashby_integration()
    mocked_responses.post(URL, status=403, json={"success": False, "errors": ["invalid_api_key"]})
    with pytest.raises(ATSPermissionError) as wrong:
        client_for(integration).api_key_info()
    assert "wrong or deactivated" in wrong.value.message
    mocked_responses.replace(
        "POST",
        URL,
        status=403,
        json={
            "success": False,
            "errors": [{"message": "missing_endpoint_permission", "parameter": "candidatesWrite"}],
        },
    )
    with pytest.raises(ATSPermissionError) as missing:
        client_for(integration).api_key_info()
    assert (
        "missing_endpoint_permission" in missing.value.message and "candidatesWrite" in missing.value.message
    )
    assert missing.value.vendor_code == "missing_endpoint_permission"


@pytest.mark.django_db
def test_cloudflare_1010_is_named(mocked_responses):
    mocked_responses.post(URL, status=403, body="error code: 1010")
    with pytest.raises(ATSPermissionError) as info:
        client_for(ashby_integration()).api_key_info()
    assert "1010" in info.value.message


@pytest.mark.django_db
def test_5xx_is_retryable_and_names_the_request_id(mocked_responses):
    mocked_responses.post(URL, status=502, body="bad gateway", headers={"x-ashby-request-id": "01GW"})
    with pytest.raises(ATSServerError) as info:
        client_for(ashby_integration()).api_key_info()
    assert info.value.retryable and "01GW" in info.value.message


@pytest.mark.django_db
def test_200_with_non_json_body_is_an_error_not_a_crash(mocked_responses):
    mocked_responses.post(URL, status=200, body="<html>maintenance</html>")
    with pytest.raises(ATSValidationError):
        client_for(ashby_integration()).api_key_info()
