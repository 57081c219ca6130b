from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from integrations.models import Integration, IntegrationStatus
from jobcannon.workspaces.models import Role
from tests.factories import IntegrationFactory, MembershipFactory
from tests.integrations.console import sandbox

pytestmark = pytest.mark.django_db


def start(client, provider="consolesim", **data):
    payload = {"environment": "sandbox", "auth_kind": "api_key", "use_simulator": "on", **data}
    return client.post(reverse("integrations:wizard", args=[provider]), payload)


def test_connect_page_offers_every_visible_provider_and_hides_the_fake_one(client_in_workspace):
    page = client_in_workspace.get(reverse("integrations:connect")).content.decode()
    for name in ("Ashby", "Lever", "SmartRecruiters"):
        assert f"Connect {name}" in page
    assert "Fake ATS" not in page


def test_step_one_creates_a_sandbox_on_the_simulator_and_shows_the_webhook_secret_once(
    consolesim, client_in_workspace
):
    response = start(client_in_workspace)
    integration = Integration.objects.get()
    assert response["Location"] == reverse("integrations:setup", args=[integration.pk])
    assert (
        integration.provider_settings == {"use_simulator": True}
        and integration.status == IntegrationStatus.PENDING
    )
    page = client_in_workspace.get(response["Location"]).content.decode()
    secret = integration.secrets_for_verification()[0]
    assert secret in page and 'id="new-secret"' in page
    # Console Sim registers its webhooks by API: nothing to paste, the page says JobCannon does it.
    assert f"/webhooks/consolesim/{integration.public_id}/" not in page
    assert 'id="webhooks-registered-by-jobcannon"' in page
    assert secret not in client_in_workspace.get(response["Location"]).content.decode()


def test_simulator_cannot_stand_in_for_production_and_duplicates_are_refused(
    consolesim, client_in_workspace, workspace
):
    response = start(client_in_workspace, environment="production")
    assert response.status_code == 200 and "only stand in for a sandbox" in response.content.decode()
    IntegrationFactory(workspace=workspace, provider="consolesim", environment="sandbox")
    conflict = start(client_in_workspace)
    assert (
        conflict.status_code == 200
        and "already has a sandbox integration with Console Sim ATS" in conflict.content.decode()
    )


def test_api_key_from_the_simulator_is_prefilled_and_validated_live(
    consolesim, simulators, client_in_workspace
):
    start(client_in_workspace)
    integration = Integration.objects.get()
    setup = reverse("integrations:setup", args=[integration.pk])
    prefilled = client_in_workspace.post(setup, {"step": "simulator"}).content.decode()
    key = prefilled.split('name="api_key" value="')[1].split('"')[0]
    assert key.startswith("sim_key_")
    response = client_in_workspace.post(setup, {"step": "credentials", "api_key": key})
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    page = client_in_workspace.get(setup).content.decode()
    assert 'id="connected-status"' in page and key not in page


def test_a_wrong_api_key_is_refused_with_the_reason_from_the_ats(consolesim, simulators, client_in_workspace):
    start(client_in_workspace)
    integration = Integration.objects.get()
    response = client_in_workspace.post(
        reverse("integrations:setup", args=[integration.pk]), {"step": "credentials", "api_key": "nope"}
    )
    assert response.status_code == 200
    assert "Invalid API key or token" in response.content.decode()
    assert Integration.objects.get().status == IntegrationStatus.PENDING


def test_oauth_step_sends_the_admin_to_consent_and_back_to_the_wizard(
    consolesim, simulators, client_in_workspace
):
    start(client_in_workspace, auth_kind="oauth2")
    integration = Integration.objects.get()
    client_id, secret = sandbox.oauth_client_register()
    setup = reverse("integrations:setup", args=[integration.pk])
    response = client_in_workspace.post(
        setup, {"step": "oauth", "client_id": client_id, "client_secret": secret}
    )
    assert response["Location"].startswith("http://testserver/sim/consolesim/authorize")
    q = urlsplit(response["Location"]).query
    assert parse_qs(q)["redirect_uri"] == ["http://testserver/consolesim/oauth-callback"]
    approved = client_in_workspace.post("/sim/consolesim/authorize", {"q": q, "decision": "approve"})
    back = client_in_workspace.get(approved["Location"])
    assert back["Location"] == setup
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.provider_settings["webhooks"][0]["event"] == "assessment.requested"


def test_setup_shows_the_providers_guide_and_the_exact_values_to_paste(consolesim, client_in_workspace):
    start(client_in_workspace, auth_kind="oauth2")
    integration = Integration.objects.get()
    page = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    assert "Create an app in Console Sim" in page and "Order a test assessment" in page
    assert "http://testserver/consolesim/oauth-callback" in page
    assert 'data-copy aria-label="Copy redirect URI"' in page


def test_members_cannot_use_the_wizard(consolesim, client, workspace):
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    assert client.get(reverse("integrations:wizard", args=["consolesim"])).status_code == 403
    assert start(client).status_code == 403


def test_every_registered_provider_has_a_wizard_with_its_setup_steps(client_in_workspace):
    from integrations.registry import get_providers

    for provider in get_providers().values():
        if provider.hidden:
            continue
        page = client_in_workspace.get(reverse("integrations:wizard", args=[provider.key]))
        assert page.status_code == 200, provider.key
        response = start(client_in_workspace, provider=provider.key, auth_kind=provider.auth_kinds[0],
                         **({"region": provider.regions[0]} if provider.regions else {}))  # fmt: skip
        assert response.status_code == 302, (provider.key, response.content.decode()[:500])
        setup = client_in_workspace.get(response["Location"])
        assert setup.status_code == 200 and "Step 2" in setup.content.decode()
