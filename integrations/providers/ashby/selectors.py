"""Reads for the partner API: the assessment types Ashby is offered, and which instrument an
`assessment_type_id` from Ashby means.

Ashby's partner OpenAPI declares `assessment_type_id` as `type: string, format: uuid` (the
assessment.list result items and the assessment.start request; tests/fixtures/ashby/openapi/).
Ours are deterministic: uuid5(ASSESSMENT_TYPE_NAMESPACE, "<workspace id>:<instrument key>"), so
each workspace gets stable ids without a table, and the same instrument has different ids in two
workspaces. Before these UUIDs, assessment.list answered the instrument keys themselves (`big5`,
`disc`, `eq`); interview plans set up then still send them, so a key is accepted too."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.utils import timezone

from assessments.catalog import INSTRUMENT_KEYS
from assessments.services.runs import instrument_list
from integrations.models import Integration, Token

from . import constants


@dataclass(frozen=True)
class AssessmentType:
    assessment_type_id: str
    instrument: str
    name: str
    description: str


def assessment_type_id(*, workspace_id: int, instrument: str) -> str:
    return str(uuid.uuid5(constants.ASSESSMENT_TYPE_NAMESPACE, f"{workspace_id}:{instrument}"))


def assessment_type_list(*, workspace) -> list[AssessmentType]:
    """What assessment.list offers: the instruments this workspace offers, with their UUIDs."""
    return [
        AssessmentType(
            assessment_type_id=assessment_type_id(workspace_id=workspace.pk, instrument=i.key),
            instrument=i.key,
            name=i.name,
            description=i.description,
        )
        for i in instrument_list(workspace=workspace)
    ]


def assessment_type_instrument(*, workspace_id: int, type_id: str) -> str | None:
    """The instrument key an assessment_type_id means for this workspace, or None. Every catalog
    instrument is resolved (not only the offered ones), so that a type the workspace stopped
    offering gets "not offered" rather than "unknown"."""
    value = type_id.strip()
    if value in INSTRUMENT_KEYS:
        return value  # a type id from before the UUIDs: runs already started keep working
    try:
        wanted = uuid.UUID(value)
    except ValueError:
        return None
    for key in INSTRUMENT_KEYS:
        if uuid.UUID(assessment_type_id(workspace_id=workspace_id, instrument=key)) == wanted:
            return key
    return None


def refresh_token_warning(integration: Integration) -> str:
    """Seed 000: a refresh token lasts about 2 years; warn once it is older than 1.5 years."""
    token = Token.objects.filter(integration=integration).only("refresh_issued_at", "refresh_token").first()
    if token is None or not token.refresh_issued_at:
        return ""
    age = timezone.now() - token.refresh_issued_at
    if age < dt.timedelta(days=constants.REFRESH_TOKEN_WARN_DAYS):
        return ""
    return (
        f"The Ashby refresh token is {age.days} days old (older than 1.5 years; Ashby refresh tokens last about "
        "2 years). Re-authorize the integration now to avoid an interruption."
    )
