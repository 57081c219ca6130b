import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from jobcannon.core.budgets import RateLimited, budget_check, budgets_lock
from jobcannon.core.exceptions import ApplicationError, Conflict, ValidationFailed

from . import hooks
from .models import (
    DataRegion,
    Invitation,
    InvitationStatus,
    Membership,
    RevokeReason,
    Role,
    Workspace,
    invitation_expiry,
    invitation_token_hash,
)
from .selectors import invitation_get_by_token


@transaction.atomic
def workspace_create(
    *, owner, name: str, data_region: str = DataRegion.EU, slug: str | None = None
) -> Workspace:
    base = slugify(slug or name)[:50] or "workspace"
    candidate, n = base, 1
    while Workspace.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    workspace = Workspace.objects.create(name=name, slug=candidate, data_region=data_region)
    Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    return workspace


@transaction.atomic
def workspace_settings_update(*, workspace: Workspace, actor, changes: dict) -> Workspace:
    """Save the workspace settings. A change of the retention window is audited with the person
    who made it; a shorter window purges what it now covers at once (a task, itself audited
    with the workspace and that person: jobcannon.audit.retention.retention_purge_for_workspace),
    both through jobcannon.workspaces.hooks."""
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    previous = locked.retention_days
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.save()
    for field in changes:
        setattr(workspace, field, getattr(locked, field))
    if locked.retention_days != previous:
        hooks.audit_announce(
            action="workspace.retention_changed",
            message=f"Retention window changed from {previous} to {locked.retention_days} days.",
            workspace=locked,
            target=locked,
            actor=actor,
            data={"from_days": previous, "to_days": locked.retention_days},
        )
        if locked.retention_days < previous:
            hooks.retention_shortened_announce(workspace=locked, actor=actor, previous_days=previous)
    return workspace


class InvitationRateLimited(RateLimited):
    pass


def _budget_check(kind: str, *, now: dt.datetime, message: str, **match) -> None:
    budget_check(
        rows=Invitation.objects.filter(**match),
        at="created_at",
        limit=settings.INVITATION_RATE_LIMITS[kind],
        now=now,
        message=message,
        error=InvitationRateLimited,
    )


def invitation_rate_limit_check(*, workspace: Workspace, email: str, invited_by=None) -> None:
    """Every invitation is an email from our domain carrying the workspace's own words (its
    name): bounded per workspace, per sender (a new workspace is free to create, so the
    workspace's budget alone would not bound one person) and per recipient (across workspaces),
    counted from the invitation rows themselves (jobcannon.core.budgets). Raises
    InvitationRateLimited."""
    now = timezone.now()
    _budget_check(
        "workspace",
        now=now,
        workspace=workspace,
        message="This workspace has sent {limit} invitations recently, the most we send; try again in {wait}.",
    )
    if getattr(invited_by, "pk", None) and "sender" in settings.INVITATION_RATE_LIMITS:
        _budget_check(
            "sender",
            now=now,
            invited_by=invited_by,
            message=(
                "You have sent {limit} invitations recently, the most we send for one person; "
                "try again in {wait}."
            ),
        )
    _budget_check(
        "recipient",
        now=now,
        email__iexact=email,
        message=(
            email.replace("{", "{{").replace("}", "}}")
            + " has received {limit} invitations recently, the most we send to one address; try again in {wait}."
        ),
    )


def _invitation_budgets_lock(*, workspace: Workspace, email: str, invited_by) -> None:
    """Serialize the invitations that share a budget (the workspace, the sender, the recipient
    address, in that order), so the count invitation_rate_limit_check reads cannot be passed by
    a concurrent request before this one's row is written (check and insert in one transaction,
    after this)."""
    names = [f"jobcannon:invitations:workspace:{workspace.pk}"]
    if getattr(invited_by, "pk", None):
        names.append(f"jobcannon:invitations:sender:{invited_by.pk}")
    names.append(f"jobcannon:invitations:recipient:{email.strip().lower()}")
    budgets_lock(names)


def _audit(*, action: str, message: str, invitation: Invitation, actor, data: dict | None = None) -> None:
    hooks.audit_announce(
        action=action,
        message=message,
        workspace=invitation.workspace,
        target=invitation,
        actor=actor,
        data={"role": invitation.role, **(data or {})},
    )


