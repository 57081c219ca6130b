"""Reads for the SmartRecruiters provider (writes are in services.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from assessments.models import AssessmentRun
from integrations.models import Integration, Token

from . import constants


def provider_settings(integration: Integration) -> dict[str, Any]:
    return dict(integration.provider_settings or {})


def subscription_state(integration: Integration) -> dict[str, Any]:
    return dict(provider_settings(integration).get("subscription") or {})


def subscription_activating(*, integration: Integration) -> bool:
    """True while on_connected waits for SR's X-Hook-Secret call (SR waits 20 s for the echo)."""
    state = subscription_state(integration)
    until = state.get("activating_until")
    if state.get("status") != "activating" or not until:
        return False
    return dt.datetime.fromisoformat(until) > timezone.now()


def webhook_api(integration: Integration) -> str:
    value = provider_settings(integration).get("webhook_api") or constants.WEBHOOK_API_VENDOR
    return (
        value
        if value in (constants.WEBHOOK_API_VENDOR, constants.WEBHOOK_API_SEED)
        else constants.WEBHOOK_API_VENDOR
    )


def scorecard_map(integration: Integration) -> dict[str, str]:
    raw = provider_settings(integration).get("scorecard_fields") or {}
    return {str(k): str(v) for k, v in raw.items() if v} if isinstance(raw, dict) else {}


def missing_scopes(integration: Integration) -> list[str]:
    token = Token.objects.filter(integration=integration).first()
    return token.missing_scopes() if token is not None else []


def run_for_order(*, integration: Integration, order_id: str) -> AssessmentRun | None:
    return AssessmentRun.objects.filter(integration=integration, external_assessment_id=order_id).first()


def integration_for_partner_client(client_id: str) -> Integration | None:
    import uuid

    if not client_id.startswith(constants.PARTNER_CLIENT_PREFIX):
        return None
    try:
        public_id = uuid.UUID(hex=client_id[len(constants.PARTNER_CLIENT_PREFIX) :])
    except ValueError:
        return None
    return (
        Integration.objects.filter(provider=constants.KEY, public_id=public_id)
        .select_related("workspace")
        .first()
    )
