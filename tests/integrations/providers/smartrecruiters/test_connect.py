"""Connecting through the built-in simulator: OAuth consent and token exchange, scopes granted vs
requested, the redirect URI check, regions and hosts, the webhook subscription flows."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.base import ATSRateLimited
from integrations.models import Integration, IntegrationActivity, IntegrationStatus, Token
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.integrations import integration_credentials_check
from integrations.services.oauth import redirect_uri_for
from tests.factories import IntegrationFactory

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db


def test_connecting_activates_a_subscription_with_the_handshake_and_stores_the_secret_key(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    ours = integration.secrets_for_verification()[0]
    response = connect_via_simulator(client_in_workspace, integration)
    assert response.status_code == 302, response.content[:500]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    token = Token.objects.get(integration=integration)
    assert not token.missing_scopes() and token.refresh_token
    assert token.refresh_expires_at - timezone.now() > timedelta(days=729), "2-year refresh tokens"
    state = integration.provider_settings["subscription"]
    assert state["status"] == "active" and state["api"] == "webhooks-api"
    sr_sub = sim.get("subscription", state["id"])
    assert sr_sub["status"] == "active", "SR activated it after we echoed X-Hook-Secret"
    assert sr_sub["callbackUrl"].endswith(f"/webhooks/smartrecruiters/{integration.public_id}/")
    assert integration.webhook_secrets[0]["secret"] == sr_sub["keys"][0]["key"], (
        "SR's key verifies deliveries"
    )
    assert ours in integration.secrets_for_verification(), "our own secret keeps verifying the seed scheme"
    company = sim.get("company", integration.demo["company_id"])
    assert company["partner"]["base_url"] == "http://testserver/partners/smartrecruiters/"
    assert company["partner"]["client_id"] == integration.credentials["partner_client_id"]


def test_reconnecting_keeps_the_active_subscription(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    first = integration.provider_settings["subscription"]["id"]
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["subscription"]["id"] == first
    assert len(sim.items("subscription")) == 1


def test_consent_page_rejects_a_redirect_uri_that_differs_by_a_trailing_slash(client_in_workspace, sr_sim):
    integration = sr_sim()
    company = sim.get("company", integration.demo["company_id"])
    sim.put("company", company["id"], {**company, "redirect_uri": redirect_uri_for("smartrecruiters") + "/"})
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    page = client_in_workspace.get(start["Location"])
    assert page.status_code == 400
    text = page.content.decode()
    assert constants.REDIRECT_URI_ERROR in text
    assert redirect_uri_for("smartrecruiters") + "/" in text and "trailing slash" in text


def test_oauth_redirect_uri_error_is_explained_with_the_exact_uri_to_register(client_in_workspace, sr_sim):
    from urllib.parse import parse_qs, urlsplit

    integration = sr_sim()
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client_in_workspace.get(
        "/smartrecruiters/oauth-callback",
        {"state": state, "error": "invalid_request", "error_description": "Invalid OAuth redirect URI"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Invalid OAuth redirect URI" in text
    assert f"must be exactly {redirect_uri_for('smartrecruiters')} (it has no trailing slash)" in text


def test_missing_assessments_write_is_flagged_before_any_delivery(client_in_workspace, sr_sim):
    integration = sr_sim()
    granted = [s for s in constants.SCOPES if s != "assessments:write"]
    connect_via_simulator(client_in_workspace, integration, granted=granted)
    integration.refresh_from_db()
    assert Token.objects.get(integration=integration).missing_scopes() == ["assessments:write"]
    assert IntegrationActivity.objects.filter(
        integration=integration, kind="smartrecruiters.scope_missing"
    ).exists()
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk]))
    assert b'id="sr-scope-warning"' in page.content
    assert b"did not grant assessments:write" in page.content


def test_seed_webhook_setup_subscribes_with_target_url_and_custom_headers(client_in_workspace, sr_sim):
    integration = sr_sim(provider_settings={"webhook_api": "seed"})
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    subs = sim.items("subscription")
    assert {s["events"][0] for s in subs} == set(constants.SUBSCRIBED_EVENTS)
    for sub in subs:
        assert sub["targetUrl"] == "http://testserver/smartrecruiters/webhooks"
        assert sub["headers"] == {
            "X-Custom-Header": "JobCannon",
            "X-JobCannon-Integration": str(integration.public_id),
        }
    assert integration.provider_settings["subscription"]["api"] == "seed"


def test_eu_integration_calls_the_eu_host_and_a_region_mismatch_is_explained(client_in_workspace, sr_sim):
    integration = sr_sim(region="eu")
    provider = get_provider("smartrecruiters")
    assert provider.api_base_url(integration) == "http://testserver/sim/smartrecruiters/api/eu"
    company = sim.get("company", integration.demo["company_id"])
    assert company["region"] == "eu"
    sim.put("company", company["id"], {**company, "region": "us"})  # the SR account lives in the US
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status != IntegrationStatus.CONNECTED
    assert "US region" in integration.status_reason and "data region" in integration.status_reason


def test_access_token_is_refreshed_before_it_expires_and_the_refresh_token_is_kept(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    token = Token.objects.get(integration=integration)
    Token.objects.filter(pk=token.pk).update(access_expires_at=timezone.now() + timedelta(minutes=1))
    company = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk)).company()
    assert company.id == integration.demo["company_id"]
    refreshed = Token.objects.get(pk=token.pk)
    assert refreshed.access_token != token.access_token and refreshed.refresh_token == token.refresh_token
    assert refreshed.access_expires_at > timezone.now() + timedelta(minutes=20)


def test_simulator_answers_429_above_its_rate_limit(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    company = sim.get("company", integration.demo["company_id"])
    sim.put("company", company["id"], {**company, "rate_limit": 1})
    client = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk))
    with pytest.raises(ATSRateLimited) as raised:
        for _ in range(3):
            client.company()
    assert raised.value.status_code == 429


def test_hosts_keep_sandbox_production_and_regions_apart(settings):
    provider = get_provider("smartrecruiters")
    cases = {
        ("production", "us"): "https://api.smartrecruiters.com",
        ("production", "eu"): "https://api.eu.smartrecruiters.com",
        ("sandbox", "us"): "https://api.sandbox.smartrecruiters.com",
    }
    for (environment, region), host in cases.items():
        integration = IntegrationFactory.build(
            provider="smartrecruiters", environment=environment, region=region
        )
        assert provider.api_base_url(integration) == host
    production = IntegrationFactory.build(
        provider="smartrecruiters",
        environment="production",
        region="us",
        provider_settings={"use_simulator": True},
    )
    assert provider.api_base_url(production) == "https://api.smartrecruiters.com", "never the simulator"
    assert (
        provider.oauth_config(production).authorize_url
        == "https://www.smartrecruiters.com/identity/oauth/allow"
    )
    sandbox = IntegrationFactory.build(provider="smartrecruiters", environment="sandbox", region="us")
    assert provider.oauth_config(sandbox).authorize_url.startswith("https://sandbox.smartrecruiters.com/")


def test_rate_limit_defaults_to_the_seed_100_per_second():
    assert get_provider("smartrecruiters").rate_limit.per_second == 100
