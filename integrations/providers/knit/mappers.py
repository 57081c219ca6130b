"""Knit webhook JSON → our types. Pure functions, frozen dataclasses.

Inbound: the `record.new` / `record.deleted` envelope of seed 003. Every field but the
assessment id is optional: Knit's `record.deleted` example is nulls all the way down, and its
Greenhouse example nulls the package name, so a missing key, a null or a wrong type all map
to "" / () and never raise.

Outbound bodies (our results → Knit) are in updates.py."""

from __future__ import annotations

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
    raw_emails = candidate.get("emails")
    emails = tuple(
        KnitEmail(email=_str(_obj(e).get("email")), type=_str(_obj(e).get("type")))
        for e in (raw_emails if isinstance(raw_emails, list) else [])
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
