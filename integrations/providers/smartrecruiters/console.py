"""The console hooks for SmartRecruiters: the webhook subscription and partner registration as
checklist state, warnings ahead of breakage, and the "test now" actions of a sandbox integration
on the built-in SmartRecruiters sandbox (the sandbox does what SR does, over real HTTP)."""

from __future__ import annotations

import uuid
from typing import Any

from integrations.base import ATSProvider, ChecklistCheck, HealthWarning, RegisteredWebhook
from integrations.models import Integration, IntegrationStatus
from integrations.plugins import LazySimulatorModule, simulator_module
from jobcannon.core.exceptions import ValidationFailed

from . import constants, selectors, services, setup

# The sandbox is a dev/test plug-in (README "Layout"): loaded on first use, only when simulators
# are enabled (the "test now" actions below; the checklist and health hooks above never use it).
calls = LazySimulatorModule(__package__, "simulator_calls")
sim = LazySimulatorModule(__package__, "simulator_state")

WEBHOOK_TEST_EMAIL = "webhook.test@example.com"


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
    if integration.runs.filter(ats_context__via="partner API").exists():
        # Registered by hand: SR's orders reaching the partner API prove it.
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
    return warnings


# --- the sandbox's "test now" actions ------------------------------------------------------------


def sandbox_company(integration: Integration) -> dict[str, Any]:
    """The sandbox company (SR app) this integration is connected to."""
    company_id = str(selectors.provider_settings(integration).get("company_id") or "")
    company = sim.get("company", company_id) if company_id else None
    if company is None and integration.credential("client_id"):
        company = sim.company_for_client(integration.credential("client_id"))
    if company is None:
        raise ValidationFailed(
            "This integration is not connected to a SmartRecruiters sandbox company: get sandbox credentials "
            "from the simulator and authorize first."
        )
    return company


def _api_base() -> str:
    return f"{setup.simulator_base_url()}/api"  # one API path, as SR has one API host


def _subscriptions_for(integration: Integration, company: dict[str, Any]) -> list[dict[str, Any]]:
    """The active subscription that delivers to this integration (not to another one of the
    company). The sandbox has Webhooks API subscriptions only (the seed's path is not SR's)."""
    ours = setup.callback_url(integration)
    found = [
        sub
        for sub in sim.items("subscription", company=company["id"])
        if sub.get("status") == "active" and sub.get("callbackUrl") == ours
    ]
    return found[:1]


def _test_candidate(company: dict[str, Any]) -> dict[str, Any]:
    existing = [c for c in sim.candidates(company["id"]) if c.get("email") == WEBHOOK_TEST_EMAIL]
    if existing:
        return existing[0]
    jobs = sim.jobs(company["id"])
    if not jobs:
        raise ValidationFailed("The SmartRecruiters sandbox company has no job to add a test candidate to.")
    return sim.candidate_create(
        company_id=company["id"],
        job_id=jobs[0]["id"],
        first_name="Webhook",
        last_name="Test",
        email=WEBHOOK_TEST_EMAIL,
    )


def send_test_webhook(integration: Integration) -> str:
    """The sandbox updates a test candidate and delivers the candidate.updated event, signed v1,
    to this integration's Webhooks API subscription."""
    company = sandbox_company(integration)
    subs = _subscriptions_for(integration, company)
    if not subs:
        raise ValidationFailed(
            "No active SmartRecruiters webhook subscription points at this integration yet: press "
            "“Test credentials now” to subscribe."
        )
    candidate = _test_candidate(company)
    statuses = calls.webhook_send(
        company,
        constants.TEST_EVENT,
        ids={"id": candidate["id"]},  # SRO CandidateWebhookPayload
        link=f"{_api_base()}/candidates/{candidate['id']}",
        subscriptions=subs,
    )
    answers = ", ".join(str(s) if s else "no answer" for s in statuses)
    return (
        f"The SmartRecruiters sandbox sent a signed {constants.TEST_EVENT} test event to "
        f"{len(subs)} subscription(s); JobCannon answered {answers}."
    )


def _assessment_stage(company: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first job stage with a JobCannon action, preferring one that triggers on entry."""
    staged = [(j, s) for j in sim.jobs(company["id"]) for s in j["stages"] if s.get("action")]
    auto = [(j, s) for j, s in staged if s["action"].get("trigger") == constants.TRIGGER_AUTO]
    if not (auto or staged):
        raise ValidationFailed(
            "No pipeline stage has a JobCannon assessment: in the SmartRecruiters sandbox open a job → "
            "Pipeline → [Stage] → Add Action → Assessment → JobCannon."
        )
    return (auto or staged)[0]


def send_test_assessment(integration: Integration) -> str:
    """Seed 001 Step 5 in the sandbox: create a test candidate and advance them to the assessment
    stage (or trigger a manual stage's action), so SR places the order with JobCannon."""
    pages = simulator_module(__package__, "simulator_pages")
    candidate_move, order_place = pages.candidate_move, pages.order_place

    company = sandbox_company(integration)
    job, stage = _assessment_stage(company)
    n = uuid.uuid4().hex[:6]
    candidate = sim.candidate_create(
        company_id=company["id"],
        job_id=job["id"],
        first_name="Test",
        last_name="Candidate",
        email=f"test.candidate+{n}@example.com",
    )
    api_base = _api_base()
    if stage["action"].get("trigger") == constants.TRIGGER_AUTO:
        order = candidate_move(company, candidate, job, stage, api_base)
        how = f"advanced Test Candidate to “{stage['name']}” on {job['title']}, which ordered"
    else:
        order = order_place(company, candidate, job, stage, constants.TRIGGER_MANUAL, api_base)
        how = f"triggered the “{stage['name']}” action on {job['title']} for Test Candidate, ordering"
    delivery = (order or {}).get("delivery") or {}
    if order is None or not delivery.get("ok"):
        raise ValidationFailed(
            f"The SmartRecruiters sandbox placed order {(order or {}).get('id', '?')}, but JobCannon did not accept it "
            f"({delivery.get('via', 'delivery')}: {delivery.get('message') or delivery.get('status') or 'no answer'})."
        )
    return (
        f"The SmartRecruiters sandbox {how} {order['packageId']} ({candidate['email']}); the order reached "
        f"JobCannon via {delivery.get('via')} (HTTP {delivery.get('status')})."
    )
