"""Our results → Knit: one Ashby assessment.update per run event, rendered for Knit's unified
`ats.candidate.assessment.update` or for the passthrough to Ashby. Pure functions.

Knit publishes the update's path and its Candidate Assessment model (id, status, metaData, ...:
developers.getknit.dev/reference/assessments-apis) but no request body
(developers.getknit.dev/reference/update-candidate-assessment shows only the path), so the unified
body uses the model's field names, named in one constant (constants.UPDATE_BODY_FIELDS), and puts
the result, for which the model has no field, in `metaData` as Ashby's own assessment.update fields
(shared/reference/ashby-api.md §1.7): that part is our guess. The passthrough, the default, sends
Ashby's body verbatim, as a JSON string (passthrough.py). README.md says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.scales import Scales, instrument_scales, sub_score_on_scale, sub_score_text

from . import constants


@dataclass(frozen=True)
class AssessmentUpdate:
    """One Ashby assessment.update, before it is rendered for Knit's unified endpoint or the passthrough."""

    assessment_id: str
    timestamp_ms: int
    knit_status: str  # constants.EVENT_STATUS (Knit's candidateAssessment.status vocabulary)
    status: Mapping[str, Any] | None = None
    result: Mapping[str, Any] | None = None
    profile_url: Mapping[str, Any] | None = None
    cancelled_reason: Mapping[str, Any] | None = None
    metadata: tuple[Mapping[str, Any], ...] = ()


def _blob(identifier: str, label: str, type_: str, value: Any, description: str = "") -> dict[str, Any]:
    # Ashby's AssessmentDataValue: identifier/label/type/value(/description).
    blob = {"identifier": identifier, "label": label, "type": type_, "value": value}
    if description:
        blob["description"] = description
    return blob


def _ms(moment: dt.datetime | None) -> int:
    return int((moment or dt.datetime.now(tz=dt.UTC)).timestamp() * 1000)


def update_started(*, assessment_id: str, started_at: dt.datetime | None) -> AssessmentUpdate:
    return AssessmentUpdate(
        assessment_id=assessment_id,
        timestamp_ms=_ms(started_at),
        knit_status=constants.EVENT_STATUS["started"],
        status=_blob("status", "Status", "string", "Started"),
    )


def _sub_score(score: Any, scales: Scales) -> dict[str, Any]:
    # As Ashby's direct write-back (ashby/mappers.update_completed): the raw score on the
    # instrument's own range, the range in the label ("Dominance (6–30)"), the sentence beside it.
    value, span = sub_score_on_scale(score, scales)
    return _blob(
        f"sub-{score.key}", f"{score.label} ({span})", "numeric_score", value, sub_score_text(score, scales)
    )


def update_completed(*, assessment_id: str, result: Any, scales: Scales | None = None) -> AssessmentUpdate:
    """`result` is assessments.services.runs.RunResult. Each sub-score goes on its instrument's own
    range (assessments.scales): only the overall score is on 0–100, so "Max Score" 100 is about it
    alone. `scales` (assessments.scales.dimension_scales of the run's instrument version) defaults
    to the catalog's latest version of `result.instrument`, as Lever's note does; every
    instrument has one version (v1) today."""
    if scales is None:
        scales = instrument_scales(result.instrument)
    metadata = [
        _blob("score-max", "Max Score", "numeric_score", result.max_score, "The maximum possible score"),
        _blob("duration", "Time taken", "numeric_duration_minutes", result.duration_minutes),
        *(_sub_score(s, scales) for s in result.sub_scores),
    ]
    if result.summary:
        metadata.append(_blob("summary", "Summary", "string", result.summary[:2000]))
    return AssessmentUpdate(
        assessment_id=assessment_id,
        timestamp_ms=_ms(result.completed_at),
        knit_status=constants.EVENT_STATUS["completed"],
        status=_blob("status", "Status", "string", "Completed"),
        result=_blob("score", f"{result.instrument_name} score", "numeric_score", result.overall_score),
        profile_url=_blob("report_url", "JobCannon report", "url", result.report_url),
        metadata=tuple(metadata),
    )


def update_cancelled(*, assessment_id: str, reason: str, at: dt.datetime | None) -> AssessmentUpdate:
    return AssessmentUpdate(
        assessment_id=assessment_id,
        timestamp_ms=_ms(at),
        knit_status=constants.EVENT_STATUS["cancelled"],
        cancelled_reason=_blob("cancelled_reason", "Cancelled", "string", reason or "Cancelled"),
    )


def update_expired(*, assessment_id: str, at: dt.datetime | None) -> AssessmentUpdate:
    """The candidate did not finish in time: Knit's EXPIRED, not CANCELLED (nobody cancelled it).
    Ashby's assessment.update has no expiry of its own, so Ashby (passthrough) is told through
    cancelled_reason, the only way its API closes an assessment without a result."""
    return AssessmentUpdate(
        assessment_id=assessment_id,
        timestamp_ms=_ms(at),
        knit_status=constants.EVENT_STATUS["expired"],
        cancelled_reason=_blob(
            "cancelled_reason",
            constants.CANCELLED_REASON_EXPIRED_LABEL,
            "string",
            "Expired: the candidate did not finish before the due date.",
        ),
    )


def ashby_body(update: AssessmentUpdate) -> dict[str, Any]:
    """Ashby's assessment.update body, snake_case (for the passthrough and the simulator's view)."""
    body: dict[str, Any] = {"assessment_id": update.assessment_id, "timestamp": update.timestamp_ms}
    for key, value in (
        ("assessment_status", update.status),
        ("assessment_result", update.result),
        ("assessment_profile_url", update.profile_url),
        ("cancelled_reason", update.cancelled_reason),
    ):
        if value is not None:
            body[key] = dict(value)
    if update.metadata:
        body["metadata"] = [dict(m) for m in update.metadata]
    return body


def knit_update_body(update: AssessmentUpdate) -> dict[str, Any]:
    """Body for POST /v1.0/ats.candidate.assessment.update: [F] the field names of Knit's published
    Candidate Assessment model (constants.UPDATE_BODY_FIELDS: id, status, metaData); [I] the result
    inside metaData as Ashby's assessment.update fields, without the id already sent as `id`."""
    names = constants.UPDATE_BODY_FIELDS
    result = {key: value for key, value in ashby_body(update).items() if key != "assessment_id"}
    return {
        names["assessment_id"]: update.assessment_id,
        names["status"]: update.knit_status,
        names["result"]: result,
    }


def passthrough_body(update: AssessmentUpdate) -> dict[str, Any]:
    """Knit's passthrough request for Ashby's assessment.update: `body` is a JSON string (passthrough.py)."""
    from .passthrough import request_body

    return request_body(ashby_body(update))
