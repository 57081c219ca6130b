"""An OAuth connection on a Lever plan without the Webhooks Subscription API: the 403's sentence
reads the scopes Lever granted (Token.scopes_granted), so it never offers "the authorization
lacks the webhooks scopes" while the checklist on the same page says they were granted."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_webhooks as outbound

from .helpers import lever_oauth_integration
from .test_simulator import oauth_to_consent

pytestmark = pytest.mark.django_db
READ, WRITE = constants.OPERATION_SCOPES["webhooks.list"][1], constants.OPERATION_SCOPES["webhooks.create"][1]


def _authorize(client, workspace, *, untick: tuple[str, ...] = ()):
    """Through the sandbox's consent page, as a Lever Super Admin approving JobCannon."""
    outbound.plan_set(webhooks_api=False)
    integration = lever_oauth_integration(workspace=workspace)
    location, query = oauth_to_consent(client, integration)
    granted = [s for s in query["scope"][0].split() if s not in untick]
    back = client.post(
        urlsplit(location).path,
        {k: v[0] for k, v in query.items()} | {"decision": "allow", "granted": granted},
    )
    client.get(back["Location"].removeprefix("http://testserver"))
    integration.refresh_from_db()
    return integration


def _by_hand_step(html: str) -> str:
    found = re.search(r"<h3>Set up the Lever webhooks by hand</h3>\s*<p>(.*?)</p>", html, re.S)
    assert found, "no by-hand step"
    return " ".join(found.group(1).split())


def test_with_every_scope_granted_the_403_is_the_plan_not_a_missing_scope(
    simulators, client_in_workspace, workspace
):
    integration = _authorize(client_in_workspace, workspace)
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.provider_settings["webhook_setup"] == "manual"
    setup_page = client_in_workspace.get(
        reverse("integrations:setup", args=[integration.pk])
    ).content.decode()
    for said in (
        integration.provider_settings["webhook_setup_reason"],
        integration.status_reason,
        _by_hand_step(setup_page),
    ):
        assert "lacks" not in said and "Re-authorize" not in said, said
        assert "plan does not include the Webhooks Subscription API" in said
        assert f"`{READ}`" in said and f"`{WRITE}`" in said and "granted" in said
    # The checklist on the same page agrees: the scopes were granted.
    assert "All requested scopes granted" in setup_page


def test_with_a_webhooks_scope_unticked_only_that_one_is_named_with_the_fix(
    simulators, client_in_workspace, workspace
):
    integration = _authorize(client_in_workspace, workspace, untick=(WRITE,))
    reason = integration.provider_settings["webhook_setup_reason"]
    assert f"`{WRITE}`" in reason and f"`{READ}`" not in reason, reason
    assert "Re-authorize" in reason and "approve" in reason
    setup_page = client_in_workspace.get(
        reverse("integrations:setup", args=[integration.pk])
    ).content.decode()
    step = _by_hand_step(setup_page)
    assert f"`{WRITE}`" in step and f"`{READ}`" not in step and "Re-authorize" in step


def test_the_oauth_connect_flash_says_the_webhooks_are_added_by_hand(
    simulators, client_in_workspace, workspace
):
    """As the API-key connect's flash does (services.integrations.connected_sentence): "Lever authorized." alone
    left the admin to find the by-hand step on their own."""
    from django.contrib.messages import get_messages

    integration = _authorize(client_in_workspace, workspace)
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk]))
    flashes = [str(m) for m in get_messages(page.wsgi_request)]
    said = " ".join(f for f in flashes if f.startswith("Lever authorized."))
    assert "did not let JobCannon register webhooks" in said or "by hand" in said, flashes
