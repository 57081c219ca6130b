"""Shared helpers for the Ashby tests: integrations (mocked or wired to the simulator), signed
bodies, partner API calls, scored runs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assessments.models import Result
from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationStatus
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.services import partner_key_issue
from tests.factories import AssessmentRunFactory, IntegrationFactory

SECRET = "whsec_ashby_test_secret_0001"
API_KEY = "ashby-test-key-0001"
FIXTURES = Path(__file__).parents[3] / "fixtures" / "ashby" / "webhooks"


def forbidden(permission: str) -> dict:
    """Ashby's 403 for a key without the endpoint's module permission, in the [3P] shape; the
    spec's schema has string items. `errors[]` as `{message, parameter}` objects is what a
    third-party client reports (simstudioai/sim utils.ts, reference §3.3 [3P]); Ashby's
    shared error schema (in the third-party mirror of its spec) types `errors.items` as string
    (forbidden_as_published)."""
    return {
        "success": False,
        "errors": [{"message": "missing_endpoint_permission", "parameter": permission}],
        "errorInfo": {
            "code": "missing_endpoint_permission",
            "message": "The API key is missing the required permission",
            "requestId": "01JSJ8FDK5ZN4XQBZP7DBKK7ZC",
        },
    }


def forbidden_as_published(permission: str) -> dict:
    """The same 403 in the shape of Ashby's shared error schema (third-party mirror of its spec)
    (tests/fixtures/ashby/openapi/ashby-api-used-openapi.yml: `errors.items: {type: string}`,
    "A list of error codes"; `errorInfo.{code, message, requestId}`). No field names the
    permission: the client takes the one the spec says the endpoint requires. `permission` is
    unused, kept so both builders are called alike (FORBIDDEN_SHAPES)."""
    return {
        "success": False,
        "errors": ["missing_endpoint_permission"],
        "errorInfo": {
            "code": "missing_endpoint_permission",
            "message": "The API key is missing the required permission",
            "requestId": "01JSJ8FDK5ZN4XQBZP7DBKK7ZC",
        },
    }


# Both 403 shapes, for tests parametrized over them: "spec" (the published schema, string items,
# what the simulator sends by default) and "3p" (`{message, parameter}` objects).
FORBIDDEN_SHAPES = {"spec": forbidden_as_published, "3p": forbidden}
# The simulator's account setting for each (simulator_api.PERMISSION_ERROR_ITEMS).
SIM_ERROR_ITEMS = {"spec": "strings", "3p": "objects"}


def sim_permission_errors(account: str, shape: str) -> None:
    """Make the simulated Ashby account answer a missing permission in `shape` (FORBIDDEN_SHAPES)."""
    obj = sim.account_get(account)
    obj.data = {**obj.data, "permission_error_items": SIM_ERROR_ITEMS[shape]}
    obj.save()


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def ashby_integration(**kwargs: Any):
    defaults: dict[str, Any] = {
        "provider": "ashby",
        "environment": "sandbox",
        "status": IntegrationStatus.CONNECTED,
        "credentials": {"api_key": API_KEY},
        "webhook_secrets": [{"secret": SECRET, "created_at": "2026-01-01T00:00:00+00:00"}],
    }
    defaults.update(kwargs)
    return IntegrationFactory(**defaults)


def with_partner_key(integration) -> str:
    key = partner_key_issue(integration=integration)
    integration.refresh_from_db()
    return key


def basic(key: str, *, in_password: bool = False) -> dict[str, str]:
    raw = f":{key}" if in_password else f"{key}:"
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def partner_post(
    client,
    integration,
    endpoint: str,
    body: Any,
    key: str | None,
    *,
    by_key: bool = False,
    raw: bytes | None = None,
    content_type: str = "application/json",
):
    if by_key:
        url = reverse(f"integrations:partner-ashby:{endpoint}-by-key")
    else:
        url = reverse(f"integrations:partner-ashby:{endpoint}", kwargs={"public_id": integration.public_id})
    data = raw if raw is not None else json.dumps(body)
    return client.post(url, data=data, content_type=content_type, headers=basic(key) if key else {})


def partner_answer(response) -> str:
    """What Ashby's partner API answered: "ok", or the refusal's errorInfo.code, e.g.
    "unauthenticated" (a missing or wrong key) or "rate_limit_exceeded" (a budget spent). Its spec
    lists no 401 or 429, so a refusal is told by its code, not by its status (partner_errors.refusal)."""
    body = response.json()
    return "ok" if body.get("success") is True else body["errorInfo"]["code"]


def start_body(
    *,
    email: str = "robin.sample@example.com",
    type_id: str = "big5",
    application: str = "app-1",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assessment_type_id": type_id,
        "candidate": {
            "ashby_id": "cand-1",
            "first_name": "Robin",
            "last_name": "Sample",
            "email": email,
            "ashby_profile_url": "https://app.ashbyhq.com/candidates/cand-1",
        },
        "application": {"ashby_id": application, "status": "Active"},
        "job": {
            "ashby_id": "job-1",
            "name": "Backend Engineer",
            "req_id": "R-42",
            "ashby_job_url": "https://app.ashbyhq.com/jobs/job-1",
            "hiringTeam": [
                {
                    "userId": "u-1",
                    "firstName": "Harper",
                    "lastName": "Manager",
                    "email": "harper.manager@example.com",
                    "role": "Hiring Manager",
                }
            ],
        },
    }
    body.update(extra)
    return body


def sign_real(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {constants.SIGNATURE_HEADER: "sha256=" + hmac_sha256_hex(secret, body)}


def sign_seed(body: bytes, secret: str = SECRET, *, prefixed: bool = False) -> dict[str, str]:
    digest = hmac_sha256_hex(secret, body)
    return {constants.SEED_SIGNATURE_HEADER: ("sha256=" + digest) if prefixed else digest}


def post_webhook(client, integration, body: bytes, headers: dict[str, str]):
    url = reverse("integrations:webhook", args=["ashby", integration.public_id])
    return client.post(url, data=body, content_type="application/json", headers=headers)


def add_result(run, *, overall: int = 72) -> Result:
    """A Big Five result as assessments.scoring makes it: 10 items a dimension on the 1–5 scale,
    raw 10–50, score = the raw score's position in that range on 0–100."""
    dims = [
        {
            "key": key,
            "label": label,
            "raw": 10 + score * 40 / 100,
            "raw_min": 10,
            "raw_max": 50,
            "score": score,
            "answered": 10,
            "items": 10,
        }
        for key, label, score in (("O", "Openness", overall), ("C", "Conscientiousness", 25))
    ]
    return Result.objects.create(
        run=run,
        instrument_version=run.instrument_version,
        overall_score=overall,
        dimensions=dims,
        summary="Curious and flexible.",
        answered_count=12,
        item_count=12,
        duration_seconds=2520,
    )


