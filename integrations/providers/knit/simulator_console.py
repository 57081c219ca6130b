"""The console's "test now" buttons and the demo wiring for a sandbox integration on the built-in
Knit simulator: the simulated Ashby acts through the simulated Knit, over real HTTP to us. Part of
the dev/test plug-in (simulator_plugin.py); KnitProvider reaches it through
integrations.plugins, never by import."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from integrations.base import ATSProvider
from integrations.models import Integration, IntegrationStatus
from integrations.selectors import webhook_url_for
from integrations.services.status import integration_set_status

from . import constants
from .selectors import knit_assessment_secrets
from .services import knit_demo_credentials_set, knit_demo_secret_set
from .simulator import (
    SIM_ACCOUNT,
    SIM_SECRET,
    sim_account_register,
    sim_account_update,
    sim_get,
    sim_secret_create,
    workflow_base_url,
)
from .simulator_ashby import ashby_assessment_start, deliver_webhook, record_new_payload
from .sync_simulator import sync_seed


def demo_setup(integration: Integration) -> dict[str, Any]:
    """No HTTP: register a Knit account in the simulator, save its API key and integration id, and
    the Ashby secret pair the simulated Knit issues for it (the secretKey a script plays Ashby with).
    "Test credentials now" then checks the key and id through real calls to the simulator. Knit signs
    webhooks with the Knit API key, so that is the webhook_secret."""
    api_key = integration.credential("api_key") or f"knit_sandbox_{secrets.token_urlsafe(24)}"
    integration_id = integration.credential("integration_id") or f"int_demo_{secrets.token_hex(8)}"
    sim_account_register(
        api_key=api_key,
        integration_id=integration_id,
        webhook_url=webhook_url_for(integration),  # a path: resolved against JOBCANNON_BASE_URL when sending
        label="Demo Company (Ashby)",
    )
    if sim_get("ats_job", f"job_{integration_id}_0") is None:  # something for the data sync to read
        sync_seed(integration_id)
    knit_demo_credentials_set(integration=integration, api_key=api_key, integration_id=integration_id)
    if integration.status == IntegrationStatus.PENDING:
        integration_set_status(
            integration=integration,
            status=IntegrationStatus.PENDING,
            reason='Click "Test credentials now": JobCannon checks the Knit simulator account\'s API key and '
            "integration id with a live call.",
        )
    extra = {"webhook_secret": api_key, "knit_api_key": api_key, "knit_integration_id": integration_id}
    try:
        extra["simulator_url"] = settings.JOBCANNON_BASE_URL + reverse("integrations:sim-knit:dashboard")
        # For scripts that play Ashby (README "Built-in Knit simulator"): POST Ashby's assessment.start
        # to <ashby_workflow_url>assessment.start with Basic auth "<ashby_secret_key>:". An assessment
        # started so is one the sandbox's Ashby knows, so its result can be written back to it.
        extra["ashby_secret_key"] = _demo_ashby_secret(integration, integration_id)
        extra["ashby_workflow_url"] = workflow_base_url()
    except NoReverseMatch:  # the URLconf was built with simulators switched off
        pass
    return extra


def _demo_ashby_secret(integration: Integration, integration_id: str) -> str:
    """The integration's active Ashby secret if the simulated Knit issued it for this account, else a
    new pair from the simulated Knit (no HTTP), saved as the integration's active pair."""
    for secret in knit_assessment_secrets(integration=integration):
        issued = sim_get(SIM_SECRET, secret.secret_key)
        if secret.state == "active" and issued and issued.data.get("integration_id") == integration_id:
            return secret.secret_key
    pair = sim_secret_create(integration_id)
    knit_demo_secret_set(integration=integration, secret_key=pair["secretKey"], base_url=pair["baseUrl"])
    return pair["secretKey"]


def _simulated_account(provider: ATSProvider, integration: Integration) -> tuple[Any, str]:
    if not provider.uses_simulator(integration):
        raise NotImplementedError("Only the built-in Knit simulator can do this on demand.")
    account = sim_get(SIM_ACCOUNT, integration.credential("integration_id", ""))
    active = [s for s in knit_assessment_secrets(integration=integration) if s.state == "active"]
    if account is None or not active:
        raise NotImplementedError("Connect the Knit simulator account first (Knit setup page).")
    if not account.data.get("webhook_url"):
        sim_account_update(account.key, webhook_url=webhook_url_for(integration))
        account.refresh_from_db()
    return account, active[0].secret_key


def send_test_webhook(provider: ATSProvider, integration: Integration) -> str:
    """A signed Knit event that changes nothing (record.modified, ignored by design)."""
    account, _ = _simulated_account(provider, integration)
    payload = record_new_payload("ats_ass_test_webhook", {"assessment_type_id": "big5"}, {})
    payload["eventType"] = constants.EVENT_RECORD_MODIFIED
    delivery = deliver_webhook(account, payload)
    return (
        f"The Knit simulator sent a signed record.modified webhook; JobCannon answered {delivery['status']}."
    )


def send_test_assessment(provider: ATSProvider, integration: Integration) -> str:
    """What Ashby does through Knit: assessment.start with the active secretKey → record.new."""
    _, secret_key = _simulated_account(provider, integration)
    start = {
        "application": {"ashby_id": f"app_test_{secrets.token_hex(4)}", "status": "Active"},
        "assessment_type_id": "big5",
        "candidate": {
            "ashby_id": "cand_test",
            "email": "test.candidate@example.com",
            "first_name": "Test",
            "last_name": "Candidate",
        },
        "job": {"ashby_id": "job_test", "name": "Test job"},
    }
    result = ashby_assessment_start(secret_key, start, {"name": "Big Five personality", "type": "BEHAVIORAL"})
    return (
        f"Ashby (simulated) started assessment {result['assessment_id']} through Knit; "
        f"JobCannon answered {result['delivery']['status']}."
    )
