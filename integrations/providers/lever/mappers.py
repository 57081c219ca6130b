"""Lever JSON -> our types, and our results -> Lever JSON. Pure functions, no I/O.

Shapes: https://hire.lever.co/developer/documentation (Opportunities, Stages, Postings, Feedback,
Feedback templates, Notes, Webhooks). Seed 004 events use the same envelope with dotted names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.scales import Scales, instrument_scales, sub_score_text

from . import constants


@dataclass(frozen=True)
class LeverOpportunity:
    id: str
    name: str
    first_name: str
    last_name: str
    email: str
    contact_id: str
    stage_id: str
    archived: bool
    application_id: str
    posting_id: str
    show_url: str


@dataclass(frozen=True)
class LeverOption:
    id: str
    text: str


@dataclass(frozen=True)
class LeverWebhook:
    id: str
    url: str
    events: tuple[str, ...]
    signature_token: str


@dataclass(frozen=True)
class OpportunityEvent:
    """Any opportunity-scoped event: a stage change (to_stage_id set) or a new application."""

    opportunity_id: str
    to_stage_id: str
    from_stage_id: str


@dataclass(frozen=True)
class TemplateRef:
    id: str
    field_ids: tuple[tuple[str, str], ...]  # (our key, Lever field id)

    def field(self, key: str) -> str:
        return dict(self.field_ids).get(key, "")


@dataclass(frozen=True)
class StageRule:
    id: str
    stage_id: str
    stage_name: str
    posting_id: str  # "" = every posting
    posting_name: str
    instrument: str
    mode: str  # "auto" (send on stage entry) or "manual"
    due_days: int
    required: bool


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def opportunity_from_api(data: Mapping[str, Any]) -> LeverOpportunity:
    emails = [str(e) for e in data.get("emails") or [] if e]
    applications = [a for a in data.get("applications") or [] if isinstance(a, Mapping)]
    application = applications[0] if applications else {}
    stage = data.get("stage")
    posting = application.get("posting")
    first, last = split_name(str(data.get("name") or ""))
    return LeverOpportunity(
        id=str(data["id"]),
        name=str(data.get("name") or ""),
        first_name=first,
        last_name=last,
        email=emails[0] if emails else "",
        contact_id=str(data.get("contact") or ""),
        stage_id=str(stage.get("id") if isinstance(stage, Mapping) else stage or ""),
        archived=bool(data.get("archived")),
        application_id=str(application.get("id") or ""),
        posting_id=str(posting.get("id") if isinstance(posting, Mapping) else posting or ""),
        show_url=str((data.get("urls") or {}).get("show") or ""),
    )


def options_from_api(rows: list[Mapping[str, Any]]) -> list[LeverOption]:
    return [
        LeverOption(id=str(r["id"]), text=str(r.get("text") or r.get("name") or r["id"]))
        for r in rows
        if r.get("id")
    ]


def webhook_from_api(data: Mapping[str, Any]) -> LeverWebhook:
    # Seed registrations carry "triggers"; real ones one "event" and configuration.signatureToken.
    events = tuple(str(e) for e in data.get("triggers") or []) or (
        (str(data["event"]),) if data.get("event") else ()
    )
    configuration = data.get("configuration") or {}
    return LeverWebhook(
        id=str(data.get("id") or ""),
        url=str(data.get("url") or ""),
        events=events,
        signature_token=str(configuration.get("signatureToken") or data.get("signatureToken") or ""),
    )


def opportunity_event(payload: Mapping[str, Any]) -> OpportunityEvent:
    data = payload.get("data") or {}
    # Lever sends opportunityId (and the legacy candidateId, equal to it); the seed's events may
    # only carry the latter.
    opportunity_id = (
        data.get("opportunityId") or data.get("candidateId") or (data.get("opportunity") or {}).get("id")
    )
    if not opportunity_id:
        raise ValueError("event has no opportunityId")
    return OpportunityEvent(
        opportunity_id=str(opportunity_id),
        to_stage_id=str(data.get("toStageId") or ""),
        from_stage_id=str(data.get("fromStageId") or ""),
    )


def stage_rules(settings: Mapping[str, Any]) -> list[StageRule]:
    rules = []
    for r in settings.get("stage_rules") or []:
        rules.append(
            StageRule(
                id=str(r["id"]),
                stage_id=str(r["stage_id"]),
                stage_name=str(r.get("stage_name") or r["stage_id"]),
                posting_id=str(r.get("posting_id") or ""),
                posting_name=str(r.get("posting_name") or ""),
                instrument=str(r["instrument"]),
                mode=str(r.get("mode") or "auto"),
                due_days=int(r.get("due_days") or constants.DEFAULT_DUE_DAYS),
                required=bool(r.get("required", True)),
            )
        )
    return rules


def rules_for_stage(
    rules: list[StageRule], *, stage_id: str, posting_id: str, mode: str | None = None
) -> list[StageRule]:
    """A posting-specific rule wins over an every-posting rule for the same instrument."""
    matching = [
        r
        for r in rules
        if r.stage_id == stage_id and r.posting_id in ("", posting_id) and (mode is None or r.mode == mode)
    ]
    specific = {r.instrument for r in matching if r.posting_id}
    return [r for r in matching if r.posting_id or r.instrument not in specific]


# -- write-back ----------------------------------------------------------------------------

TEMPLATE_FIELDS = (
    # (our key, Lever field type, field text)
    ("rating", "score-system", "Overall rating"),
    ("instrument", "text", "Assessment"),
    ("score", "text", "Overall score (0-100)"),
    ("scores", "textarea", "Scores by dimension"),
    ("summary", "textarea", "Summary"),
    ("report", "text", "Full report"),
    ("reference", "text", "JobCannon reference"),
)


def feedback_template_body() -> dict[str, Any]:
    fields = []
    for _key, kind, text in TEMPLATE_FIELDS:
        field: dict[str, Any] = {
            "type": kind,
            "text": text,
            "description": "",
            "required": kind == "score-system",
        }
        if kind == "score-system":
            field["options"] = [{"text": o} for o in constants.SCORE_OPTIONS]
        fields.append(field)
    return {
        "text": constants.FEEDBACK_TEMPLATE_NAME,
        "instructions": "Written by JobCannon when a candidate completes an assessment. Do not edit.",
        "fields": fields,
    }


def template_ref(data: Mapping[str, Any]) -> TemplateRef | None:
    """Our template's id and field ids, or None if `data` is not (a complete copy of) it."""
    if data.get("text") != constants.FEEDBACK_TEMPLATE_NAME or not data.get("id"):
        return None
    by_text = {str(f.get("text")): str(f.get("id")) for f in data.get("fields") or [] if f.get("id")}
    ids = tuple((key, by_text[text]) for key, _kind, text in TEMPLATE_FIELDS if text in by_text)
    if len(ids) != len(TEMPLATE_FIELDS):
        return None
    return TemplateRef(id=str(data["id"]), field_ids=ids)


