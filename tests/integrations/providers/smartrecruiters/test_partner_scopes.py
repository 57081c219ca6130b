"""Scopes on the tokens our token endpoint issues to SmartRecruiters, checked by the partner
endpoints as SR's OpenAPI declares them (SRO `security`, vendor/assessment_api_2021.openapi.json):
GET packages and packages/{id} need `packages_view`, POST packages/orders and
packages/inline/orders need `orders_modify`; a token without the scope is answered 403
`insufficient_scope` (RFC 6750 3.1)."""

import pytest

from integrations.providers.smartrecruiters import constants, reference

from .test_partner_api import BASE, form_post, order_body, partner  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_the_scopes_we_check_are_the_ones_srs_openapi_declares_for_each_operation():
    assert reference.operation_scopes("/packages", "get") == (constants.SCOPE_PACKAGES_VIEW,)
    assert reference.operation_scopes("/packages/{assessmentPackageId}", "get") == (
        constants.SCOPE_PACKAGES_VIEW,
    )
    assert reference.operation_scopes("/packages/orders", "post") == (constants.SCOPE_ORDERS_MODIFY,)
    assert reference.operation_scopes("/packages/inline/orders", "post") == (constants.SCOPE_ORDERS_MODIFY,)
    # SRO declares none for the removal call and the token endpoint.
    assert reference.operation_scopes("/integrations/companies/{companyId}", "delete") == ()
    assert reference.operation_scopes("/oauth/token", "post") == ()


def _token(client, client_id, secret, scope=None):
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        data["scope"] = scope
    return form_post(client, BASE + "oauth/token", data)


def test_srs_token_request_without_a_scope_gets_both_partner_scopes(client, partner):  # noqa: F811
    _, client_id, secret = partner
    answer = _token(client, client_id, secret)  # SRO TokenInput: grant_type, client_id, client_secret
    assert answer.status_code == 200
    assert answer.json()["scope"].split() == ["packages_view", "orders_modify"]
    token = answer.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(BASE + "packages", headers=headers).status_code == 200
    assert client.get(BASE + "packages/jobcannon-disc", headers=headers).status_code == 200
    placed = client.post(
        BASE + "packages/orders", order_body(), content_type="application/json", headers=headers
    )
    assert placed.status_code == 202


def test_a_token_without_orders_modify_cannot_place_orders(client, partner):  # noqa: F811
    _, client_id, secret = partner
    answer = _token(client, client_id, secret, scope="packages_view")
    assert answer.status_code == 200 and answer.json()["scope"] == "packages_view"
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert client.get(BASE + "packages", headers=headers).status_code == 200
    for path in ("packages/orders", "packages/inline/orders"):
        refused = client.post(BASE + path, order_body(), content_type="application/json", headers=headers)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "insufficient_scope"
        assert "orders_modify" in refused.json()["error"]["message"]
        assert 'error="insufficient_scope"' in refused["WWW-Authenticate"]
        assert 'scope="orders_modify"' in refused["WWW-Authenticate"]


def test_a_token_without_packages_view_cannot_list_or_read_packages(client, partner):  # noqa: F811
    _, client_id, secret = partner
    answer = _token(client, client_id, secret, scope="orders_modify")
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    for path in ("packages", "packages/jobcannon-disc"):
        refused = client.get(BASE + path, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
        assert 'scope="packages_view"' in refused["WWW-Authenticate"]
    placed = client.post(
        BASE + "packages/orders", order_body(), content_type="application/json", headers=headers
    )
    assert placed.status_code == 202


def test_requested_scopes_are_narrowed_to_ours_and_srs_scheme_spelling_is_an_alias(client, partner):  # noqa: F811
    _, client_id, secret = partner
    # SRO's `oauth2` scheme lists five scopes (SR's own and ours), `orders_manage` among them.
    scheme = reference.assessment_api()["components"]["securitySchemes"]["oauth2"]
    everything = " ".join(scheme["flows"]["clientCredentials"]["scopes"])
    assert (
        _token(client, client_id, secret, scope=everything).json()["scope"] == "packages_view orders_modify"
    )
    assert _token(client, client_id, secret, scope="orders_manage").json()["scope"] == "orders_modify"
    refused = _token(client, client_id, secret, scope="jobs_read")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


def test_the_removal_call_declares_no_scope_and_takes_any_valid_token(client, partner):  # noqa: F811
    integration, client_id, secret = partner
    integration.provider_settings = {**(integration.provider_settings or {}), "company_id": "AcmeCorp"}
    integration.save(update_fields=["provider_settings"])
    token = _token(client, client_id, secret, scope="packages_view").json()["access_token"]
    removed = client.delete(
        BASE + "integrations/companies/AcmeCorp", headers={"Authorization": f"Bearer {token}"}
    )
    assert removed.status_code == 204
