"""The sandbox company of a sandbox integration. At SmartRecruiters the customer's company exists
before it meets JobCannon, so the sandbox makes it whenever it is first needed: the integration
page's "Open the SmartRecruiters sandbox" (company pages, for the signed-in user's own sandbox
integrations), or demo_setup ("Get sandbox credentials", demo_seed, tests). Before, only the
optional OAuth step's "Get sandbox credentials" made it, so following Step 2 (skip the OAuth step)
ended on "Unknown company" (audit a1920-r2 G3)."""

from __future__ import annotations

from typing import Any

from integrations.models import Environment, Integration
from integrations.selectors import integration_list_for_workspace
from integrations.services.oauth import redirect_uri_for

from . import constants, selectors, setup
from . import simulator_state as sim


def company_id_for(integration: Integration) -> str:
    """The sandbox names a sandbox integration's company after the integration."""
    return "co-" + integration.public_id.hex[:12]


def integration_company_register(integration: Integration, *, oauth_app: bool) -> dict[str, Any]:
    """Make (or update) the integration's sandbox company, with JobCannon's partner configuration
    saved in the sandbox: the body `manage.py smartrecruiters_partner_configure` PUTs, so that
    Apps & Integrations lists JobCannon. `oauth_app` also registers the OAuth app of the optional
    sign-in (a company as SR publishes one has none: README "Who owns the OAuth client")."""
    company_id = company_id_for(integration)
    existing = sim.get("company", company_id) or {}
    company = sim.company_register(
        name=f"{integration.workspace.name} (sandbox)",
        redirect_uri=redirect_uri_for(constants.KEY),
        region=integration.region or "us",
        company_id=company_id,
        client_id=integration.credential("client_id") or existing.get("client_id"),
        client_secret=integration.credential("client_secret") or existing.get("client_secret"),
        oauth_app=oauth_app,
    )
    problem = sim.partner_configuration_save(setup.partner_configuration_body())
    if problem:
        raise ValueError(problem)
    return company


def company_for_workspace(workspace: Any, company_id: str) -> dict[str, Any] | None:
    """The sandbox company `company_id`; made now when it is the company of one of `workspace`'s
    SmartRecruiters integrations on the simulator (None for any other id, or no workspace)."""
    company = sim.get("company", company_id)
    if company is not None or workspace is None:
        return company
    for integration in integration_list_for_workspace(workspace=workspace).filter(provider=constants.KEY):
        settings = selectors.provider_settings(integration)
        # A sandbox integration on the simulator (never a production one, whatever its settings say).
        sandbox = integration.environment == Environment.SANDBOX and settings.get("use_simulator")
        if sandbox and company_id in (
            company_id_for(integration),
            settings.get("company_id"),
        ):
            return integration_company_register(integration, oauth_app=False)
    return None
