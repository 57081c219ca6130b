"""The console's "test now" actions for a sandbox integration on the built-in Lever sandbox: the
sandbox does what a recruiter would do in Lever, and Lever's webhooks reach only this integration.
Part of the dev/test plug-in (simulator_plugin.py); LeverProvider reaches it through
integrations.plugins, never by import."""

from __future__ import annotations

from integrations.models import Integration
from jobcannon.core.exceptions import ValidationFailed

from . import constants, mappers
from . import simulator_state as sim
from .setup import webhook_absolute_url, webhooks_manual
from .simulator_pages import opportunity_advance, opportunity_create
from .simulator_webhooks import webhook_events


def _sentence(deliveries: list[dict], integration: Integration, event: str) -> str:
    if not deliveries:
        url = webhook_absolute_url(integration)
        ours = [h for h in sim.rows("webhook") if h["url"] == url and event in webhook_events(h)]
        if ours:  # registered, but its group is off: Lever sends nothing (LD "Create a Webhook")
            raise ValidationFailed(
                f"The Lever sandbox sent nothing: the {event} webhook group is switched off. "
                f"{constants.WEBHOOK_GROUPS_FIX} (sandbox: its Webhooks page)."
            )
        if webhooks_manual(integration):
            # POST /webhooks answered 403 (plan or permission): "Test credentials now" would only
            # meet it again. The webhooks are made by hand, as in Lever (constants.WEBHOOKS_MANUAL_FIX).
            raise ValidationFailed(
                f"No Lever webhook points at this integration yet, and {constants.WEBHOOKS_API_FORBIDDEN}: "
                f"add the {event} webhook (and the others) by hand on the sandbox's Webhooks page with this "
                "integration's webhook URL, as a Lever Super Admin does in Settings → Integrations and API → "
                "Webhooks, then paste each webhook's signature token on JobCannon's Lever settings page."
            )
        raise ValidationFailed(
            "No Lever webhook points at this integration yet: press “Test credentials now” first."
        )
    parts = [f"{d['event']} → {d['status'] or d['error'] or 'no answer'}" for d in deliveries]
    return "The Lever sandbox sent " + ", ".join(parts) + "."


def send_test_webhook(integration: Integration) -> str:
    """Add a test candidate in the first stage ("New lead"): Lever sends the new-application events."""
    sim.ensure_seeded()
    opp = opportunity_create(
        name="Webhook Test",
        email="webhook.test@example.com",
        posting_id=sim.stable_id("posting", sim.POSTINGS[0]),
        stage_id=sim.stage_id_by_name(sim.STAGES[0]),
        only_url=webhook_absolute_url(integration),
    )
    deliveries = sim.rows("delivery", opportunity=opp["id"])
    return _sentence(deliveries, integration, constants.EVENT_APPLICATION_CREATED)


def send_test_assessment(integration: Integration) -> str:
    """Add a test candidate and advance them into the first auto-send stage, as a recruiter would."""
    rules = [r for r in mappers.stage_rules(integration.provider_settings or {}) if r.mode == "auto"]
    if not rules:
        raise ValidationFailed(
            "Add a stage assessment with auto-send on stage entry first (Stage assessments)."
        )
    rule = rules[0]
    sim.ensure_seeded()
    url = webhook_absolute_url(integration)
    posting = rule.posting_id or sim.stable_id("posting", sim.POSTINGS[0])
    opp = opportunity_create(
        name="Test Candidate",
        email="test.candidate@example.com",
        posting_id=posting,
        stage_id=sim.stage_id_by_name(sim.STAGES[0]),
        only_url=url,
    )
    deliveries = opportunity_advance(sim.get("opportunity", opp["id"]) or opp, rule.stage_id, only_url=url)
    return (
        _sentence(deliveries, integration, constants.EVENT_CANDIDATE_STAGE_CHANGE)
        + f" Test Candidate moved to “{rule.stage_name}”, which sends {rule.instrument}."
    )