def _issue(*, workspace: Workspace, email: str, role: str, invited_by) -> tuple[Invitation, str]:
    """A new invitation row and its token: only the token's hash is stored, the token itself
    goes into the email once (emails.invitation_send) and is never readable again."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        invited_by=invited_by if getattr(invited_by, "pk", None) else None,
        token_sha256=invitation_token_hash(token),
        expires_at=invitation_expiry(),
    )
    return invitation, token


def _open(now: dt.datetime) -> dict:
    return {"accepted_at__isnull": True, "revoked_at__isnull": True, "expires_at__gt": now}


def invitation_create(*, workspace: Workspace, email: str, role: str, invited_by) -> tuple[Invitation, str]:
    """Invite an address: (the invitation, its token for the email). An expired invitation of
    the same address is replaced by the new one; an open one is a Conflict (resend it instead)."""
    email = email.strip().lower()
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this workspace.")
    try:
        with transaction.atomic():
            _invitation_budgets_lock(workspace=workspace, email=email, invited_by=invited_by)
            invitation_rate_limit_check(workspace=workspace, email=email, invited_by=invited_by)
            now = timezone.now()
            Invitation.objects.filter(
                workspace=workspace,
                email__iexact=email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__lte=now,
            ).update(revoked_at=now, revoked_reason=RevokeReason.RESENT, updated_at=now)
            invitation, token = _issue(workspace=workspace, email=email, role=role, invited_by=invited_by)
    except IntegrityError:
        raise Conflict(
            f"{email} already has an open invitation; use “Resend” under Open invitations to send a new link."
        )
    _audit(
        action="invitation.created",
        message=f"{invitation.email} invited as {invitation.get_role_display()}.",
        invitation=invitation,
        actor=invited_by,
    )
    return invitation, token


def invitation_resend(*, invitation: Invitation, actor) -> tuple[Invitation, str]:
    """A new link for a pending (open or expired) invitation: a new row with a new token and a
    full validity; the old link is dead at once (its row is marked replaced, so whoever opens
    it is told to use the newer email). Counts against the invitation rate limits like a new
    invitation: it is another email."""
    workspace = invitation.workspace
    if Membership.objects.filter(workspace=workspace, user__email__iexact=invitation.email).exists():
        raise Conflict(f"{invitation.email} is already a member of this workspace.")
    with transaction.atomic():
        _invitation_budgets_lock(workspace=workspace, email=invitation.email, invited_by=actor)
        invitation_rate_limit_check(workspace=workspace, email=invitation.email, invited_by=actor)
        now = timezone.now()
        replaced = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now, revoked_reason=RevokeReason.RESENT, updated_at=now)
        if not replaced:
            raise Conflict(f"The invitation of {invitation.email} was already accepted or revoked.")
        new, token = _issue(
            workspace=workspace, email=invitation.email, role=invitation.role, invited_by=actor
        )
    _audit(
        action="invitation.resent",
        message=f"Invitation of {new.email} sent again; the previous link no longer works.",
        invitation=new,
        actor=actor,
        data={"replaces": invitation.pk},
    )
    return new, token


def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    now = timezone.now()
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_reason=RevokeReason.REVOKED, updated_at=now)
    if not revoked:
        raise Conflict(f"The invitation of {invitation.email} was already accepted or revoked.")
    invitation.refresh_from_db()
    _audit(
        action="invitation.revoked",
        message=f"Invitation of {invitation.email} revoked.",
        invitation=invitation,
        actor=actor,
    )
    return invitation


class InvitationUnavailable(ApplicationError):
    """The link was found but can no longer be used (accepted, expired, revoked, replaced)."""

    code = "invitation_unavailable"
    status = 410

    def __init__(self, invitation: Invitation):
        super().__init__(invitation_refusal(invitation))
        self.invitation = invitation


def invitation_refusal(invitation: Invitation) -> str:
    """Why this invitation's link no longer works, in a sentence for whoever holds it."""
    name = invitation.workspace.name
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        return f"This invitation to {name} was already accepted. A link works once."
    ask = f"Ask {invitation.invited_by.email}" if invitation.invited_by else f"Ask an admin of {name}"
    if status == InvitationStatus.EXPIRED:
        return (
            f"This invitation to {name} expired on {invitation.expires_at:%Y-%m-%d}. "
            f"{ask} to send you a new one."
        )
    if status == InvitationStatus.REPLACED:
        return (
            f"This invitation link to {name} was replaced by a newer one. "
            "Open the link in the most recent invitation email instead."
        )
    return f"This invitation to {name} was withdrawn. {ask} if you should still join."


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Join the workspace through an invitation link, once. The claim is one conditional update
    (still open, not expired): of two tabs posting at once, exactly one joins; the other is
    told the invitation was already accepted."""
    invitation = invitation_get_by_token(token=token)
    if invitation.status != InvitationStatus.OPEN:
        raise InvitationUnavailable(invitation)
    if invitation.email.lower() != (user.email or "").lower():
        raise ValidationFailed(
            f"This invitation was sent to {invitation.email}; sign in with that address to accept it."
        )
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, **_open(now)).update(
        accepted_at=now, accepted_by=user, updated_at=now
    )
    if not claimed:
        invitation.refresh_from_db()
        raise InvitationUnavailable(invitation)
    membership, _ = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role}
    )
    _audit(
        action="invitation.accepted",
        message=f"{invitation.email} joined as {membership.get_role_display()} through an invitation.",
        invitation=invitation,
        actor=user,
    )
    return membership
