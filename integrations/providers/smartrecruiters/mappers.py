"""SmartRecruiters JSON <-> our types. Pure functions; untrusted JSON stops here.

The Assessment API (2021) bodies are those of SR's own OpenAPI definitions (SRO, constants.py):
AssessmentPackage for our packages, AssessmentPackageOrderRequest and
InlineAssessmentPackageOrderRequest for the orders SR places with us, ClientCredentials for
setUpIntegration, PackageResult for the results we PATCH (status from its enum IN_PROGRESS |
PENDING | COMPLETED | REJECTED | EXPIRED, score as {raw, min, max}, the dimensions as
assessmentResults (AssessmentResult); no `passed`, which the schema does not have). What SRO leaves open is marked [I] where it is read or written."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from assessments.scales import Scales, instrument_scales, sub_score_on_scale, sub_score_text

from . import constants


@dataclass(frozen=True)
class Company:
    id: str
    name: str


@dataclass(frozen=True)
class Job:
    """SRO components.schemas.Job: no hiring process and no stages (SR publishes none per job)."""

    id: str
    title: str
    status: str


@dataclass(frozen=True)
class Candidate:
    """SRO components.schemas.Candidate with its primaryAssignment: the job, `status` (one of
    constants.CANDIDATE_STATUSES) and the free-text `subStatus`."""

    id: str
    first_name: str
    last_name: str
    email: str
    job_id: str
    status: str
    sub_status: str


@dataclass(frozen=True)
class CustomField:
    id: str
    label: str
    type: str


@dataclass(frozen=True)
class Order:
    """SRO AssessmentPackageOrderRequest: resultCallbackURL, candidate, job, requester,
    assessmentPackageId, companyId, fields (partner fields, string values)."""

    id: str  # the order id in resultCallbackURL (…/orders/{orderId}/results) [I: derived]
    package_id: str
    instrument: str
    candidate_id: str
    first_name: str
    last_name: str
    email: str
    job_id: str
    job_name: str
    result_url: str
    company_id: str = ""
    requester_email: str = ""
    due_at: dt.datetime | None = None
    email_template: str = ""


@dataclass(frozen=True)
class InlineOrder:
    """SRO InlineAssessmentPackageOrderRequest (2021): resultCallbackURL, candidate {email,
    firstName, lastName, applicationLanguage}, job {id}, assessmentPackageId, companyId,
    completedAssessmentCallbackUrl; the legacy InlineAssessmentOrderRequest names
    (applicationOperationId, assessmentResultUrl, partnerInlineAssessmentTypeId, offerCatalogId,
    candidate.language; SRD /docs/in-line-assessment-ordering-process) are read too."""

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
    company_id: str = ""


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


def status_label(status: str) -> str:
    """SR's candidate status as we show it ("IN_REVIEW" -> "In review"); a status SR adds later
    is shown as sent."""
    return constants.CANDIDATE_STATUS_LABELS.get(status, status)


def stage_title(status: str, sub_status: str = "") -> str:
    """Where the candidate is: the status, and the company's sub-status when SR sends one
    ("In review: Assessment")."""
    label = status_label(status)
    return f"{label}: {sub_status}" if label and sub_status else label or sub_status


def pipeline_position(assignment: Mapping[str, Any]) -> tuple[str, str]:
    """(status, subStatus) of one assignment as SRO publishes it: `status` is the
    CandidateStatusEnum string, `subStatus` a free string. Anything else gives ("", "")."""
    status, sub_status = assignment.get("status"), assignment.get("subStatus")
    return (
        _str(status) if isinstance(status, str) else "",
        _str(sub_status) if isinstance(sub_status, str) else "",
    )


def jobs_from(payload: Mapping[str, Any]) -> list[Job]:
    return [
        Job(id=_str(raw.get("id")), title=_str(raw.get("title")), status=_str(raw.get("status")))
        for raw in map(_obj, payload.get("content") or [])
    ]


def candidates_from(payload: Mapping[str, Any]) -> list[Candidate]:
    out = []
    for raw in map(_obj, payload.get("content") or []):
        assignment = _obj(raw.get("primaryAssignment"))
        status, sub_status = pipeline_position(assignment)
        out.append(
            Candidate(
                id=_str(raw.get("id")),
                first_name=_str(raw.get("firstName")),
                last_name=_str(raw.get("lastName")),
                email=_str(raw.get("email")),
                job_id=_str(_obj(assignment.get("job")).get("id")),
                status=status,
                sub_status=sub_status,
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


class UnknownPackage(ValueError):
    """The order names a package that is not one of ours (SRO: 404 "There is no package which
    was ordered")."""


def instrument_for_package(package_id: str) -> str:
    if not package_id.startswith(constants.PACKAGE_PREFIX):
        raise UnknownPackage(f"{package_id!r} is not a JobCannon package")
    return package_id[len(constants.PACKAGE_PREFIX) :]


def package_body(info: Any) -> dict[str, Any]:
    """One instrument (assessments.services.runs.InstrumentInfo) as SRO's AssessmentPackage:
    id, name, description, type (AssessmentType) and its assessments (one: the instrument)."""
    return {
        "id": package_id_for(info.key),
        "name": info.name,
        "description": info.description,
        "type": constants.PACKAGE_TYPE,
        "assessments": [
            {
                "id": info.key,
                "type": constants.PACKAGE_TYPE,
                "name": info.name,
                "description": info.description,
            }
        ],
    }


def _due(value: Any) -> dt.datetime | None:
    text = _str(value)
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_ORDER_IN_URL = re.compile(r"/orders/([^/?#]+)/results/?(?:[?#].*)?$")


def _absolute_url(value: Any, name: str) -> str:
    url = _str(value)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"{name} is missing or not an absolute http(s) URL")
    return url


