"""Shared test helpers for the Lever provider: integrations wired to the simulator, bodies
signed both ways, scored runs."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assessments.models import Result
from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationStatus
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever.simulator_webhooks import webhook_groups_set
from tests.factories import AssessmentFactory, AssessmentRunFactory, IntegrationFactory

SECRET = "whsec_lever_test_secret_0001"
FIXTURES = Path(__file__).parents[3] / "fixtures" / "lever" / "webhooks"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def lever_integration(**kwargs: Any):
    defaults: dict[str, Any] = {
        "provider": "lever",
        "environment": "sandbox",
        "status": IntegrationStatus.CONNECTED,
        "credentials": {"api_key": "lever-test-key-0001"},
        "webhook_secrets": [{"secret": SECRET, "created_at": "2026-01-01T00:00:00+00:00"}],
    }
    defaults.update(kwargs)
    return IntegrationFactory(**defaults)


def lever_oauth_integration(*, workspace):
    """A pending Lever OAuth integration on the built-in sandbox, its client id and secret typed
    in (the sandbox trusts a client on first use), ready for its authorization."""
    return lever_integration(
        workspace=workspace,
        auth_kind="oauth2",
        status=IntegrationStatus.PENDING,
        credentials={"client_id": "jobcannon-client", "client_secret": "s3cret"},
        provider_settings={"use_simulator": True},
    )


def sim_integration(
    *,
    scopes=constants.SEED_SCOPES,
    status=IntegrationStatus.PENDING,
    age_days: int = 0,
    webhook_groups_on: bool = True,
    **kwargs: Any,
):
    """A sandbox integration pointing at the built-in simulator with a fresh API key in it.

    `webhook_groups_on`: the sandbox account's Super Admin has switched on every webhook group, so
    the webhooks the connect registers send (Lever sends nothing until then; a fresh sandbox has
    them off, which test_webhook_groups.py covers)."""
    sim.ensure_seeded()
    if webhook_groups_on:
        webhook_groups_set([event for _, event in sim.WEBHOOK_GROUPS])
    key = sim.api_key_register(scopes=scopes, created_ms=sim.now_ms() - age_days * 86_400_000)
    settings = {"use_simulator": True, **kwargs.pop("provider_settings", {})}
    return lever_integration(
        credentials={"api_key": key}, status=status, provider_settings=settings, **kwargs
    )


def sign_seed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {constants.SIGNATURE_HEADER: hmac_sha256_hex(secret, body)}


def sign_real(
    payload: dict[str, Any], secret: str = SECRET, *, age_seconds: float = 0, token: str | None = None
) -> bytes:
    """The body as real Lever sends it: token/triggeredAt/signature inside, freshly timestamped."""
    body = dict(payload)
    body["triggeredAt"] = int((time.time() - age_seconds) * 1000)
    body["token"] = token or secrets.token_hex(24)
    body["signature"] = hmac_sha256_hex(secret, (body["token"] + str(body["triggeredAt"])).encode())
    return json.dumps(body).encode()


def fixture_payload(name: str) -> dict[str, Any]:
    return json.loads(fixture(name))


def post(client, integration, body: bytes, headers: dict[str, str] | None = None):
    url = reverse("integrations:webhook", args=["lever", integration.public_id])
    return client.post(url, data=body, content_type="application/json", headers=headers or {})


def add_result(run, *, overall: int = 72) -> Result:
    """A DISC result as assessments.scoring makes it: 6 items a dimension on the 1–5 scale, raw
    6–30, score = the raw score's position in that range on 0–100."""
    dims = [
        {
            "key": key,
            "label": label,
            "raw": 6 + score * 24 / 100,
            "raw_min": 6,
            "raw_max": 30,
            "score": score,
            "answered": 6,
            "items": 6,
        }
        for key, label, score in (("D", "Dominance", overall), ("I", "Influence", 25))
    ]
    return Result.objects.create(
        run=run,
        instrument_version=run.instrument_version,
        overall_score=overall,
        dimensions=dims,
        summary="Direct and decisive.",
        answered_count=12,
        item_count=12,
        duration_seconds=600,
    )


def scored_run(integration, *, opportunity_id: str = "opp-1", overall: int = 72):
    run = AssessmentRunFactory(
        workspace=integration.workspace,
        assessment=AssessmentFactory(
            workspace=integration.workspace, instrument="disc", name="DISC work style"
        ),
        integration=integration,
        provider="lever",
        external_candidate_id="contact-1",
        external_application_id="app-1",
        ats_context={"opportunity_id": opportunity_id},
        status="scored",
        completed_at=timezone.now(),
    )
    add_result(run, overall=overall)
    return run


def sim_opportunity(
    *, name: str = "Alex Example", email: str = "alex@example.com", stage: str = "New applicant"
) -> dict:
    """An opportunity in the simulator, created as the "Add Candidate" page does (sends its webhooks)."""
    from integrations.providers.lever.simulator_pages import opportunity_create

    sim.ensure_seeded()
    return opportunity_create(
        name=name,
        email=email,
        posting_id=sim.stable_id("posting", sim.POSTINGS[0]),
        stage_id=sim.stage_id_by_name(stage),
    )
