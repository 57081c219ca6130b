"""Connecting Ashby: OAuth through the simulator's consent page, API key checked with
apiKey.info, sandbox/production separation, the partner key page and the integration panel."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import IntegrationActivity, IntegrationStatus, Token
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.services import partner_key_issued, partner_key_matches
from integrations.registry import get_provider
from integrations.services.integrations import integration_connect_api_key
from tests.factories import MembershipFactory, UserFactory

from .helpers import ashby_integration, sim_integration


def oauth_sim_integration(workspace, **kwargs):
    integration = ashby_integration(
        workspace=workspace,
        auth_kind="oauth2",
        status=IntegrationStatus.PENDING,
        provider_settings={"use_simulator": True},
        credentials={},
        **kwargs,
    )
    account = f"acct-{integration.public_id.hex[:10]}"
    sim.account_ensure(account, "OAuth workspace")
    client_id, client_secret = sim.oauth_client_create(account)
    integration.credentials = {"client_id": client_id, "client_secret": client_secret}
    integration.save()
    return integration, account


def authorize(client, integration, *, decision="approve"):
    """Re-authorize → simulator consent page → approve → our callback. Returns the callback response."""
    response = client.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    assert response.status_code == 302
    consent = urlsplit(response["Location"])
    assert consent.path == "/sim/ashby/oauth/authorize"
    page = client.get(consent.path + "?" + consent.query)
    assert page.status_code == 200 and b"candidate:write" in page.content
    params = dict(pair.split("=", 1) for pair in consent.query.split("&"))
    from urllib.parse import unquote_plus

    params = {k: unquote_plus(v) for k, v in params.items()}
    back = client.post(consent.path, {**params, "decision": decision})
    assert back.status_code == 302
    callback = urlsplit(back["Location"])
    assert callback.path == "/ashby/oauth-callback"
    return client.get(callback.path + "?" + callback.query)


@pytest.mark.django_db
def test_oauth_through_the_simulator_connects_and_registers_webhooks(
    client_in_workspace, workspace, simulators
):
    integration, account = oauth_sim_integration(workspace)
    response = authorize(client_in_workspace, integration)
    assert response.status_code == 302, response.content[:400]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    token = Token.objects.get(integration=integration)
    assert sorted(token.scopes_granted) == sorted(constants.SCOPES)
    lifetime = token.refresh_expires_at - token.refresh_issued_at
    assert abs(lifetime - timedelta(days=730)) < timedelta(seconds=1), "refresh tokens last about 2 years"
    # applicationSubmit (the setup guide's candidate.created) and the data sync's refresh triggers.
    assert len(sim.list_for("webhook", account)) == len(constants.SYNC_WEBHOOKS)


@pytest.mark.django_db
def test_invalid_oauth_scope_ends_on_a_page_naming_the_scope_and_the_fix(
    client_in_workspace, workspace, simulators
):
    integration, account = oauth_sim_integration(workspace)
    sim.account_update(account, plan="Standard", unavailable_scopes=[constants.SCOPE_ASSESSMENT_READ])
    response = authorize(client_in_workspace, integration)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Invalid OAuth scope" in page and "assessment:read" in page
    assert "Enterprise tier" in page and "Re-authorize" in page
    line = IntegrationActivity.objects.get(integration=integration, kind="oauth.denied")
    assert "assessment:read" in line.message
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING


@pytest.mark.django_db
def test_declined_consent_is_explained(client_in_workspace, workspace, simulators):
    integration, _ = oauth_sim_integration(workspace)
    response = authorize(client_in_workspace, integration, decision="deny")
    assert response.status_code == 400 and b"declined" in response.content


@pytest.mark.django_db
def test_oauth_tokens_refresh_proactively_through_the_simulator(client_in_workspace, workspace, simulators):
    from integrations.services.oauth import token_get_access

    integration, _ = oauth_sim_integration(workspace)
    authorize(client_in_workspace, integration)
    token = Token.objects.get(integration=integration)
    Token.objects.filter(pk=token.pk).update(access_expires_at=timezone.now() + timedelta(minutes=2))
    integration.refresh_from_db()
    fresh = token_get_access(integration=integration)
    assert fresh != token.access_token
    assert get_provider("ashby").validate_credentials(integration).ok


@pytest.mark.django_db
def test_api_key_is_checked_with_api_key_info(simulators):
    integration, account = sim_integration()
    good = integration.credential("api_key")
    assert not integration_connect_api_key(integration=integration, api_key="ashby_sim_wrong")
    integration.refresh_from_db()
    assert "wrong or deactivated" in integration.status_reason
    assert integration_connect_api_key(integration=integration, api_key=good)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert (
        "apiKey.info"
        in IntegrationActivity.objects.filter(integration=integration, kind="credentials.valid")
        .first()
        .message
    )


@pytest.mark.django_db
def test_sandbox_and_production_are_separate_integrations(workspace):
    provider = get_provider("ashby")
    sandbox = ashby_integration(workspace=workspace, environment="sandbox")
    production = ashby_integration(workspace=workspace, environment="production")
    assert sandbox.public_id != production.public_id
    assert provider.oauth_config(sandbox).authorize_url.startswith("https://test.ashbyhq.com/")
    assert provider.oauth_config(production).authorize_url.startswith("https://app.ashbyhq.com/")
    assert provider.partner_base_url(sandbox) != provider.partner_base_url(production)


@pytest.mark.django_db
def test_partner_key_is_shown_once_and_rotatable(client_in_workspace, workspace):
    integration = ashby_integration(workspace=workspace)
    url = reverse("integrations:integration-ashby:partner-key", args=[integration.pk])
    assert b"not issued yet" in client_in_workspace.get(url).content
    first = client_in_workspace.post(url)
    assert first["Cache-Control"] == "no-store"
    integration.refresh_from_db()
    key = re.search(rb"jcash_[0-9a-f]{12}_[A-Za-z0-9_-]+", first.content).group().decode()
    assert partner_key_matches(integration, key)
    assert key.encode() not in client_in_workspace.get(url).content, "shown once"
    client_in_workspace.post(url)
    integration.refresh_from_db()
    assert not partner_key_matches(integration, key)
    assert IntegrationActivity.objects.filter(integration=integration, kind="partner_key.rotated").exists()


@pytest.mark.django_db
def test_partner_key_page_of_another_workspace_is_404(client_in_workspace):
    other = ashby_integration()
    url = reverse("integrations:integration-ashby:partner-key", args=[other.pk])
    assert client_in_workspace.get(url).status_code == 404
    assert client_in_workspace.post(url).status_code == 404


@pytest.mark.django_db
def test_plain_member_cannot_issue_the_partner_key(client, workspace):
    member = UserFactory()
    MembershipFactory(user=member, workspace=workspace, role="member")
    client.force_login(member)
    integration = ashby_integration(workspace=workspace)
    url = reverse("integrations:integration-ashby:partner-key", args=[integration.pk])
    assert client.post(url).status_code == 403
    integration.refresh_from_db()
    assert not partner_key_issued(integration)


@pytest.mark.django_db
def test_integration_page_shows_webhooks_partner_url_and_old_token_warning(client_in_workspace, workspace):
    integration = ashby_integration(
        workspace=workspace,
        auth_kind="oauth2",
        provider_settings={
            "webhooks": [
                {
                    "event": "candidate.created",
                    "webhook_type": "candidate.created",
                    "id": "wh-123",
                    "status": "enabled",
                    "url": "http://testserver/x",
                }
            ]
        },
    )
    Token.objects.create(
        integration=integration,
        access_token="a",
        refresh_token="r",
        refresh_issued_at=timezone.now() - timedelta(days=600),
    )
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "wh-123" in page and "candidate.created" in page
    assert f"/partners/ashby/{integration.public_id}" in page
    assert "600 days old" in page and "Re-authorize" in page
