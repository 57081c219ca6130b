"""The built-in SmartRecruiters sandbox's side of the console: the "test now" actions of a
sandbox integration (the sandbox does what SR does, over real HTTP) and the demo wiring (no
HTTP). Part of the dev/test plug-in (simulator_plugin.py); the provider reaches it through
integrations.plugins, never by import."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.urls import reverse

from integrations.models import Integration
from jobcannon.core.exceptions import ValidationFailed

from . import constants, selectors, services, setup
from . import simulator_calls as calls
from . import simulator_state as sim
from .simulator_companies import integration_company_register
from .simulator_pages import candidate_move, order_place

WEBHOOK_TEST_EMAIL = "webhook.test@example.com"


def demo_setup(integration: Integration) -> dict[str, Any]:
    """Register an OAuth app for this integration in the simulator and put its client id/secret
    on the integration. No HTTP: "Re-authorize" in the UI then connects through real calls."""
    company = integration_company_register(integration, oauth_app=True)
    company_id = company["id"]
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
    # What a company administrator creates self-serve (Settings → Apps & Integrations → Credentials
    # → New Credential → OAuth client ID): the consent page's proof of the company. Not stored on
    # the integration: the admin pastes it on the consent page, which stores it once SR named the
    # company with it.
    credential = sim.customer_credential_create(company_id, scopes=list(constants.CUSTOMER_CREDENTIAL_SCOPES))
    return {
        constants.CUSTOMER_CLIENT_ID: credential["client_id"],
        constants.CUSTOMER_CLIENT_SECRET: credential["client_secret"],
        "simulator_url": settings.JOBCANNON_BASE_URL
        + reverse("integrations:sim-smartrecruiters:company", args=[company_id]),
        "oauth_client_id": company["client_id"],
        "company_id": company_id,
        "partner_base_url": setup.partner_base_url(),
        "region": company["region"],
    }


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
