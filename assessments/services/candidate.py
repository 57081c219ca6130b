"""What the candidate does on the candidate page: consent, answer, submit.

Each answer is saved as it is given; submit scores the run with the instrument version it
was started on, stores the Result and enqueues the COMPLETED write-back in one transaction."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.catalog import instrument_get
from assessments.models import Answer, AssessmentRun, Result, RunStatus
from assessments.scoring import ScoringError, score_answers, validate_answer
from assessments.services.hooks import RunEvent, run_event_announce
from assessments.services.lifecycle import assessment_run_expire_if_due
from jobcannon.core.exceptions import ApplicationError, Conflict, ValidationFailed

logger = logging.getLogger(__name__)


class RunNotOpen(Conflict):
    """The run can no longer be answered (cancelled, expired or already submitted)."""

    code = "run_not_open"


def _ensure_open(run: AssessmentRun) -> None:
    assessment_run_expire_if_due(run=run)
    if run.status == RunStatus.CANCELLED:
        raise RunNotOpen("This assessment was cancelled, so answers can no longer be saved.")
    if run.status == RunStatus.EXPIRED:
        raise RunNotOpen("This assessment link has expired, so answers can no longer be saved.")
    if run.is_finished:
        raise RunNotOpen("This assessment has already been submitted.")


def assessment_run_start(*, run: AssessmentRun) -> AssessmentRun:
    """The candidate gave consent and began: the run is started (once) and the ATS told."""
    _ensure_open(run)
    with transaction.atomic():
        locked = AssessmentRun.objects.select_for_update().get(pk=run.pk)
        if locked.status in (RunStatus.CREATED, RunStatus.INVITED):
            now = timezone.now()
            locked.status = RunStatus.STARTED
            locked.started_at = now
            locked.consented_at = locked.consented_at or now
            locked.save(update_fields=["status", "started_at", "consented_at", "updated_at"])
            run_event_announce(run=locked, event=RunEvent.STARTED)
            logger.info("assessment.run_started", extra={"run": locked.pk})
    run.refresh_from_db()
    return run


def answer_save(*, run: AssessmentRun, item_id: str, value: object) -> Answer:
    """Save (or change) one answer. Raises ValidationFailed for an unknown item or an
    out-of-range value and RunNotOpen when the run cannot be answered any more."""
    _ensure_open(run)
    if run.status != RunStatus.STARTED:
        raise ValidationFailed(
            "Please accept the privacy notice and start the assessment first.", code="not_started"
        )
    instrument = instrument_get(run.instrument, run.instrument_version)
    try:
        number = validate_answer(instrument, item_id, value)
    except ScoringError as exc:
        raise ValidationFailed(
            str(exc),
            code="invalid_answer",
            details={"item_id": item_id, "min": instrument.scale.min, "max": instrument.scale.max},
        )
    now = timezone.now()
    # Update first: the common case after a change of mind, and no insert race to handle.
    if Answer.objects.filter(run=run, item_id=item_id).update(value=number, answered_at=now):
        return Answer.objects.get(run=run, item_id=item_id)
    try:
        with transaction.atomic():
            return Answer.objects.create(run=run, item_id=item_id, value=number, answered_at=now)
    except IntegrityError:  # the same answer posted twice at once (autosave + page submit)
        Answer.objects.filter(run=run, item_id=item_id).update(value=number, answered_at=now)
        return Answer.objects.get(run=run, item_id=item_id)


def answers_save(*, run: AssessmentRun, values: dict[str, object]) -> list[str]:
    """Save several answers (the no-JavaScript page form); returns the ids of invalid ones."""
    invalid = []
    for item_id, value in values.items():
        try:
            answer_save(run=run, item_id=item_id, value=value)
        except ValidationFailed:
            invalid.append(item_id)
    return invalid


def assessment_run_submit(*, run: AssessmentRun) -> AssessmentRun:
    """Submit and score. Idempotent: a second submit of a finished run returns it unchanged."""
    if run.is_finished:
        return run
    _ensure_open(run)
    instrument = instrument_get(run.instrument, run.instrument_version)
    with transaction.atomic():
        locked = AssessmentRun.objects.select_for_update().get(pk=run.pk)
        if locked.is_finished:  # a concurrent submit won
            run.refresh_from_db()
            return run
        if locked.status != RunStatus.STARTED:
            raise RunNotOpen("This assessment cannot be submitted.")
        answers = dict(Answer.objects.filter(run=locked).values_list("item_id", "value"))
        missing = [item.id for item in instrument.items if item.id not in answers]
        if missing:
            # Candidates answer every question; the scorer's proration policy is for data
            # that arrives incomplete by other routes, not a way to skip questions here.
            raise ValidationFailed(
                f"{len(missing)} question(s) still need an answer.",
                code="unanswered",
                details={"missing": missing},
            )
        try:
            score = score_answers(instrument, answers)
        except ScoringError as exc:  # pragma: no cover - answers were validated when saved
            raise ApplicationError(str(exc), code="scoring_failed")
        now = timezone.now()
        started = locked.started_at or locked.consented_at or now
        locked.status = RunStatus.COMPLETED
        locked.completed_at = now
        locked.save(update_fields=["status", "completed_at", "updated_at"])
        Result.objects.create(
            run=locked,
            instrument_version=instrument.version,
            overall_score=score.overall,
            primary_dimension=score.primary,
            dimensions=score.dimension_records(),
            summary=score.summary,
            answered_count=score.answered,
            item_count=len(instrument.items),
            duration_seconds=max(0, int((now - started).total_seconds())),
        )
        locked.status = RunStatus.SCORED
        locked.scored_at = now
        locked.save(update_fields=["status", "scored_at", "updated_at"])
        # The result exists in this transaction, so the provider's delivery can read it.
        run_event_announce(run=locked, event=RunEvent.COMPLETED)
        logger.info("assessment.run_scored", extra={"run": locked.pk, "overall": score.overall})
    run.refresh_from_db()
    return run
