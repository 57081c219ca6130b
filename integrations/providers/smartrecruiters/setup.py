"""What happens once SmartRecruiters credentials work: register our partner endpoints with the
Assessment API, subscribe to webhooks (the real Webhooks API flow or the seed's), and the demo
wiring to the built-in simulator (no HTTP)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integrations.base import ATSError
from integrations.models import ActivityLevel
from integrations.plugins import LazySimulatorModule
from integrations.services.activity import activity_log
from integrations.services.oauth import redirect_uri_for

from . import constants, selectors, services

# The simulator is a dev/test plug-in (README "Layout"): only demo_setup uses it, loaded on first
# use and only when simulators are enabled.
sim = LazySimulatorModule(__package__, "simulator_state")


def partner_base_url() -> str:
    return (
        settings.JOBCANNON_BASE_URL
        + reverse("integrations:partner-smartrecruiters:packages").rsplit("packages", 1)[0]
    )


def partner_register(integration, client) -> None:
    """SRD /reference/assessment-partner-integration: give SR the client credentials it uses to
    call our partner API. Best effort: on a real tenant this call needs SR's master partner
    credentials, so a refusal is logged with the values to register by hand instead."""
    client_id, secret = services.partner_credentials_ensure(integration=integration)
    company_id = selectors.provider_settings(integration).get("company_id", "")
    try:
        client.integration_setup(
            company_id=company_id,
            body={
                "clientId": client_id,
                "clientSecret": secret,
                "baseUrl": partner_base_url(),
                "tokenUrl": partner_base_url() + "oauth/token",
            },
        )
    except ATSError as exc:
        services.settings_update(integration=integration, changes={"partner_registered": False})
        activity_log(
            integration=integration,
            kind="smartrecruiters.partner_unregistered",
            level=ActivityLevel.WARNING,
            message=(
                f"SmartRecruiters did not accept the partner registration ({exc.message}). Orders "
                f"reach JobCannon only once SR knows the partner API {partner_base_url()} and client "
                f"id {client_id}."
            ),
        )
        return
    services.settings_update(integration=integration, changes={"partner_registered": True})
    activity_log(
        integration=integration,
        kind="smartrecruiters.partner_registered",
        message=f"Partner API registered with SmartRecruiters: {partner_base_url()} (client {client_id}).",
    )


def callback_url(integration) -> str:
    return settings.JOBCANNON_BASE_URL + reverse(
        "integrations:webhook", args=[constants.KEY, integration.public_id]
    )


def seed_target_url() -> str:
    return settings.JOBCANNON_BASE_URL + reverse("integrations:webhook-seed", args=[constants.KEY])


def webhooks_subscribe(integration, client) -> None:
    if selectors.webhook_api(integration) == constants.WEBHOOK_API_SEED:
        _subscribe_seed(integration, client)
    else:
        _subscribe_vendor(integration, client)


def _subscribe_seed(integration, client) -> None:
    """Seed 001 Step 2: one POST per event, our integration id in a custom header."""
    state, target = selectors.subscription_state(integration), seed_target_url()
    if (
        state.get("api") == constants.WEBHOOK_API_SEED
        and state.get("status") == "active"
        and state.get("url") == target
    ):
        return
    headers = {**constants.SEED_CUSTOM_HEADERS, "X-JobCannon-Integration": str(integration.public_id)}
    ids = [
        str(client.seed_subscribe(event=e, target_url=target, headers=headers).get("id", ""))
        for e in constants.SUBSCRIBED_EVENTS
    ]
    services.subscription_set(
        integration=integration,
        api=constants.WEBHOOK_API_SEED,
        ids=ids,
        status="active",
        url=target,
        events=list(constants.SUBSCRIBED_EVENTS),
        at=timezone.now().isoformat(),
    )
    activity_log(
        integration=integration,
        kind="smartrecruiters.subscribed",
        message=f"Subscribed to {', '.join(constants.SUBSCRIBED_EVENTS)} at {target} (seed setup; SR signs "
        "with X-SmartRecruiters-Signature using this integration's webhook secret).",
    )


def _subscribe_vendor(integration, client) -> None:
    """Webhooks API v201907: create, activate (SR calls us with X-Hook-Secret, we echo it),
    then generate the secret key SR signs with and store it with our webhook secrets."""
    state, url = selectors.subscription_state(integration), callback_url(integration)
    existing = {s.get("id"): s for s in client.subscriptions()}
    current = existing.get(state.get("id"))
    if (
        state.get("status") == "active"
        and current
        and current.get("status") == "active"
        and state.get("url") == url
    ):
        return
    if current is None or current.get("callbackUrl") != url:
        current = client.subscribe(callback_url=url, events=constants.SUBSCRIBED_EVENTS)
    sub_id = str(current["id"])
    services.subscription_activating_start(integration=integration, subscription_id=sub_id)
    try:
        client.subscription_activate(subscription_id=sub_id)
        key = client.subscription_secret_key(subscription_id=sub_id)
        if not key:
            raise ATSError("SmartRecruiters returned no secret key for the subscription.")
    except ATSError as exc:
        services.subscription_set(
            integration=integration,
            api=constants.WEBHOOK_API_VENDOR,
            id=sub_id,
            status="failed",
            url=url,
            error=exc.message,
        )
        raise
    services.vendor_secret_store(integration=integration, secret=key)
    services.subscription_set(
        integration=integration,
        api=constants.WEBHOOK_API_VENDOR,
        id=sub_id,
        status="active",
        url=url,
        events=list(constants.SUBSCRIBED_EVENTS),
        at=timezone.now().isoformat(),
    )
    activity_log(
        integration=integration,
        kind="smartrecruiters.subscribed",
        message=f"Webhook subscription {sub_id} activated (X-Hook-Secret handshake answered) for "
        f"{', '.join(constants.SUBSCRIBED_EVENTS)}; SmartRecruiters' secret key stored.",
    )


def demo_setup(provider, integration) -> dict[str, Any]:
    """Register an OAuth app for this integration in the simulator and put its client id/secret
    on the integration. No HTTP: "Re-authorize" in the UI then connects through real calls."""
    company_id = "co-" + integration.public_id.hex[:12]
    existing = sim.get("company", company_id) or {}
    company = sim.company_register(
        name=f"{integration.workspace.name} (sandbox)",
        redirect_uri=redirect_uri_for(constants.KEY),
        region=integration.region or "us",
        company_id=company_id,
        client_id=integration.credential("client_id") or existing.get("client_id"),
        client_secret=integration.credential("client_secret") or existing.get("client_secret"),
    )
    ours = [s["secret"] for s in (integration.webhook_secrets or []) if s.get("source") != "smartrecruiters"]
    company["webhook_secret"] = ours[0] if ours else ""  # the seed scheme's shared secret
    sim.put("company", company_id, company)
    services.credentials_update(
        integration=integration,
        changes={"client_id": company["client_id"], "client_secret": company["client_secret"]},
    )
    if not selectors.scorecard_map(integration):
        services.settings_update(
            integration=integration,
            changes={
                "scorecard_fields": {
                    "jc_score": "overall_score",
                    "jc_report": "report_url",
                    "jc_summary": "summary",
                }
            },
        )
    return {
        "simulator_url": settings.JOBCANNON_BASE_URL
        + reverse("integrations:sim-smartrecruiters:company", args=[company_id]),
        "oauth_client_id": company["client_id"],
        "company_id": company_id,
        "partner_base_url": partner_base_url(),
        "region": company["region"],
    }
