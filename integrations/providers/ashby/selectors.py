"""Reads for the partner API: the assessment types Ashby is offered, which instrument an
`assessment_type_id` from Ashby means, and the assessment.update body for a run's state.

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
from typing import Any

from django.utils import timezone

from assessments.catalog import INSTRUMENT_KEYS, instrument_get
from assessments.models import AssessmentRun, Result, RunStatus
from assessments.services.runs import instrument_list, run_result
from integrations.models import Integration, Token

from . import constants, mappers


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


# The update a run's status stands for (created and invited: "invited").
STATUS_EVENTS: dict[str, str] = {
    RunStatus.STARTED: "started",
    RunStatus.COMPLETED: "completed",
    RunStatus.SCORED: "completed",
    RunStatus.DELIVERED: "completed",
    RunStatus.CANCELLED: "cancelled",
    RunStatus.EXPIRED: "expired",
}


def run_update_request(
    *, run: AssessmentRun, event: str | None = None, default_reason: str = "Cancelled"
) -> dict[str, Any]:
    """The assessment.update body for the run's `event` (invited, started, completed, cancelled,
    expired; None: the state the run is in now). One builder for the write-back and for the
    `update_request` assessment.start and assessment.cancel answer inline, so Ashby, which keeps
    the latest update per assessment by `timestamp`, gets one body, one timestamp, per state
    whichever way it arrives. `default_reason`: a cancelled run's reason if it has none."""
    event = event or STATUS_EVENTS.get(run.status, "invited")
    invited, started, finished = mappers.update_timestamps(
        created_at=run.created_at,
        invited_at=run.invited_at,
        started_at=run.started_at,
        finished_at=run.completed_at or run.scored_at or run.cancelled_at or run.expired_at,
    )
    aid = run.external_assessment_id
    if event == "invited":
        return mappers.update_invited(assessment_id=aid, timestamp=invited)
    if event == "started":
        return mappers.update_started(assessment_id=aid, timestamp=started)
    if event == "completed":
        if not Result.objects.filter(run_id=run.pk).exists():
            # Finished, but its result is gone (the candidate's data was deleted on request): the
            # status stands, the scores are not ours to send any more.
            return mappers.update_completed_without_result(assessment_id=aid, timestamp=finished)
        # Sub-scores on each dimension's own range, from the instrument the run was taken with.
        scales = mappers.dimension_scales(instrument_get(run.instrument, run.instrument_version))
        return mappers.update_completed(
            assessment_id=aid, timestamp=finished, result=run_result(run=run), scales=scales
        )
    if event == "cancelled":
        return mappers.update_cancelled(
            assessment_id=aid, timestamp=finished, reason=run.cancelled_reason or default_reason
        )
    return mappers.update_expired(assessment_id=aid, timestamp=finished)


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
