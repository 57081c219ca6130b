"""Knit JSON ⇄ our types. Pure functions, frozen dataclasses.

Inbound: the `record.new` / `record.deleted` envelope of seed 003. Every field but the
assessment id is optional: Knit's `record.deleted` example is nulls all the way down, and its
Greenhouse example nulls the package name, so a missing key, a null or a wrong type all map
to "" / () and never raise.

Outbound: the result submission. Knit's `ats.candidate.assessment.update` body was not
retrievable, so we send Ashby's own `assessment.update` fields (shared/reference/ashby-api.md
§1.7) in Knit's camelCase; the passthrough mode sends Ashby's body verbatim. README.md says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import constants

# --- inbound ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnitEmail:
    email: str
    type: str


@dataclass(frozen=True)
class KnitCandidate:
    id: str
    first_name: str
    last_name: str
    emails: tuple[KnitEmail, ...]
    phones: tuple[str, ...]
    links: tuple[str, ...]
    location: str


@dataclass(frozen=True)
class KnitPackage:
    id: str
    name: str
    description: str
    type: str


@dataclass(frozen=True)
class KnitOrigin:
    """`originData`: the raw Ashby assessment.start request as Knit forwards it."""

    application_id: str
    application_status: str
    candidate_id: str
    candidate_email: str
    candidate_first_name: str
    candidate_last_name: str
    candidate_profile_url: str
    job_id: str
    job_name: str
    job_url: str
    assessment_type_id: str
    assessment_id: str


@dataclass(frozen=True)
class KnitCandidateAssessment:
    id: str
    application_id: str
    job_id: str
    status: str
    callback_url: str
    package: KnitPackage
    candidate: KnitCandidate
    origin: KnitOrigin

    # Knit's unified fields first, Ashby's originData as the fallback.
    @property
    def candidate_email(self) -> str:
        ranked = sorted(self.candidate.emails, key=lambda e: e.type.upper() not in ("PRIMARY", "PERSONAL"))
        return next((e.email for e in ranked if e.email), "") or self.origin.candidate_email

    @property
    def first_name(self) -> str:
        return self.candidate.first_name or self.origin.candidate_first_name

    @property
    def last_name(self) -> str:
        return self.candidate.last_name or self.origin.candidate_last_name

    @property
    def candidate_id(self) -> str:
        return self.candidate.id or self.origin.candidate_id

    @property
    def application(self) -> str:
        return self.application_id or self.origin.application_id

    @property
    def job(self) -> str:
        return self.job_id or self.origin.job_id

    @property
    def type_id(self) -> str:
        return self.package.id or self.origin.assessment_type_id


@dataclass(frozen=True)
class KnitEvent:
    event_id: str
    event_type: str
    record_id: str
    sync_type: str
    sync_data_type: str
    triggered_at: int | None
    assessment: KnitCandidateAssessment


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list | tuple | bool):
        return ""
    return str(value).strip()


def _strings(value: Any, key: str = "") -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    out = (_str(_obj(item).get(key)) if key and isinstance(item, Mapping) else _str(item) for item in items)
    return tuple(s for s in out if s)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def candidate_assessment_from_data(
    data: Mapping[str, Any], *, record_id: str = ""
) -> KnitCandidateAssessment:
    candidate, package, origin = (
        _obj(data.get("candidate")),
        _obj(data.get("assessmentPackage")),
        _obj(data.get("originData")),
    )
    o_app, o_cand, o_job = (
        _obj(origin.get("application")),
        _obj(origin.get("candidate")),
        _obj(origin.get("job")),
    )
    emails = tuple(
        KnitEmail(email=_str(_obj(e).get("email")), type=_str(_obj(e).get("type")))
        for e in (candidate.get("emails") if isinstance(candidate.get("emails"), list) else [])
        if _str(_obj(e).get("email"))
    )
    return KnitCandidateAssessment(
        id=_str(data.get("id")) or record_id or _str(origin.get("assessment_id")),
        application_id=_str(data.get("applicationId")),
        job_id=_str(data.get("jobId")),
        status=_str(data.get("status")),
        callback_url=_str(data.get("callbackUrl")),
        package=KnitPackage(
            id=_str(package.get("id")),
            name=_str(package.get("name")),
            description=_str(package.get("description")),
            type=_str(package.get("type")),
        ),
        candidate=KnitCandidate(
            id=_str(candidate.get("id")),
            first_name=_str(candidate.get("firstName")),
            last_name=_str(candidate.get("lastName")),
            emails=emails,
            phones=_strings(candidate.get("phones"), "phoneNumber"),
            links=_strings(candidate.get("links")),
            location=_str(candidate.get("location")),
        ),
        origin=KnitOrigin(
            application_id=_str(o_app.get("ashby_id")),
            application_status=_str(o_app.get("status")),
            candidate_id=_str(o_cand.get("ashby_id")),
            candidate_email=_str(o_cand.get("email")),
            candidate_first_name=_str(o_cand.get("first_name")),
            candidate_last_name=_str(o_cand.get("last_name")),
            candidate_profile_url=_str(o_cand.get("ashby_profile_url")),
            job_id=_str(o_job.get("ashby_id")),
            job_name=_str(o_job.get("name")),
            job_url=_str(o_job.get("ashby_job_url")),
            assessment_type_id=_str(origin.get("assessment_type_id")),
            assessment_id=_str(origin.get("assessment_id")),
        ),
    )


def event_from_payload(payload: Mapping[str, Any]) -> KnitEvent:
    """The whole webhook. Raises ValueError only when there is no assessment id at all."""
    payload = _obj(payload)
    record_id = _str(payload.get("recordId"))
    assessment = candidate_assessment_from_data(
        _obj(_obj(payload.get("eventData")).get("candidateAssessment")), record_id=record_id
    )
    if not assessment.id:
        raise ValueError("the event names no assessment (eventData.candidateAssessment.id / recordId)")
    return KnitEvent(
        event_id=_str(payload.get("eventId")),
        event_type=_str(payload.get("eventType")),
        record_id=record_id,
        sync_type=_str(payload.get("syncType")),
        sync_data_type=_str(payload.get("syncDataType")),
        triggered_at=_int_or_none(payload.get("triggeredAt")),
        assessment=assessment,
    )


def run_context(assessment: KnitCandidateAssessment, *, event_id: str) -> dict[str, Any]:
    """Non-secret ATS context kept on the run (shown to recruiters, used in write-back)."""
    context = {
        "source": "Ashby via Knit",
        "knit_assessment_id": assessment.id,
        "knit_event_id": event_id,
        "package_name": assessment.package.name,
        "package_type": assessment.package.type,
        "package_description": assessment.package.description,
        "job_name": assessment.origin.job_name,
        "application_status": assessment.origin.application_status,
        "candidate_location": assessment.candidate.location,
        "candidate_profile_url": assessment.origin.candidate_profile_url,
        "job_url": assessment.origin.job_url,
        "callback_url": assessment.callback_url,
    }
    return {k: v for k, v in context.items() if v}


def instrument_for(
    assessment: KnitCandidateAssessment, *, package_map: Mapping[str, str], default: str
) -> str:
    """Which instrument an Ashby package means: the customer's mapping first (set on the Knit
    setup page), then a package id that names an instrument, then the integration's default."""
    for candidate in (assessment.package.id, assessment.origin.assessment_type_id):
        if candidate and package_map.get(candidate):
            return str(package_map[candidate])
        if candidate.lower() in constants.INSTRUMENTS:
            return candidate.lower()
    return default or constants.DEFAULT_INSTRUMENT


