"""A secrets rotation tries Knit's revoke call, which Knit does not have: its expected 404 is an
explained refusal (KnitProvider.explained_refusals), not a failed call in the health numbers."""

import html as htmllib
import re

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus, OutboundCall
from integrations.providers.knit import constants
from integrations.providers.knit.simulator import sim_account_create
from integrations.services.health import integration_health
from integrations.services.integrations import integration_create


@pytest.fixture
def connected(client_in_workspace, workspace, user, simulators):
    integration = integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )
    account = sim_account_create("Acme (Ashby)")
    response = client_in_workspace.post(
        reverse("integrations:integration-knit:setup", args=[integration.pk]),
        {"api_key": account["api_key"], "integration_id": account["integration_id"], "use_simulator": "on"},
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    return integration


def rotate(client, integration) -> None:
    for action in ("secrets-create", "secrets-confirm"):
        client.post(reverse("integrations:integration-knit:action", args=[integration.pk, action]))


def health_panel(client, integration) -> str:
    page = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    text = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    match = re.search(r"Calls to Knit, 24 h (\d+[^A-Z]*)", text)
    assert match, "the health panel shows the call count"
    return match.group(1)


@pytest.mark.django_db
def test_after_a_rotation_the_health_panel_shows_no_failed_call(client_in_workspace, connected):
    rotate(client_in_workspace, connected)

    revoke = OutboundCall.objects.get(integration=connected, operation=constants.PATH_SECRETS_REVOKE)
    assert revoke.status_code == 404, "the rotation asked Knit to revoke and got its 404"
    calls = health_panel(client_in_workspace, connected)
    assert "failed" not in calls, calls
    health = integration_health(integration=connected)
    assert health.call_errors_24h == 0 and health.calls_24h >= 3
    assert health.ok


@pytest.mark.django_db
def test_a_revoke_call_that_knit_fails_still_counts_as_failed(client_in_workspace, connected):
    """Only the explained refusal is left out: a 5xx on the same call is Knit failing."""
    OutboundCall.objects.create(
        integration=connected,
        provider="knit",
        method="POST",
        path="/sim/knit/v1.0/" + constants.PATH_SECRETS_REVOKE,
        operation=constants.PATH_SECRETS_REVOKE,
        status_code=503,
        error_class="ATSServerError",
        error_message="Knit failed (503).",
    )

    assert "1 failed" in health_panel(client_in_workspace, connected)


@pytest.mark.django_db
def test_a_knit_429_on_the_health_card_names_knit_and_promises_no_credentials_retry(
    client_in_workspace, connected
):
    """The calls went to Knit's API: the card says Knit, as the setup page's flash does, and does not
    promise to retry what nothing retries (a credentials check)."""
    from integrations.providers.knit.simulator import sim_account_update

    sim_account_update(connected.credentials["integration_id"], fail_next=["429"])
    client_in_workspace.post(reverse("integrations:action", args=[connected.pk, "test"]))
    page = client_in_workspace.get(reverse("integrations:detail", args=[connected.pk])).content.decode()
    text = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Knit refused 1 call(s) with 429" in text, text[:3000]
    assert "Ashby via Knit refused" not in text and "will retry" not in text
