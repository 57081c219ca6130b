"""Candidate invitations a person sends from the recruiter pages (issue 21): a new run, or a
run's invitation sent again. Each is an email from our domain carrying words the sender typed
(the candidate's name), so they are bounded like workspace invitations, with the same budgets
(settings.INVITATION_RATE_LIMITS) and the same mechanism (jobcannon.core.budgets): per
workspace, per person and per recipient address.

Runs an ATS orders (partner API, webhooks) call assessment_run_create directly and are never
refused here: the ATS proved who it is, its own limits apply (integrations' inbound budgets),
and a refusal would lose a candidate's assessment.

Counted from the runs themselves (no ATS, `provider` empty), each at its latest invitation
(`invited_at`, or `created_at` while the first email is under way) and, for the person's own
budget, by who sent it (`invited_by`: a person creating workspaces cannot multiply it), so checking and writing in
one transaction holds across processes. A run's invitation goes again only once the previous one
has left every window: then each email of a run is counted once, and the budgets hold for
resends too (a run an ATS ordered is bounded by that alone)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import AssessmentRun
from assessments.services.runs import CandidateInfo, assessment_run_create, assessment_run_invite
from jobcannon.core.budgets import RateLimited, budget_check, budgets_lock, wait_text
from jobcannon.core.exceptions import ValidationFailed


def _sent_by_people() -> QuerySet[AssessmentRun]:
    return AssessmentRun.objects.filter(integration__isnull=True, provider="").annotate(
        sent_at=Coalesce("invited_at", "created_at")
    )


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


def assessment_run_send(
    *, workspace, sender, instrument: str, candidate: CandidateInfo, due_at: dt.datetime | None = None
) -> AssessmentRun:
    """A recruiter's new run and its invitation email. Raises RateLimited (no run, no email)
    when a budget is spent, and what assessment_run_create raises for bad input."""
    with transaction.atomic():
        _budgets_lock(workspace=workspace, sender=sender, email=candidate.email)
        candidate_invitation_rate_limit_check(
            workspace=workspace, email=candidate.email.strip(), sender=sender
        )
        run, _ = assessment_run_create(
            workspace=workspace,
            instrument=instrument,
            candidate=candidate,
            due_at=due_at,
            send_invitation=False,
        )
        AssessmentRun.objects.filter(pk=run.pk).update(invited_by=sender)
    # The email after the commit: no lock is held while the mail server answers.
    return assessment_run_invite(run=run)


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
