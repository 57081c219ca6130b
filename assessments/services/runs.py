"""The service API that integrations use to start, cancel and read assessment runs.

Providers call only these functions (and the types below); they never write assessment models.
(Interface fixed by the foundation; bodies are implemented by the assessments issue.)"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from assessments.catalog import (
    INSTRUMENT_KEYS,
    Instrument,
    UnknownInstrument,
    instrument_get,
    instruments_latest,
)
from assessments.models import Assessment, AssessmentRun, EmailTemplate, Result, RunStatus
from assessments.selectors import (  # noqa: F401 - RETURN_URL_KEY: part of this service API
    RETURN_URL_KEY,
    assessment_config_get,
    candidate_key_for,
    report_key_for,
)
from assessments.services.emails import run_email_send
from assessments.services.hooks import RunEvent, run_event_announce
from jobcannon.core.exceptions import ValidationFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateInfo:
    email: str
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class ATSRefs:
    """Where a run came from in the ATS. `request_key` makes ATS retries idempotent: a second
    create with the same (integration, request_key) returns the existing run."""

    candidate_id: str = ""
    application_id: str = ""
    job_id: str = ""
    assessment_id: str = ""  # the ATS's own id for this order, if it has one
    type_id: str = ""  # the package / assessment type the ATS asked for
    request_key: str | None = None
    # Non-secret extras (job name, profile URL...); RETURN_URL_KEY names where the candidate goes
    # once they submit (an http(s) URL the ATS gave for this run).
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstrumentInfo:
    key: str  # "big5", "disc", "eq"
    version: str
    name: str
    description: str


@dataclass(frozen=True)
class SubScore:
    key: str
    label: str
    score: int  # 0-100
    raw: float


@dataclass(frozen=True)
class RunResult:
    """The result shape providers map to their ATS (Ashby blobs, Lever feedback, SR result...)."""

    run_id: int
    instrument: str
    instrument_name: str
    overall_score: int  # 0-100
    max_score: int  # always 100
    sub_scores: tuple[SubScore, ...]
    summary: str
    report_url: str  # absolute URL of the recruiter-facing report
    completed_at: dt.datetime
    duration_minutes: int


class RunAlreadyActive(Exception):
    """The candidate already has an active run of this instrument for this application (Ashby: 409)."""

    def __init__(self, message: str = "", *, run: AssessmentRun | None = None):
        super().__init__(
            message or "The candidate already has an active run of this assessment for this application."
        )
        self.run = run


def _instrument_info(instrument: Instrument) -> InstrumentInfo:
    return InstrumentInfo(
        key=instrument.key,
        version=instrument.version,
        name=instrument.name,
        description=instrument.description,
    )


def instrument_list(*, workspace) -> list[InstrumentInfo]:
    """The instruments this workspace offers (for Ashby assessment.list, SR catalog, Lever stage rules)."""
    offered = set(assessment_config_get(workspace=workspace).offered_instruments)
    return [_instrument_info(i) for i in instruments_latest() if i.key in offered]


def _validated_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        raise ValidationFailed("The candidate's email address is missing.", details={"email": "required"})
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(f"{email!r} is not a valid email address.", details={"email": "invalid"})
    return email


def _assessment_for(*, workspace, instrument: Instrument) -> Assessment:
    # get_or_create retries the read on IntegrityError inside its own savepoint: concurrent-safe.
    assessment, _ = Assessment.objects.get_or_create(
        workspace=workspace,
        instrument=instrument.key,
        version=instrument.version,
        defaults={"name": instrument.name},
    )
    return assessment


def _run_for_request(integration, request_key: str | None) -> AssessmentRun | None:
    """The run an ATS request (its idempotency key) already created on this integration, if any."""
    if integration is None or not request_key:
        return None
    return AssessmentRun.objects.filter(integration=integration, external_request_key=request_key).first()


def assessment_run_create(
    *,
    workspace,
    instrument: str,
    candidate: CandidateInfo,
    integration=None,
    refs: ATSRefs | None = None,
    due_at: dt.datetime | None = None,
    email_template: str | None = None,
    send_invitation: bool = True,
) -> tuple[AssessmentRun, bool]:
    """Create (or, for a repeated refs.request_key, return) a run and invite the candidate.
    Returns (run, created). Raises jobcannon.core.exceptions.ValidationFailed for bad input
    (unknown instrument, missing email) and RunAlreadyActive for a conflicting active run."""
    refs = refs or ATSRefs()
    if integration is not None and integration.workspace_id != workspace.pk:
        raise ValidationFailed("The integration belongs to another workspace.")
    request_key = refs.request_key or None
    existing = _run_for_request(integration, request_key)
    if existing is not None:
        return existing, False

    try:
        definition = instrument_get(instrument)
    except UnknownInstrument:
        raise ValidationFailed(
            f"Unknown assessment {instrument!r}.",
            code="unknown_instrument",
            details={"instrument": instrument, "available": list(INSTRUMENT_KEYS)},
        )
    config = assessment_config_get(workspace=workspace)
    if instrument not in config.offered_instruments:
        raise ValidationFailed(
            f"This workspace does not offer the {definition.name} assessment.",
            code="instrument_not_offered",
            details={"instrument": instrument},
        )
    email = _validated_email(candidate.email)
    if email_template and email_template not in EmailTemplate.values:
        raise ValidationFailed(
            f"Unknown email template {email_template!r}.",
            details={"email_template": list(EmailTemplate.values)},
        )
    now = timezone.now()
    if due_at is None:
        due_at = now + dt.timedelta(days=config.default_due_days)
    elif timezone.is_naive(due_at):
        raise ValidationFailed("The due date needs a time zone.", details={"due_at": "naive"})
    elif due_at <= now:
        raise ValidationFailed("The due date is in the past.", details={"due_at": due_at.isoformat()})

    try:
        with transaction.atomic():
            if integration is not None:
                # Serialise creates per integration so two different request keys for the same
                # application cannot both pass the active-run check (no-op on SQLite, which
                # serialises writers anyway).
                type(integration).objects.select_for_update().filter(pk=integration.pk).first()
                # A concurrent retry of this very request (Ashby retries a start whose first try
                # timed out) committed its run while we waited for the lock: it is ours, not a conflict.
                existing = _run_for_request(integration, request_key)
                if existing is not None:
                    return existing, False
                if refs.application_id:
                    active = AssessmentRun.objects.filter(
                        integration=integration,
                        external_application_id=refs.application_id,
                        instrument=instrument,
                        status__in=AssessmentRun.ACTIVE_STATUSES,
                    ).first()
                    if active is not None:
                        raise RunAlreadyActive(run=active)
            run = AssessmentRun.objects.create(
                workspace=workspace,
                assessment=_assessment_for(workspace=workspace, instrument=definition),
                instrument=definition.key,
                instrument_version=definition.version,
                candidate_first_name=(candidate.first_name or "")[:120],
                candidate_last_name=(candidate.last_name or "")[:120],
                candidate_email=email,
                integration=integration,
                provider=integration.provider if integration is not None else "",
                external_candidate_id=refs.candidate_id[:255],
                external_application_id=refs.application_id[:255],
                external_job_id=refs.job_id[:255],
                external_assessment_id=refs.assessment_id[:255],
                external_type_id=refs.type_id[:255],
                external_request_key=request_key if integration is not None else None,
                ats_context=dict(refs.context),
                email_template=email_template or "",
                due_at=due_at,
            )
    except IntegrityError:
        # A concurrent create with the same (integration, request_key) won the insert.
        existing = _run_for_request(integration, request_key)
        if existing is None:
            raise
        return existing, False
    logger.info("assessment.run_created", extra={"run": run.pk, "instrument": run.instrument})
    if send_invitation:
        assessment_run_invite(run=run)
    return run, True


def assessment_run_invite(*, run: AssessmentRun) -> AssessmentRun:
    """Email the candidate link (again) and mark the run invited. A failed send is recorded on
    the run (the recruiter sees it and can resend), never raised to the ATS."""
    if not run.is_active:
        raise ValidationFailed(f"This run is {run.get_status_display().lower()}; it cannot be sent again.")
    try:
        run_email_send(run=run, kind="invitation", url=candidate_url(run=run))
    except Exception as exc:  # noqa: BLE001 - SMTP trouble must not fail an ATS request
        logger.exception("assessment.invitation_failed", extra={"run": run.pk})
        AssessmentRun.objects.filter(pk=run.pk).update(invitation_error=f"{type(exc).__name__}: {exc}"[:500])
        run.refresh_from_db()
        return run
    now = timezone.now()
    AssessmentRun.objects.filter(pk=run.pk, status=RunStatus.CREATED).update(
        status=RunStatus.INVITED, invited_at=now
    )
    AssessmentRun.objects.filter(pk=run.pk).update(invitation_error="")
    run.refresh_from_db()
    return run


def assessment_run_cancel(*, run: AssessmentRun, reason: str, notify_ats: bool = True) -> AssessmentRun:
    """Cancel a run and revoke its candidate link. Idempotent; a finished run is left as it is."""
    with transaction.atomic():
        locked = AssessmentRun.objects.select_for_update().get(pk=run.pk)
        if locked.status in AssessmentRun.ACTIVE_STATUSES:
            locked.status = RunStatus.CANCELLED
            locked.cancelled_at = timezone.now()
            locked.cancelled_reason = (reason or "")[:500]
            locked.save(update_fields=["status", "cancelled_at", "cancelled_reason", "updated_at"])
            if notify_ats:
                run_event_announce(run=locked, event=RunEvent.CANCELLED)
            logger.info("assessment.run_cancelled", extra={"run": locked.pk})
    run.refresh_from_db()
    return run


def run_result(*, run: AssessmentRun) -> RunResult:
    """The scored result of a completed run (raises ValueError if not scored yet)."""
    result = Result.objects.filter(run_id=run.pk).first()
    if result is None:
        raise ValueError(f"Run {run.pk} has no result yet (status {run.status}).")
    instrument = instrument_get(run.instrument, run.instrument_version)
    return RunResult(
        run_id=run.pk,
        instrument=run.instrument,
        instrument_name=instrument.name,
        overall_score=result.overall_score,
        max_score=100,
        sub_scores=tuple(
            SubScore(key=d["key"], label=d["label"], score=int(d["score"]), raw=float(d["raw"]))
            for d in result.dimensions
        ),
        summary=result.summary,
        report_url=report_url(run=run),
        completed_at=run.completed_at or result.created_at,
        duration_minutes=max(1, round(result.duration_seconds / 60)) if result.duration_seconds else 0,
    )


def run_report_pdf(*, run: AssessmentRun) -> bytes:
    """The recruiter report of a scored run as a PDF, the file the report page offers (raises
    ValueError if the run has no result yet)."""
    from assessments.reports import report_build, report_pdf

    report = report_build(run=run)
    if report is None:
        raise ValueError(f"Run {run.pk} has no result yet (status {run.status}).")
    return report_pdf(report)


def candidate_url(*, run: AssessmentRun) -> str:
    """Absolute URL of the candidate's page (the token is the key)."""
    path = reverse("assessments:take", kwargs={"key": candidate_key_for(run)})
    return f"{settings.JOBCANNON_BASE_URL}{path}"


def report_url(*, run: AssessmentRun) -> str:
    """Absolute, signed URL of the recruiter-facing report (opens without a JobCannon login)."""
    path = reverse("assessments:report-shared", kwargs={"key": report_key_for(run)})
    return f"{settings.JOBCANNON_BASE_URL}{path}"