def request_key(assessment_id: str) -> str:
    return f"{constants.REQUEST_KEY_PREFIX}{assessment_id}"[:255]


# --- outbound --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentUpdate:
    """One Ashby assessment.update, before it is rendered for Knit's unified endpoint or the passthrough."""

    assessment_id: str
    timestamp_ms: int
    knit_status: str  # IN_PROGRESS | COMPLETED | CANCELLED ([I] Knit's candidateAssessment.status vocabulary)
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
        knit_status="IN_PROGRESS",
        status=_blob("status", "Status", "string", "Started"),
    )


def update_completed(*, assessment_id: str, result: Any) -> AssessmentUpdate:
    """`result` is assessments.services.runs.RunResult."""
    metadata = [
        _blob("score-max", "Max Score", "numeric_score", result.max_score, "The maximum possible score"),
        _blob("duration", "Time taken", "numeric_duration_minutes", result.duration_minutes),
        *(_blob(f"sub-{s.key}", s.label, "numeric_score", s.score) for s in result.sub_scores),
    ]
    if result.summary:
        metadata.append(_blob("summary", "Summary", "string", result.summary[:2000]))
    return AssessmentUpdate(
        assessment_id=assessment_id,
        timestamp_ms=_ms(result.completed_at),
        knit_status="COMPLETED",
        status=_blob("status", "Status", "string", "Completed"),
        result=_blob("score", f"{result.instrument_name} score", "numeric_score", result.overall_score),
        profile_url=_blob("report_url", "JobCannon report", "url", result.report_url),
        metadata=tuple(metadata),
    )


def update_cancelled(*, assessment_id: str, reason: str, at: dt.datetime | None) -> AssessmentUpdate:
    return AssessmentUpdate(
        assessment_id=assessment_id,
        timestamp_ms=_ms(at),
        knit_status="CANCELLED",
        cancelled_reason=_blob("cancelled_reason", "Cancelled", "string", reason or "Cancelled"),
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
    """[I] Body for POST /v1.0/ats.candidate.assessment.update: Knit's id + status, Ashby's fields in camelCase."""
    ashby = ashby_body(update)
    body: dict[str, Any] = {
        "candidateAssessmentId": update.assessment_id,
        "status": update.knit_status,
        "timestamp": update.timestamp_ms,
    }
    for snake, camel in (
        ("assessment_status", "assessmentStatus"),
        ("assessment_result", "assessmentResult"),
        ("assessment_profile_url", "assessmentProfileUrl"),
        ("cancelled_reason", "cancelledReason"),
        ("metadata", "metadata"),
    ):
        if snake in ashby:
            body[camel] = ashby[snake]
    return body


def passthrough_body(update: AssessmentUpdate) -> dict[str, Any]:
    """[F] POST /v1.0/passthrough takes `path` (+ optional baseUrl); [I] method and body members."""
    return {"method": "POST", "path": "/assessment.update", "body": ashby_body(update)}
