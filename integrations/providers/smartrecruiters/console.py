"""The console hooks for SmartRecruiters: the webhook subscription and partner registration as
checklist state, and warnings ahead of breakage. The "test now" actions of a sandbox integration
are the built-in sandbox's (simulator_console.py, part of its dev/test plug-in)."""

from __future__ import annotations

from integrations.base import ATSProvider, ChecklistCheck, HealthWarning, RegisteredWebhook
from integrations.models import Integration, IntegrationStatus

from . import constants, selectors, services, setup

# --- state the checklist and the health page read (no HTTP, no extra queries) ---------------


def registered_webhooks(integration: Integration) -> list[RegisteredWebhook]:
    """What on_connected subscribed: one Webhooks API subscription for every event, or (seed
    setup) one subscription per event. A subscription that did not activate is inactive."""
    state = selectors.subscription_state(integration)
    active = state.get("status") == "active"
    default = (
        constants.SEED_SUBSCRIBED_EVENTS
        if state.get("api") == constants.WEBHOOK_API_SEED
        else constants.SUBSCRIBED_EVENTS
    )
    events = [str(e) for e in state.get("events") or default]
    url = str(state.get("url", ""))
    if state.get("api") == constants.WEBHOOK_API_SEED:
        ids = [str(i) for i in state.get("ids") or []]
        return [
            RegisteredWebhook(event=e, url=url, id=i, active=active)
            for e, i in zip(events, ids, strict=False)
        ]
    if not state.get("id"):
        return []
    return [RegisteredWebhook(event=e, url=url, id=str(state["id"]), active=active) for e in events]


def partner_check(provider: ATSProvider, integration: Integration) -> ChecklistCheck:
    """SR orders assessments from our partner API only once it knows it (setup.partner_register).
    `provider`: the SmartRecruitersProvider calling (this module sits below provider.py)."""
    title = "Partner API registered with SmartRecruiters"
    registered = selectors.provider_settings(integration).get("partner_registered")
    base = setup.partner_base_url()
    if registered:
        return ChecklistCheck(
            key="smartrecruiters_partner",
            title=title,
            ok=True,
            detail=f"SmartRecruiters orders assessments from {base}.",
        )
    if registered is None:
        return ChecklistCheck(
            key="smartrecruiters_partner",
            title=title,
            ok=None,
            detail="JobCannon registers its partner API with SmartRecruiters once the credentials work.",
        )
    if selectors.partner_orders_since_lost(integration).exists():
        # Registered by hand: SR's orders reaching the partner API prove it, but only those that
        # came after SR's last removal or refusal (before it, they prove nothing about now).
        return ChecklistCheck(
            key="smartrecruiters_partner",
            title=title,
            ok=True,
            detail=f"SmartRecruiters orders assessments from {base} (registered by hand).",
        )
    client_id = constants.PARTNER_CLIENT_PREFIX + integration.public_id.hex
    sandbox = (
        ("Built-in sandbox: on this integration's page press “Open the SmartRecruiters sandbox”, then "
         "“Apps & Integrations: connect JobCannon”, and Allow on JobCannon's consent page.",)
        if provider.uses_simulator(integration)
        else ()
    )  # fmt: skip
    if selectors.removal_unanswered(integration):
        # SR's removal: only the company's consent brings orders back (an OAuth "Reconnect" does not).
        error = str(selectors.provider_settings(integration).get("partner_error") or "")
        removed = constants.REMOVED_IN_SMARTRECRUITERS.format(
            company_id=selectors.bound_company_id(integration)
        )
        refused = (
            f"; SmartRecruiters refused the registration since ({error})"
            if error and error != removed
            else ""
        )
        return ChecklistCheck(
            key="smartrecruiters_partner",
            title=title,
            ok=False,
            detail=f"JobCannon was removed in SmartRecruiters and the company has not consented again{refused}: "
            "assessment orders cannot reach JobCannon until it does.",
            fix=(*sandbox, *constants.REMOVED_FIX_STEPS),
        )
    return ChecklistCheck(
        key="smartrecruiters_partner",
        title=title,
        ok=False,
        detail="SmartRecruiters did not accept the partner registration: assessment orders cannot reach "
        "JobCannon yet.",
        fix=(
            *sandbox,
            "In SmartRecruiters open Apps & Integrations → JobCannon → Connect → Authorize and Continue: "
            f"SmartRecruiters then opens JobCannon's consent page ({base}integration) where you allow it.",
            f"Or ask SmartRecruiters support to register the JobCannon partner API for your company: base URL "
            f"{base}, token URL {base}oauth/token, client id {client_id}.",
            "Then press “Test credentials now” to try the registration again.",
        ),
    )


def health_warnings(integration: Integration) -> list[HealthWarning]:
    if integration.status == IntegrationStatus.DISCONNECTED:
        return []
    warnings: list[HealthWarning] = []
    state = selectors.subscription_state(integration)
    if state.get("status") in (constants.SUBSCRIPTION_FAILED, constants.SUBSCRIPTION_REFUSED):
        warnings.append(
            HealthWarning(
                key="smartrecruiters_subscription",
                message="The SmartRecruiters webhook subscription is not active"
                + (f" ({state['error']})" if state.get("error") else "")
                + ": SmartRecruiters' application and candidate events do not reach JobCannon, so its copy of "
                "candidates is refreshed only by the periodic sync. (Assessment orders do not depend on it: "
                "SmartRecruiters places them on the partner API.) Press "
                "“Test credentials now” to subscribe again.",
                level="error",
            )
        )
    if state.get("status") == constants.SUBSCRIPTION_RETRYING:
        warnings.append(
            HealthWarning(
                key="smartrecruiters_subscription",
                message="The SmartRecruiters webhook subscription is not active yet"
                + (f" ({state['error']})" if state.get("error") else "")
                + ": until it is, candidates are refreshed only by the periodic sync.",
            )
        )
    if selectors.provider_settings(integration).get("partner_registered") is False:
        held = services.results_held(integration=integration).count()
        warnings.append(
            HealthWarning(
                key="smartrecruiters_partner",
                message="SmartRecruiters did not accept JobCannon's partner API registration"
                + (
                    f" ({selectors.provider_settings(integration)['partner_error']})"
                    if selectors.provider_settings(integration).get("partner_error")
                    else ""
                )
                + ": it cannot order assessments until the company connects JobCannon in SmartRecruiters' Apps & "
                "Integrations (see the checklist)."
                + (
                    f" {held} write-back(s) (results, order status) wait for it and are sent as soon as consent lands."
                    if held
                    else ""
                ),
            )
        )
    # Names stored without settings_update (an older version, a hand edit) are never sent to SR
    # (selectors.requested_scopes / webhook_events drop them): the customer is told which.
    settings = selectors.provider_settings(integration)
    for key in ("oauth_scopes", "webhook_events"):
        for problem in selectors.settings_problems({key: settings.get(key)}):
            warnings.append(
                HealthWarning(
                    key=f"smartrecruiters_settings_{key}",
                    message=problem + " Ask JobCannon support to correct this integration's settings.",
                )
            )
    return warnings
