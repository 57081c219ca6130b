"""SmartRecruiters JSON <-> our types. Pure functions; untrusted JSON stops here.

The Assessment API (2021) order and result schemas are not published (reference §2.2 "Not
found"). We build to what is: the order shape accepts the legacy Marketplace AssessmentOrder
names (`offer.catalogId`, §2.3) and the 2021 names our simulator sends [I]; the result body uses
only the legacy result fields (title, description, score, resultType, result: SRD "Assessment
API" result example) plus `scoreLabel` (§2.2, via Kombo), and only statuses of the documented
AssessmentOrder enum NEW | IN_PROGRESS | REJECTED | COMPLETED. `passed` is left out: JobCannon's
instruments have no pass mark, and the legacy schema has no "unknown" value for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import constants


@dataclass(frozen=True)
class Company:
    id: str
    name: str


@dataclass(frozen=True)
class StageAction:
    package_id: str
    required: bool
    trigger: str
    due_days: int
    email_template: str


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    action: StageAction | None


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class Candidate:
    id: str
    first_name: str
    last_name: str
    email: str
    job_id: str
    stage_id: str


@dataclass(frozen=True)
class CustomField:
    id: str
    label: str
    type: str


@dataclass(frozen=True)
class Order:
    id: str
    package_id: str
    instrument: str
    candidate_id: str
    first_name: str
    last_name: str
    email: str
    job_id: str
    job_name: str
    stage_id: str
    stage_name: str
    due_at: dt.datetime | None
    email_template: str
    required: bool
    trigger: str
    application_id: str = ""


@dataclass(frozen=True)
class InlineOrder:
    """SR's InlineAssessmentOrderRequest (SRD /docs/in-line-assessment-ordering-process) [F]."""

    operation_id: str
    package_id: str
    instrument: str
    first_name: str
    last_name: str
    email: str
    language: str
    job_id: str
    job_name: str
    completed_callback_url: str
    result_url: str
    partner_client_id: str


@dataclass(frozen=True)
class CompletedNotice:
    order_id: str
    candidate_id: str
    job_id: str


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def company_from(payload: Mapping[str, Any]) -> Company:
    ident = _str(payload.get("identifier") or payload.get("id"))
    if not ident:
        raise ValueError("company without an identifier")
    return Company(id=ident, name=_str(payload.get("name")) or ident)


def _action_from(raw: Mapping[str, Any]) -> StageAction | None:
    if not raw or not _str(raw.get("packageId")):
        return None
    try:
        due_days = int(raw.get("dueInDays") or constants.DEFAULT_DUE_DAYS)
    except (TypeError, ValueError):
        due_days = constants.DEFAULT_DUE_DAYS
    return StageAction(
        package_id=_str(raw["packageId"]),
        required=bool(raw.get("required", True)),
        trigger=_str(raw.get("trigger")) or constants.TRIGGER_AUTO,
        due_days=due_days,
        email_template=_str(raw.get("emailTemplate")) or "default",
    )


def jobs_from(payload: Mapping[str, Any]) -> list[Job]:
    jobs = []
    for raw in payload.get("content") or []:
        raw = _obj(raw)
        stages = tuple(
            Stage(id=_str(s.get("id")), name=_str(s.get("name")), action=_action_from(_obj(s.get("action"))))
            for s in map(_obj, _obj(raw.get("hiringProcess")).get("stages") or [])
        )
        jobs.append(Job(id=_str(raw.get("id")), title=_str(raw.get("title")), stages=stages))
    return jobs


def candidates_from(payload: Mapping[str, Any]) -> list[Candidate]:
    out = []
    for raw in map(_obj, payload.get("content") or []):
        assignment = _obj(raw.get("primaryAssignment"))
        out.append(
            Candidate(
                id=_str(raw.get("id")),
                first_name=_str(raw.get("firstName")),
                last_name=_str(raw.get("lastName")),
                email=_str(raw.get("email")),
                job_id=_str(_obj(assignment.get("job")).get("id")),
                stage_id=_str(_obj(assignment.get("status")).get("stageId")),
            )
        )
    return out


def custom_fields_from(payload: Mapping[str, Any]) -> list[CustomField]:
    return [
        CustomField(
            id=_str(f.get("id")), label=_str(f.get("label")) or _str(f.get("id")), type=_str(f.get("type"))
        )
        for f in map(_obj, payload.get("content") or [])
        if _str(f.get("id"))
    ]


def package_id_for(instrument: str) -> str:
    return constants.PACKAGE_PREFIX + instrument


def instrument_for_package(package_id: str) -> str:
    if not package_id.startswith(constants.PACKAGE_PREFIX):
        raise ValueError(f"{package_id!r} is not a JobCannon package")
    return package_id[len(constants.PACKAGE_PREFIX) :]


def package_body(info: Any) -> dict[str, Any]:
    """One instrument (assessments.services.runs.InstrumentInfo) as an SR assessment package."""
    return {
        "id": package_id_for(info.key),
        "name": info.name,
        "description": info.description,
        "type": constants.PACKAGE_TYPE,
        "version": info.version,
        "settings": {
            "dueInDays": constants.DEFAULT_DUE_DAYS,
            "emailTemplates": ["branded", "default"],
            "triggers": [constants.TRIGGER_AUTO, constants.TRIGGER_MANUAL],
        },
    }


