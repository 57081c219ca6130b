"""The checklist's "How to fix" for Ashby shows a setup-guide Common Error only where it applies:
to what actually failed (its recorded reason) and to how the integration signs in (API key or
OAuth). An item that is only waiting shows none."""

import pytest

from integrations.models import IntegrationStatus
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.client import REAUTHORIZE_HINT
from integrations.registry import get_provider
from integrations.services.checklist import integration_checklist
from integrations.services.integrations import integration_credentials_check

from .helpers import ashby_integration, sim_integration

pytestmark = pytest.mark.django_db

SIGNATURE_FIX = "Webhook signature validation failed"
OAUTH_SCOPE_FIX = "Invalid OAuth scope"
OAUTH_401_FIX = "401 Unauthorized when updating candidate scorecard"
PERMISSION_FIX = "Ashby refused a call: missing_endpoint_permission"


def item(integration, key):
    integration.refresh_from_db()
    return next(i for i in integration_checklist(integration=integration).items if i.key == key)


def fix_titles(integration, key) -> list[str]:
    return [f.title for f in item(integration, key).fixes]


def test_webhooks_failing_for_a_missing_permission_show_the_permission_fix_not_the_signature_one(
    simulators, workspace
):
    integration, _ = sim_integration(
        workspace=workspace, permissions=[p for p in sim.ALL_PERMISSIONS if p != "apiKeysWrite"]
    )
    assert integration_credentials_check(integration=integration)

    webhooks = item(integration, "webhooks")
    assert webhooks.state == "fail"
    titles = fix_titles(integration, "webhooks")
    assert SIGNATURE_FIX not in titles
    assert PERMISSION_FIX in titles
    assert any("apiKeysWrite" in step for f in webhooks.fixes for step in f.steps)


def test_an_unchecked_api_key_shows_no_fix_and_never_an_oauth_one(workspace):
    integration = ashby_integration(workspace=workspace, status=IntegrationStatus.PENDING)
    credentials = item(integration, "credentials")
    assert credentials.state != "fail"
    assert credentials.fixes == ()


def test_an_api_key_ashby_refuses_with_401_gets_the_api_key_fix_not_the_oauth_ones(
    mocked_responses, workspace
):
    integration = ashby_integration(workspace=workspace, status=IntegrationStatus.PENDING)
    mocked_responses.post(f"{constants.API_BASE}/apiKey.info", status=401, json={"success": False})
    assert not integration_credentials_check(integration=integration)

    credentials = item(integration, "credentials")
    assert credentials.state == "fail" and "401" in credentials.detail, credentials.detail
    titles = fix_titles(integration, "credentials")
    assert "401 Unauthorized" in titles  # the generic fix: "save a newly generated API key here"
    assert OAUTH_401_FIX not in titles and OAUTH_SCOPE_FIX not in titles


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (f"Ashby answered 401 Unauthorized: {REAUTHORIZE_HINT}", OAUTH_401_FIX),
        (get_provider("ashby").explain_oauth_error("invalid_scope", "", None), OAUTH_SCOPE_FIX),
    ],
)
def test_an_oauth_integration_still_gets_the_oauth_fixes_for_its_own_failures(workspace, reason, expected):
    integration = ashby_integration(
        workspace=workspace, auth_kind="oauth2", status=IntegrationStatus.NEEDS_REAUTH, status_reason=reason
    )
    assert expected in fix_titles(integration, "credentials")


def test_the_scopes_item_of_an_api_key_shows_the_permission_fix_on_its_403(simulators, workspace):
    integration, _ = sim_integration(
        workspace=workspace, permissions=[p for p in sim.ALL_PERMISSIONS if p != "candidatesWrite"]
    )
    assert integration_credentials_check(integration=integration)
    # A result write-back is refused for the missing permission (what Ashby answers).
    from integrations.models import OutboundCall

    OutboundCall.objects.create(
        integration=integration,
        method="POST",
        path="/assessment.update",
        operation="assessment.update",
        status_code=403,
        error_message="Ashby refused the call: missing_endpoint_permission (candidatesWrite).",
    )
    titles = fix_titles(integration, "scopes")
    assert PERMISSION_FIX in titles
    assert OAUTH_SCOPE_FIX not in titles and OAUTH_401_FIX not in titles
