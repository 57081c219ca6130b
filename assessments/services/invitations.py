"""Candidate invitations a person sends (issue 21): a new run from the recruiter pages, a run's
invitation sent again, or an ATS integration's manual "send now" (Lever's send page). Each is an
email from our domain that a person chose to send, some with words they typed (the candidate's
name), so they are bounded like workspace invitations, with the same budgets
(settings.INVITATION_RATE_LIMITS) and the same mechanism (jobcannon.core.budgets): per
workspace, per person and per recipient address.

A new run a person sends goes through candidate_invitation_send, whatever created it
(assessment_run_create for the recruiter pages, a provider's own service for its manual
trigger): lock, check, create and mark the run as the person's in one transaction, email after
the commit. Runs an ATS orders (partner API, webhooks, a stage rule's auto-send) call
assessment_run_create directly and are never refused here: the ATS proved who it is, its own
limits apply (integrations' inbound budgets), and a refusal would lose a candidate's assessment.

Counted from the runs themselves: every run a person sent (`invited_by` set, whichever provider
it belongs to) plus the runs made before `invited_by` was recorded (no ATS, `provider` empty);
runs an ATS ordered, never touched by a person, are not counted. Each is counted at its latest
invitation (`invited_at`, or `created_at` while the first email is under way) and, for the
person's own budget, by who sent it (`invited_by`: a person creating workspaces cannot multiply
it), so checking and writing in one transaction holds across processes. A run's invitation goes
again only once the previous one has left every window: then each email of a run is counted
once, and the budgets hold for resends too (a resend marks the run as the person's, so an
ATS-ordered run sent again by hand counts from then on)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import AssessmentRun
from assessments.services.runs import CandidateInfo, assessment_run_create, assessment_run_invite
from jobcannon.core.budgets import RateLimited, budget_check, budgets_lock, wait_text
from jobcannon.core.exceptions import ValidationFailed


def _sent_by_people() -> QuerySet[AssessmentRun]:
    # invited_by: a person's send, whichever provider the run belongs to (Lever's manual trigger
    # makes a Lever run). provider "": runs from before invited_by was recorded, all a person's.
    return AssessmentRun.objects.filter(
        Q(invited_by__isnull=False) | Q(integration__isnull=True, provider="")
    ).annotate(sent_at=Coalesce("invited_at", "created_at"))


def _budgets_lock(*, workspace, sender, email: str) -> None:
    # One fixed order for everyone (workspace, person, address): no deadlock.
    budgets_lock(
        [
            f"jobcannon:candidate-invitations:workspace:{workspace.pk}",
            f"jobcannon:candidate-invitations:sender:{sender.pk}",
            f"jobcannon:candidate-invitations:recipient:{email.strip().lower()}",
        ]
    )


def candidate_invitation_rate_limit_check(*, workspace, email: str, sender) -> None:
    """Raise RateLimited when one more invitation would pass a budget."""
    limits = settings.INVITATION_RATE_LIMITS
    now = timezone.now()
    sent = _sent_by_people()
    budget_check(
        rows=sent.filter(workspace=workspace),
        at="sent_at",
        limit=limits["workspace"],
        now=now,
        message=(
            "This workspace has sent {limit} assessment invitations recently, the most we send; "
            "try again in {wait}."
        ),
    )
    if "sender" in limits:
        budget_check(
            rows=sent.filter(invited_by=sender),
            at="sent_at",
            limit=limits["sender"],
            now=now,
            message=(
                "You have sent {limit} assessment invitations recently, the most we send for one "
                "person; try again in {wait}."
            ),
        )
    budget_check(
        rows=sent.filter(candidate_email__iexact=email),
        at="sent_at",
        limit=limits["recipient"],
        now=now,
        message=(
            email.replace("{", "{{").replace("}", "}}")
            + " has received {limit} assessment invitations recently, the most we send to one "
            "address; try again in {wait}."
        ),
    )


def candidate_invitation_send(
    *, workspace, sender, email: str, create: Callable[[], tuple[AssessmentRun, bool]]
) -> tuple[AssessmentRun, bool]:
    """A new run a person makes us send, and its invitation email. `create` makes the run without
    emailing (assessment_run_create(send_invitation=False), or a provider's service around it) and
    returns (run, created). It runs inside the budgets' lock, after the check, in the same
    transaction: a spent budget raises RateLimited with no run and no email, and concurrent
    sends cannot all pass one count. A run `create` found already there (created False) gets no
    email."""
    with transaction.atomic():
        _budgets_lock(workspace=workspace, sender=sender, email=email)
        candidate_invitation_rate_limit_check(workspace=workspace, email=email.strip(), sender=sender)
        run, created = create()
        if created:
            AssessmentRun.objects.filter(pk=run.pk).update(invited_by=sender)
    # The email after the commit: no lock is held while the mail server answers.
    return (assessment_run_invite(run=run) if created else run), created


def assessment_run_send(
    *, workspace, sender, instrument: str, candidate: CandidateInfo, due_at: dt.datetime | None = None
) -> AssessmentRun:
    """A recruiter's new run and its invitation email. Raises RateLimited (no run, no email)
    when a budget is spent, and what assessment_run_create raises for bad input."""
    run, _ = candidate_invitation_send(
        workspace=workspace,
        sender=sender,
        email=candidate.email,
        create=lambda: assessment_run_create(
            workspace=workspace,
            instrument=instrument,
            candidate=candidate,
            due_at=due_at,
            send_invitation=False,
        ),
    )
    return run


def _longest_window() -> dt.timedelta:
    return dt.timedelta(seconds=max(seconds for _, seconds in settings.INVITATION_RATE_LIMITS.values()))


def assessment_run_resend(*, run: AssessmentRun, sender) -> AssessmentRun:
    """Send a run's invitation again, for a person. Refused (RateLimited) while the previous
    invitation is inside the longest budget window or a budget is spent."""
    if not run.is_active:
        raise ValidationFailed(f"This run is {run.get_status_display().lower()}; it cannot be sent again.")
    with transaction.atomic():
        _budgets_lock(workspace=run.workspace, sender=sender, email=run.candidate_email)
        locked = AssessmentRun.objects.select_for_update().get(pk=run.pk)
        now = timezone.now()
        again_at = locked.invited_at + _longest_window() if locked.invited_at else now
        if again_at > now:
            raise RateLimited(
                f"The invitation was sent to {locked.candidate_email} at "
                f"{timezone.localtime(locked.invited_at):%Y-%m-%d %H:%M}; it can be sent again in "
                f"{wait_text((again_at - now).total_seconds())}."
            )
        candidate_invitation_rate_limit_check(
            workspace=locked.workspace, email=locked.candidate_email, sender=sender
        )
        previous, previous_by = locked.invited_at, locked.invited_by_id
        # Taken now, inside the lock: a concurrent resend sees it and waits its turn.
        AssessmentRun.objects.filter(pk=locked.pk).update(invited_at=now, invited_by=sender)
    sent = assessment_run_invite(run=locked)
    if sent.invitation_error:
        # No email went out: the run may be sent again at once, and counts as before.
        AssessmentRun.objects.filter(pk=sent.pk, invited_at=now).update(
            invited_at=previous, invited_by=previous_by
        )
        sent.refresh_from_db()
    return sent