def rating_for(score: int) -> str:
    """0-100 onto Lever's four-point score system (the template must have exactly one)."""
    if score >= 75:
        return constants.SCORE_OPTIONS[0]
    if score >= 50:
        return constants.SCORE_OPTIONS[1]
    if score >= 25:
        return constants.SCORE_OPTIONS[2]
    return constants.SCORE_OPTIONS[3]


def reference_for(run_id: int) -> str:
    return f"jobcannon-run-{run_id}"


def _scores_text(result: Any, scales: Scales | None) -> str:
    """One line a dimension, "Dominance: 23.3 on the 6–30 scale": the raw score on the range of
    the instrument the run was scored with (assessments.scales, as Ashby's note), never "/100".
    `scales` (assessments.scales.dimension_scales of the run's instrument version) defaults to the
    catalog's latest version of `result.instrument`; every instrument has one version (v1) today."""
    if scales is None:
        scales = instrument_scales(result.instrument)
    return "\n".join(f"{s.label}: {sub_score_text(s, scales)}" for s in result.sub_scores)


def feedback_body(result: Any, template: TemplateRef, scales: Scales | None = None) -> dict[str, Any]:
    values = {
        "rating": rating_for(result.overall_score),
        "instrument": result.instrument_name,
        "score": f"{result.overall_score}/{result.max_score}",
        "scores": _scores_text(result, scales),
        "summary": result.summary,
        "report": result.report_url,
        "reference": reference_for(result.run_id),
    }
    completed_ms = int(result.completed_at.timestamp() * 1000)
    return {
        "baseTemplateId": template.id,
        "completedAt": completed_ms,
        "fieldValues": [{"id": template.field(k), "value": v} for k, v in values.items()],
    }


def feedback_is_ours(data: Mapping[str, Any], template: TemplateRef, run_id: int) -> bool:
    """True if this feedback (GET/list shape: fields with values) is the one we wrote for the run."""
    if str(data.get("baseTemplateId") or "") != template.id:
        return False
    reference_id = template.field("reference")
    values = {str(f.get("id")): f.get("value") for f in data.get("fields") or []}
    return values.get(reference_id) == reference_for(run_id)


def note_body(result: Any, scales: Scales | None = None) -> dict[str, Any]:
    # LD Notes: score is 1-4 (1 Strong No ... 4 Strong Yes); the report link carries the detail.
    # Only the overall score is out of 100, and says so; the dimensions, and the summary's figures
    # (assessments.scoring writes them so), are raw scores on the instrument's own range.
    score = 4 - constants.SCORE_OPTIONS.index(rating_for(result.overall_score))
    text = (
        f"JobCannon {result.instrument_name}: overall {result.overall_score} of {result.max_score}\n"
        f"{_scores_text(result, scales)}\n\n{result.summary}\n\nFull report: {result.report_url}\n"
        f"({reference_for(result.run_id)})"
    )
    return {"value": text, "secret": False, "score": score, "notifyFollowers": False}
