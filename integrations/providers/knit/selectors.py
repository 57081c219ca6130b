"""Reads for the Knit provider (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from assessments.models import AssessmentRun
from integrations.models import Environment, Integration, WritebackMessage, WritebackStatus

from . import constants
from .passthrough import AshbyConnectionRefused


@dataclass(frozen=True)
class AssessmentSecret:
    """A secretKey/baseUrl pair from Knit's Create ATS Assessment Secrets, as we keep it."""

    secret_key: str
    base_url: str
    created_at: str
    state: str  # "active" (Ashby has it) or "pending" (created, waiting for the customer's confirmation)

    @property
    def masked(self) -> str:
        return "•" * 8 + self.secret_key[-4:]


def knit_run_for_assessment(*, integration: Integration, assessment_id: str) -> AssessmentRun | None:
    """The run Knit's assessment id created (request key first: it is unique per integration)."""
    from .mappers import request_key

    runs = AssessmentRun.objects.filter(integration=integration)
    return (
        runs.filter(external_request_key=request_key(assessment_id)).first()
        or runs.filter(external_assessment_id=assessment_id).order_by("-created_at").first()
    )


def knit_verification_keys(*, integration: Any, secrets: list[str]) -> list[str]:
    """Knit signs with the Knit API key: the integration's webhook secrets (kept equal to the
    current key and, while the customer changes keys, the previous one) plus the saved keys,
    so a generic "rotate webhook secret" click can never lock Knit out."""
    creds = (getattr(integration, "credentials", None) or {}) if integration is not None else {}
    keys: list[str] = []
    for key in [*secrets, creds.get("api_key"), creds.get("previous_api_key")]:
        if key and isinstance(key, str) and key not in keys:
            keys.append(key)
    return keys


def knit_assessment_secrets(*, integration: Integration) -> list[AssessmentSecret]:
    return [
        AssessmentSecret(
            secret_key=s.get("secret_key", ""),
            base_url=s.get("base_url", ""),
            created_at=s.get("created_at", ""),
            state=s.get("state", "active"),
        )
        for s in integration.credential("assessment_secrets", []) or []
        if s.get("secret_key")
    ]


def knit_other_environment_using_key(*, integration: Integration, api_key: str) -> Integration | None:
    """Sandbox and production stay apart: the other environment's integration if it holds this key."""
    others = Integration.objects.filter(
        workspace=integration.workspace_id, provider=integration.provider
    ).exclude(pk=integration.pk)
    for other in others:
        if api_key and api_key in (other.credential("api_key"), other.credential("previous_api_key")):
            return other
    return None


def knit_environment_label(integration: Integration) -> str:
    return "production" if integration.environment == Environment.PRODUCTION else "sandbox"


def knit_result_mode(*, integration: Integration) -> str:
    """How this integration's results reach Ashby: the mode it saved, else the default
    (constants.DEFAULT_RESULT_MODE, the passthrough: the body Ashby publishes)."""
    mode = (integration.provider_settings or {}).get("result_mode")
    return mode if mode in constants.RESULT_MODES else constants.DEFAULT_RESULT_MODE


def knit_results_held_by_ashby(*, integration: Integration) -> QuerySet[WritebackMessage]:
    """Write-backs Ashby refused through Knit's passthrough with a 401/403
    (passthrough.AshbyConnectionRefused): retrying with backoff, or dead once the retry horizon
    passed before the customer reconnected Ashby inside Knit."""
    return WritebackMessage.objects.filter(
        integration=integration,
        status__in=(WritebackStatus.RETRYING, WritebackStatus.DEAD),
        last_error_class=AshbyConnectionRefused.__name__,
    ).order_by("-updated_at", "-pk")