def _due(value: Any) -> dt.datetime | None:
    text = _str(value)
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def order_from(payload: Mapping[str, Any]) -> Order:
    """An order SR places: partner call body, webhook body (`data` wrapper) or legacy object."""
    data = _obj(payload.get("data")) or payload
    order_id = _str(data.get("id") or data.get("orderId"))
    package_id = _str(data.get("packageId") or _obj(data.get("offer")).get("catalogId"))
    candidate, job, stage = _obj(data.get("candidate")), _obj(data.get("job")), _obj(data.get("stage"))
    settings = _obj(data.get("settings"))
    if not order_id or not package_id or not _str(candidate.get("id")):
        raise ValueError("an order needs id, packageId and candidate.id")
    return Order(
        id=order_id,
        package_id=package_id,
        instrument=instrument_for_package(package_id),
        candidate_id=_str(candidate.get("id")),
        first_name=_str(candidate.get("firstName")),
        last_name=_str(candidate.get("lastName")),
        email=_str(candidate.get("email")),
        job_id=_str(job.get("id")),
        job_name=_str(job.get("name") or job.get("title")),
        stage_id=_str(stage.get("id")),
        stage_name=_str(stage.get("name")),
        due_at=_due(settings.get("dueDate") or data.get("dueDate")),
        email_template=_str(settings.get("emailTemplate")) or "",
        required=bool(settings.get("required", True)),
        trigger=_str(settings.get("trigger")) or constants.TRIGGER_AUTO,
        application_id=_str(data.get("applicationId") or _obj(data.get("application")).get("id")),
    )


def inline_order_from(payload: Mapping[str, Any]) -> InlineOrder:
    """InlineAssessmentOrderRequest: applicationOperationId, candidate {firstName, lastName,
    email, language}, completedAssessmentCallbackUrl, assessmentResultUrl, partnerClientId,
    partnerInlineAssessmentTypeId, offerCatalogId, job (SRD, legacy inline page) [F]."""
    candidate, job = _obj(payload.get("candidate")), _obj(payload.get("job"))
    operation_id = _str(payload.get("applicationOperationId"))
    package_id = _str(payload.get("partnerInlineAssessmentTypeId") or payload.get("offerCatalogId"))
    if not operation_id or not package_id:
        raise ValueError("an inline order needs applicationOperationId and partnerInlineAssessmentTypeId")
    if "@" not in _str(candidate.get("email")):
        raise ValueError("candidate.email is missing or not an email address")
    result_url = _str(payload.get("assessmentResultUrl"))
    if not result_url.startswith("https://") and not result_url.startswith("http://"):
        raise ValueError("assessmentResultUrl is missing or not an absolute URL")
    return InlineOrder(
        operation_id=operation_id,
        package_id=package_id,
        instrument=instrument_for_package(package_id),
        first_name=_str(candidate.get("firstName")),
        last_name=_str(candidate.get("lastName")),
        email=_str(candidate.get("email")),
        language=_str(candidate.get("language")),
        job_id=_str(job.get("id")),
        job_name=_str(job.get("name") or job.get("title")),
        completed_callback_url=_str(payload.get("completedAssessmentCallbackUrl")),
        result_url=result_url,
        partner_client_id=_str(payload.get("partnerClientId")),
    )


def company_credentials_from(payload: Mapping[str, Any]) -> tuple[str, str]:
    """The credentials SR created for the company in answer to setUpIntegration (SRD
    /reference/assessment-partner-integration step 5). Field names are not published [I]: the
    OAuth spellings and SR's camelCase are read, at the top level or under "credentials"."""
    data = _obj(payload.get("credentials")) or payload
    client_id = _str(data.get("clientId") or data.get("client_id"))
    secret = _str(data.get("clientSecret") or data.get("client_secret"))
    if not client_id or not secret:
        raise ValueError("SmartRecruiters answered setUpIntegration without company client credentials")
    return client_id, secret


def completed_notice_from(payload: Mapping[str, Any]) -> CompletedNotice:
    """Seed body `{"id", "event", "data": {orderId, candidateId, jobId}}` or the real Webhooks
    API's IDs-only body `{"assessment_order_id", "candidate_id", "job_id"}`."""
    data = _obj(payload.get("data")) or payload
    return CompletedNotice(
        order_id=_str(data.get("orderId") or data.get("assessment_order_id")),
        candidate_id=_str(data.get("candidateId") or data.get("candidate_id")),
        job_id=_str(data.get("jobId") or data.get("job_id")),
    )


def score_label(result: Any) -> str:
    return f"{result.overall_score}/{result.max_score}"


def result_body(result: Any) -> dict[str, Any]:
    """Body of PATCH /assessment-api/v202010/orders/{orderId}/results for a RunResult: the legacy
    result fields (SRD legacy "submit results": title, description, score, resultType, result)
    and scoreLabel (via Kombo's SR pass-through), with a status from the documented enum."""
    return {
        "status": "COMPLETED",
        "title": result.instrument_name,
        "description": result.summary,
        "score": score_label(result),
        "scoreLabel": score_label(result),
        "resultType": constants.RESULT_TYPE_URL,
        "result": result.report_url,
    }


STATUS_REASONS = {
    "cancelled": "The assessment was cancelled in JobCannon.",
    "expired": "The candidate did not complete the assessment before it expired.",
}


def status_body(event: str) -> dict[str, Any]:
    """A run that ends without a result. The documented enum has no CANCELLED or EXPIRED: the
    order is REJECTED, with the reason as its description [I: the closest documented status]."""
    return {
        "status": "REJECTED",
        "description": STATUS_REASONS.get(event, f"The assessment ended ({event})."),
    }


def scorecard_values(result: Any, field_map: Mapping[str, str]) -> list[tuple[str, str]]:
    """(SR candidate property id, value) for every mapped field."""
    values = {
        "overall_score": str(result.overall_score),
        "score_label": score_label(result),
        "summary": result.summary,
        "report_url": result.report_url,
        "instrument": result.instrument_name,
    }
    for sub in result.sub_scores:
        values[f"subscore:{sub.key}"] = str(sub.score)
    return [(prop, values[source]) for prop, source in field_map.items() if source in values]
