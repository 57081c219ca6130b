"""Shared test helpers for the Knit provider."""

from __future__ import annotations

from typing import Any

from assessments.models import Result
from integrations.models import IntegrationStatus
from integrations.providers.knit.webhooks import sign
from tests.factories import AssessmentRunFactory, IntegrationFactory

API_KEY = "knit_test_api_key_0001"
INTEGRATION_ID = "int_test_0001"


def knit_integration(**kwargs: Any):
    """A connected Knit integration off the simulator. Production by default: the tests that use it
    mock Knit's production host, constants.API_BASE (a sandbox one calls API_BASE_SANDBOX)."""
    defaults: dict[str, Any] = {
        "provider": "knit",
        "environment": "production",
        "status": IntegrationStatus.CONNECTED,
        "credentials": {"api_key": API_KEY, "integration_id": INTEGRATION_ID},
        "webhook_secrets": [{"secret": API_KEY, "created_at": "2026-01-01T00:00:00+00:00"}],
    }
    defaults.update(kwargs)
    return IntegrationFactory(**defaults)


def knit_headers(body: bytes, key: str = API_KEY) -> dict[str, str]:
    return {"X-Knit-Signature": sign(key, body)}


def scored_run(integration, *, assessment_id: str = "ats_ass_scored0000000000001", **kwargs: Any):
    """A run Ashby ordered through Knit, with a stored result (what run_result reads)."""
    from django.utils import timezone

    run = AssessmentRunFactory(
        workspace=integration.workspace,
        integration=integration,
        provider="knit",
        external_assessment_id=assessment_id,
        status="scored",
        started_at=timezone.now(),
        completed_at=timezone.now(),
        **kwargs,
    )
    Result.objects.create(
        run=run,
        instrument_version=run.instrument_version,
        overall_score=72,
        dimensions=[
            {"key": "O", "label": "Openness", "raw": 3.8, "score": 70},
            {"key": "C", "label": "Conscientiousness", "raw": 4.1, "score": 78},
        ],
        summary="Curious and organised.",
        duration_seconds=840,
    )
    return run