def scored_run(
    integration, *, assessment_id: str = "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001", overall: int = 72
):
    now = timezone.now()
    run = AssessmentRunFactory(
        workspace=integration.workspace,
        integration=integration,
        provider="ashby",
        external_candidate_id="cand-1",
        external_application_id="app-1",
        external_assessment_id=assessment_id,
        status="scored",
        invited_at=now,
        started_at=now,
        completed_at=now,
        scored_at=now,
    )
    add_result(run, overall=overall)
    return run


def sim_integration(*, permissions: list[str] | None = None, **kwargs: Any):
    """An API-key integration pointing at the built-in simulator, with its own Ashby account."""
    integration = ashby_integration(
        status=IntegrationStatus.PENDING, provider_settings={"use_simulator": True}, **kwargs
    )
    account = f"acct-{integration.public_id.hex[:10]}"
    sim.account_ensure(account, "Test workspace (sandbox)")
    key = sim.api_key_create(account, permissions=permissions)
    integration.credentials = {**(integration.credentials or {}), "api_key": key}
    integration.save()
    return integration, account


def sim_assessment(account: str, assessment_id: str, *, candidate_id: str = "cand-1") -> None:
    """An assessment the simulated Ashby knows it started (as after assessment.start)."""
    sim.put(
        "assessment",
        assessment_id,
        {
            "account": account,
            "candidate_id": candidate_id,
            "type_id": "big5",
            "type_name": "Big Five",
            "application_id": "app-1",
            "status": "Sent",
            "created_at": sim.now_iso(),
            "updates": [],
            "last_timestamp": 0,
        },
    )
