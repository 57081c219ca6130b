"""Ashby JSON ⇄ our types. Pure functions: no database, no HTTP.

Inbound (partner calls and webhooks) become frozen dataclasses; outbound bodies are the wire
dicts of assessment.update (reference §1.7) and candidate.createNote. Synced records (jobs,
stages, candidates, applications) become the contract's Synced* types."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Sub-scores on each dimension's own range, shared with the other ATS mappers (assessments.scales).
# dimension_scales is re-exported: provider.py builds the scales with it.
from assessments.scales import Scales, sub_score_on_scale, sub_score_text
from assessments.scales import dimension_scales as dimension_scales
from assessments.services.runs import ATSRefs, CandidateInfo, RunResult
from integrations.base import (
    SyncedApplication,
    SyncedCandidate,
    SyncedDeletion,
    SyncedJob,
    SyncedStage,
    sync_iso_datetime,
)

from . import constants


@dataclass(frozen=True)
class StartRequest:
    """A validated `assessment.start` body (reference §1.4). `assessment_type_id` is what Ashby
    sent (our UUID, or an instrument key from before the UUIDs); `instrument` what it means."""

    assessment_type_id: str
    instrument: str
    candidate_id: str
    first_name: str
    last_name: str
    email: str
    profile_url: str
    application_id: str
    application_status: str
    job_id: str
    job_name: str
    job_url: str
    req_id: str
    due_at: dt.datetime | None
    email_template: str | None

    @property
    def request_key(self) -> str:
        # Ashby retries assessment.start: the same application + instrument is the same order,
        # whether the type came as our UUID or as the key runs were started with before it.
        return f"{self.application_id}:{self.instrument}"

    def candidate(self) -> CandidateInfo:
        return CandidateInfo(email=self.email, first_name=self.first_name, last_name=self.last_name)

    def refs(self, *, assessment_id: str, request_key: str | None = None) -> ATSRefs:
        return ATSRefs(
            candidate_id=self.candidate_id,
            application_id=self.application_id,
            job_id=self.job_id,
            assessment_id=assessment_id,
            type_id=self.assessment_type_id,
            request_key=request_key or self.request_key,
            context={
                "job_name": self.job_name,
                "job_url": self.job_url,
                "req_id": self.req_id,
                "candidate_profile_url": self.profile_url,
                "application_status": self.application_status,
            },
        )


def start_request_from(
    data: Mapping[str, Any], *, instrument: str, due_at: dt.datetime | None
) -> StartRequest:
    candidate = data.get("candidate") or {}
    application = data.get("application") or {}
    job = data.get("job") or {}
    extra = data.get("additional_fields") or {}
    return StartRequest(
        assessment_type_id=str(data["assessment_type_id"]).strip(),
        instrument=instrument,
        candidate_id=str(candidate.get("ashby_id") or ""),
        first_name=str(candidate.get("first_name") or ""),
        last_name=str(candidate.get("last_name") or ""),
        email=str(candidate.get("email") or "").strip(),
        profile_url=str(candidate.get("ashby_profile_url") or ""),
        application_id=str(application.get("ashby_id") or ""),
        application_status=str(application.get("status") or ""),
        job_id=str(job.get("ashby_id") or ""),
        job_name=str(job.get("name") or ""),
        job_url=str(job.get("ashby_job_url") or ""),
        req_id=str(job.get("req_id") or ""),
        due_at=due_at,
        email_template=(str(extra.get(constants.FIELD_EMAIL_TEMPLATE) or "") or None),
    )


@dataclass(frozen=True)
class WebhookCandidate:
    candidate_id: str
    name: str
    email: str


def candidate_from_webhook(payload: Mapping[str, Any]) -> WebhookCandidate:
    """Seed `candidate.created` carries data.candidate; real `applicationSubmit` data.application.candidate."""
    data = payload.get("data") or {}
    candidate = data.get("candidate") or (data.get("application") or {}).get("candidate") or {}
    email = candidate.get("primaryEmailAddress") or {}
    email = email.get("value", "") if isinstance(email, Mapping) else str(email)
    return WebhookCandidate(
        candidate_id=str(candidate["id"]),
        name=str(candidate.get("name") or ""),
        email=str(email or candidate.get("email") or ""),
    )


@dataclass(frozen=True)
class CompletedAssessment:
    assessment_id: str
    candidate_id: str


def completed_from_webhook(payload: Mapping[str, Any]) -> CompletedAssessment:
    data = payload.get("data") or {}
    assessment = data.get("assessment") or data
    assessment_id = assessment.get("assessment_id") or assessment.get("assessmentId") or assessment.get("id")
    return CompletedAssessment(
        assessment_id=str(assessment_id),
        candidate_id=str(assessment.get("candidateId") or assessment.get("candidate_id") or ""),
    )


# --- outbound: assessment.update ---------------------------------------------------------


def blob(identifier: str, label: str, type_: str, value: Any, description: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {"identifier": identifier, "label": label, "type": type_, "value": value}
    if description:
        data["description"] = description
    return data


def _ms(value: dt.datetime | None) -> int:
    return int(value.timestamp() * 1000) if value else 0


def update_timestamps(
    *,
    created_at: dt.datetime,
    invited_at: dt.datetime | None,
    started_at: dt.datetime | None,
    finished_at: dt.datetime | None,
) -> tuple[int, int, int]:
    """(invited, started, finished) in ms, strictly increasing whatever the clocks say: Ashby keeps
    the latest update per assessment by `timestamp`, and a redelivery sends the same value."""
    invited = _ms(invited_at or created_at)
    started = max(_ms(started_at), invited + 1)
    finished = max(_ms(finished_at), (started if started_at else invited) + 1)
    return invited, started, finished


def update_invited(*, assessment_id: str, timestamp: int) -> dict[str, Any]:
    return {
        "assessment_id": assessment_id,
        "timestamp": timestamp,
        "assessment_status": blob("status", "Status", constants.BLOB_STRING, "Invited"),
    }


def update_started(*, assessment_id: str, timestamp: int) -> dict[str, Any]:
    # "Setting this with a value of "Started" will signal Ashby to store the timestamp the assessment started."
    return {
        "assessment_id": assessment_id,
        "timestamp": timestamp,
        "assessment_status": blob("status", "Status", constants.BLOB_STRING, "Started"),
    }


def update_completed(
    *, assessment_id: str, timestamp: int, result: RunResult, scales: Scales
) -> dict[str, Any]:
    """`scales` from dimension_scales(): each dimension-* blob carries the raw score on its
    instrument's range, the range in its label and description; only the overall score
    (`assessment_result`, `score-max`) is on 0–max_score, as the scoring rules define it
    (assessments/catalog/README.md, "Overall score")."""
    metadata = [
        blob(
            "score-max",
            "Max Score",
            constants.BLOB_NUMERIC,
            result.max_score,
            "The maximum possible score for the assessment",
        ),
        blob("duration", "Time taken", constants.BLOB_DURATION, result.duration_minutes),
        blob("instrument", "Assessment", constants.BLOB_STRING, result.instrument_name),
    ]
    for s in result.sub_scores:
        value, span = sub_score_on_scale(s, scales)
        metadata.append(
            blob(
                f"dimension-{s.key}",
                f"{s.label} ({span})",
                constants.BLOB_NUMERIC,
                value,
                sub_score_text(s, scales),
            )
        )
    if result.summary:
        metadata.append(blob("summary", "Summary", constants.BLOB_STRING, result.summary[:1000]))
    return {
        "assessment_id": assessment_id,
        "timestamp": timestamp,
        "assessment_status": blob("status", "Status", constants.BLOB_STRING, "Completed"),
        "assessment_result": blob("score", "Score", constants.BLOB_NUMERIC, result.overall_score),
        # Required when assessment_result is set, and always of type url.
        "assessment_profile_url": blob("report", "Report", constants.BLOB_URL, result.report_url),
        "metadata": metadata,
    }


def update_completed_without_result(*, assessment_id: str, timestamp: int) -> dict[str, Any]:
    """A completed run whose result was deleted (a candidate's erasure request): the status only;
    assessment_result and its required assessment_profile_url are optional in the update schema."""
    return {
        "assessment_id": assessment_id,
        "timestamp": timestamp,
        "assessment_status": blob("status", "Status", constants.BLOB_STRING, "Completed"),
    }


def update_cancelled(*, assessment_id: str, timestamp: int, reason: str) -> dict[str, Any]:
    # cancelled_reason alone signals cancellation; assessment_status is then optional.
    return {
        "assessment_id": assessment_id,
        "timestamp": timestamp,
        "cancelled_reason": blob("cancelled_reason", "Cancelled", constants.BLOB_STRING, reason[:500]),
    }


def update_expired(*, assessment_id: str, timestamp: int) -> dict[str, Any]:
    """The expiry update: the write-back sends it, and a cancel of an expired run answers it."""
    return update_cancelled(
        assessment_id=assessment_id,
        timestamp=timestamp,
        reason="Expired: the candidate did not finish before the due date",
    )


def scorecard_html(*, result: RunResult, scales: Scales) -> str:
    """The candidate scorecard note (seed 000 step 5): overall score, dimensions on their
    instrument's scale, summary, report link. Only the overall score is out of 100, and says it is
    the overall one; every figure of a dimension, the summary's included (assessments.scoring
    writes it so), is its raw score on its instrument's range. Only the elements
    candidate.createNote keeps (constants.NOTE_HTML_TAGS: b, i, u, a, ul, ol, li, code, pre; Ashby
    strips any other), so no <p> or <br>, and newlines between elements collapse in HTML: every
    part is its own <li> of one list, the dimensions a list nested in theirs, so none runs into
    the next."""
    rows = "".join(
        f"<li>{html.escape(s.label)}: {html.escape(sub_score_text(s, scales))}</li>"
        for s in result.sub_scores
    )
    parts = [
        f"<b>JobCannon {html.escape(result.instrument_name)}: "
        f"overall {result.overall_score} of {result.max_score}</b>",
        f"Dimensions, each on its instrument's own scale:<ul>{rows}</ul>" if rows else "",
        f"<i>{html.escape(result.summary)}</i>" if result.summary else "",
        f'<a href="{html.escape(result.report_url)}">Full report</a>',
    ]
    return "<ul>" + "".join(f"<li>{part}</li>" for part in parts if part) + "</ul>"


# --- data sync: list / info results and webhook payloads → typed records -------------------------
# Field names from Ashby's OpenAPI (reference §2 "The application object", §3.2 candidate.info).


def _text(value: Any, limit: int = 300) -> str:
    return str(value or "")[:limit]


def _contact(value: Any) -> str:
    """primaryEmailAddress / primaryPhoneNumber: {value, type, isPrimary} or null."""
    return _text(value.get("value"), 254) if isinstance(value, Mapping) else ""


def job_from(data: Mapping[str, Any]) -> SyncedJob:
    location = data.get("location")  # present with expand: ["location"]
    return SyncedJob(
        external_id=str(data["id"]),
        title=_text(data.get("title")),
        status=_text(data.get("status"), 40),
        location=_text(location.get("name"), 200) if isinstance(location, Mapping) else "",
        requisition_id=_text(data.get("customRequisitionId") or data.get("requisitionId"), 120),
        plan_external_id=_text(data.get("defaultInterviewPlanId"), 255),
        updated_at=sync_iso_datetime(data.get("updatedAt")),
    )


def stage_from(data: Mapping[str, Any], *, plan_id: str) -> SyncedStage:
    return SyncedStage(
        external_id=str(data["id"]),
        title=_text(data.get("title"), 200),
        plan_external_id=_text(data.get("interviewPlanId") or plan_id, 255),
        order=int(data.get("orderInInterviewPlan") or 0),
        kind=_text(data.get("type"), 60),
    )


def sync_candidate_from(data: Mapping[str, Any]) -> SyncedCandidate:
    return SyncedCandidate(
        external_id=str(data["id"]),
        name=_text(data.get("name")),
        email=_contact(data.get("primaryEmailAddress")),
        phone=_contact(data.get("primaryPhoneNumber"))[:60],
        profile_url=_text(data.get("profileUrl"), 500),
        updated_at=sync_iso_datetime(data.get("updatedAt")),
    )


def application_from(data: Mapping[str, Any]) -> SyncedApplication:
    stage = data.get("currentInterviewStage") or {}
    candidate = data.get("candidate") or {}
    job = data.get("job") or {}
    return SyncedApplication(
        external_id=str(data["id"]),
        candidate_external_id=_text(candidate.get("id"), 255),
        job_external_id=_text(job.get("id"), 255),
        stage_external_id=_text(stage.get("id"), 255),
        stage_title=_text(stage.get("title"), 200),
        status=_text(data.get("status"), 40),
        applied_at=sync_iso_datetime(data.get("createdAt")),
        updated_at=sync_iso_datetime(data.get("updatedAt")),
    )


def application_from_webhook(payload: Mapping[str, Any]) -> SyncedApplication:
    """applicationSubmit/applicationUpdate/candidateStageChange/candidateHire carry data.application."""
    return application_from((payload.get("data") or {})["application"])


def job_from_webhook(payload: Mapping[str, Any]) -> SyncedJob:
    return job_from((payload.get("data") or {})["job"])


def candidate_deletion_from_webhook(payload: Mapping[str, Any]) -> SyncedDeletion:
    """candidateDelete: data.candidate.id; candidateMerge: data.deletedCandidate.id merged into
    data.mergedCandidate.id (reference §2)."""
    data = payload.get("data") or {}
    if "deletedCandidate" in data:
        return SyncedDeletion(
            model="candidate",
            external_id=str(data["deletedCandidate"]["id"]),
            merged_into=str((data.get("mergedCandidate") or {}).get("id") or ""),
        )
    return SyncedDeletion(model="candidate", external_id=str(data["candidate"]["id"]))