def order_id_in(result_url: str) -> str:
    """The order id a resultCallbackURL names (…/orders/{orderId}/results, SRO's results path);
    another shape gets a stable id of its own [I: SRO does not say what the URL looks like]."""
    found = _ORDER_IN_URL.search(urlsplit(result_url).path)
    if found:
        return found.group(1)
    return "url-" + hashlib.sha256(result_url.encode()).hexdigest()[:24]


def same_origin(url: str, base: str) -> bool:
    """True when url is on base's scheme, host and port: our company credentials go only to SR's
    API host, whatever URL an order names."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def order_from(payload: Mapping[str, Any]) -> Order:
    """SRO AssessmentPackageOrderRequest. Due date and email template are partner fields
    (`fields`: SRO's partner-defined parameters) named dueDate / emailTemplate [I: our names]."""
    candidate, job = _obj(payload.get("candidate")), _obj(payload.get("job"))
    fields, requester = _obj(payload.get("fields")), _obj(payload.get("requester"))
    package_id = _str(payload.get("assessmentPackageId"))
    if not package_id or not _str(candidate.get("id")):
        raise ValueError("an order needs assessmentPackageId and candidate.id")
    result_url = _absolute_url(payload.get("resultCallbackURL"), "resultCallbackURL")
    return Order(
        id=order_id_in(result_url),
        package_id=package_id,
        instrument=instrument_for_package(package_id),
        candidate_id=_str(candidate.get("id")),
        first_name=_str(candidate.get("firstName")),
        last_name=_str(candidate.get("lastName")),
        email=_str(candidate.get("email")),
        job_id=_str(job.get("id") or payload.get("jobId")),
        job_name=_str(job.get("title") or job.get("name")),
        result_url=result_url,
        company_id=_str(payload.get("companyId")),
        requester_email=_str(requester.get("email")),
        due_at=_due(fields.get("dueDate")),
        email_template=_str(fields.get("emailTemplate")),
    )


def inline_order_from(payload: Mapping[str, Any]) -> InlineOrder:
    candidate, job = _obj(payload.get("candidate")), _obj(payload.get("job"))
    package_id = _str(
        payload.get("assessmentPackageId")
        or payload.get("partnerInlineAssessmentTypeId")
        or payload.get("offerCatalogId")
    )
    if not package_id:
        raise ValueError("an in-line order needs assessmentPackageId")
    result_url = _absolute_url(
        payload.get("resultCallbackURL") or payload.get("assessmentResultUrl"), "resultCallbackURL"
    )
    # Where SR wants the candidate back after the run: SR redirects them to us at once, so a
    # missing or non-http(s) URL is refused here rather than leaving the candidate stranded.
    completed = _absolute_url(payload.get("completedAssessmentCallbackUrl"), "completedAssessmentCallbackUrl")
    if "@" not in _str(candidate.get("email")):
        raise ValueError("candidate.email is missing or not an email address")
    return InlineOrder(
        operation_id=_str(payload.get("applicationOperationId")) or order_id_in(result_url),
        package_id=package_id,
        instrument=instrument_for_package(package_id),
        first_name=_str(candidate.get("firstName")),
        last_name=_str(candidate.get("lastName")),
        email=_str(candidate.get("email")),
        language=_str(candidate.get("applicationLanguage") or candidate.get("language")),
        job_id=_str(job.get("id") or payload.get("jobId")),
        job_name=_str(job.get("title") or job.get("name")),
        completed_callback_url=completed,
        result_url=result_url,
        company_id=_str(payload.get("companyId")),
    )


def company_credentials_from(payload: Mapping[str, Any]) -> tuple[str, str]:
    """SRO ClientCredentials {clientId, clientSecret}: what SR answers setUpIntegration with, the
    credentials it created for the company (/reference/assessment-partner-integration step 5)."""
    client_id, secret = _str(payload.get("clientId")), _str(payload.get("clientSecret"))
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


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def score_integer(value: Any) -> int:
    """SRO Score's raw, min and max are `type: integer, format: int64` [F] (vendor/
    assessment_api_2021.openapi.json; example {raw:28, min:20, max:80}): a fractional score is
    rounded half up to the nearest integer, never truncated (72.6 -> 73, where int() sent 72)."""
    return int(Decimal(str(value)).to_integral_value(rounding=ROUND_HALF_UP))


# A dimension the instrument's scales do not list is placed on 0-100 by sub_score_on_scale (its
# value is then the 0-100 sub-score); these are that range's bounds for the Score object.
_POSITION_RANGE = (0, 100)


def assessment_results(result: Any, scales: Scales) -> list[dict[str, Any]]:
    """SRO AssessmentResult, one per dimension of the run (PackageResult.assessmentResults [F]):
    assessmentId (the one required property) `<instrument>:<dimension key>`, the dimension's
    label as name and assessmentName, status COMPLETED (SRO's enum), score {raw, min, max} on the
    instrument's own range for that dimension (assessments.scales: e.g. Big Five 10-50), integers
    as SRO Score requires (raw rounded half up by score_integer), scoreLabel the exact raw score on
    that range ("38.8 on the 10–50 scale", as the Ashby and Lever write-backs say it), and
    submissionDate. [I]: SRO does not say what assessmentId must name (our packages list one
    assessment, the instrument: package_body) nor which of name / assessmentName SR shows."""
    items = []
    for sub in result.sub_scores:
        value, _ = sub_score_on_scale(sub, scales)
        low, high = scales.get(sub.key, _POSITION_RANGE)
        item = {
            "assessmentId": f"{result.instrument}:{sub.key}",
            "name": sub.label,
            "assessmentName": sub.label,
            "status": constants.RESULT_STATUS_COMPLETED,
            "score": {"raw": score_integer(value), "min": low, "max": high},
            "scoreLabel": sub_score_text(sub, scales),
            "submissionDate": _iso(result.completed_at),
        }
        items.append({k: v for k, v in item.items() if v not in (None, "")})
    return items


def result_body(
    result: Any, *, sent_at: dt.datetime | None = None, scales: Scales | None = None
) -> dict[str, Any]:
    """SRO PackageResult for a RunResult: status, name, summary ("displayed next to the score and
    label in the candidate profile"), score {raw, min, max}, scoreLabel, the dates, the report
    link as an attachment of type OTHER_URL (SRO Attachment.type: VIDEO_URL | PDF_URL | OTHER_URL)
    [I: that a URL attachment needs no other field], and the dimensions as assessmentResults
    (assessment_results; `scales` from assessments.scales.dimension_scales of the run's instrument
    version, by default its latest version's). The score's values are SRO's integers
    (score_integer). Keys without a value are left out (the PATCH follows RFC 7396: a null would
    erase)."""
    if scales is None:
        scales = instrument_scales(result.instrument)
    body = {
        "status": constants.RESULT_STATUS_COMPLETED,
        "name": result.instrument_name,
        "summary": result.summary,
        "score": {
            "raw": score_integer(result.overall_score),
            "min": 0,
            "max": score_integer(result.max_score),
        },
        "scoreLabel": score_label(result),
        "assessmentPackageDate": _iso(sent_at),
        "submissionDate": _iso(result.completed_at),
        "attachments": [{"type": "OTHER_URL", "url": result.report_url}] if result.report_url else None,
        "assessmentResults": assessment_results(result, scales) or None,
    }
    return {k: v for k, v in body.items() if v not in (None, "")}


STATUS_ENDINGS = {
    # A run JobCannon cancelled: SRO's enum has no CANCELLED; REJECTED is the closest [I].
    "cancelled": ("REJECTED", "The assessment was cancelled in JobCannon."),
    "expired": ("EXPIRED", "The candidate did not complete the assessment before it expired."),
}


def status_body(event: str, *, reason: str = "") -> dict[str, Any]:
    """A run that ends without a result, with the reason as its summary (a cancelled run's
    reason, AssessmentRun.cancelled_reason, follows the fixed sentence)."""
    status, summary = STATUS_ENDINGS.get(event, ("REJECTED", f"The assessment ended ({event})."))
    reason = (reason or "").strip()
    if reason:
        summary = f"{summary.rstrip('.')}: {reason}"
    return {"status": status, "summary": summary}


def scorecard_values(
    result: Any, field_map: Mapping[str, str], scales: Scales | None = None
) -> list[tuple[str, str]]:
    """(SR candidate property id, value) for every mapped field. A dimension's value is its raw
    score on the instrument's own range ("26 on the 6–30 scale", as every write-back says it);
    `scales` as result_body's."""
    if scales is None:
        scales = instrument_scales(result.instrument)
    values = {
        "overall_score": str(result.overall_score),
        "score_label": score_label(result),
        "summary": result.summary,
        "report_url": result.report_url,
        "instrument": result.instrument_name,
    }
    for sub in result.sub_scores:
        values[f"subscore:{sub.key}"] = sub_score_text(sub, scales)
    return [(prop, values[source]) for prop, source in field_map.items() if source in values]
