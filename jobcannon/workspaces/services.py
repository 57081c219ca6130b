import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from jobcannon.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed

from .models import DataRegion, Invitation, Membership, Role, Workspace


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
    with the workspace and that person: jobcannon.audit.retention.retention_purge_for_workspace)."""
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    previous = locked.retention_days
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.save()
    for field in changes:
        setattr(workspace, field, getattr(locked, field))
    if locked.retention_days != previous:
        from jobcannon.audit.services import audit_record
        from jobcannon.core.queue import enqueue

        audit_record(
            action="workspace.retention_changed",
            message=f"Retention window changed from {previous} to {locked.retention_days} days.",
            workspace=locked,
            target=locked,
            actor=actor,
            data={"from_days": previous, "to_days": locked.retention_days},
        )
        if locked.retention_days < previous:
            actor_id = getattr(actor, "pk", None)
            transaction.on_commit(
                lambda: enqueue(
                    "jobcannon.audit.tasks.retention_purge_workspace_task", locked.pk, actor_id, previous
                )
            )
    return workspace


class InvitationRateLimited(ApplicationError):
    code = "rate_limited"
    status = 429


def _wait_text(seconds: float) -> str:
    minutes = max(1, int(seconds // 60) + 1)
    return f"{minutes} minute{'s' if minutes > 1 else ''}" if minutes < 120 else f"{minutes // 60} hours"


def invitation_rate_limit_check(*, workspace: Workspace, email: str, invited_by=None) -> None:
    """Every invitation is an email from our domain carrying the workspace's own words (its
    name): bounded per workspace, per sender (a new workspace is free to create, so the
    workspace's budget alone would not bound one person) and per recipient (across workspaces),
    counted from the invitation rows themselves so every web process agrees. Raises
    InvitationRateLimited."""
    now = timezone.now()
    limit, seconds = settings.INVITATION_RATE_LIMITS["workspace"]
    since = now - dt.timedelta(seconds=seconds)
    recent = Invitation.objects.filter(workspace=workspace, created_at__gte=since)
    if recent.count() >= limit:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first() or now
        wait = (oldest + dt.timedelta(seconds=seconds) - now).total_seconds()
        raise InvitationRateLimited(
            f"This workspace has sent {limit} invitations recently, the most we send; "
            f"try again in {_wait_text(wait)}."
        )
    if getattr(invited_by, "pk", None) and "sender" in settings.INVITATION_RATE_LIMITS:
        limit, seconds = settings.INVITATION_RATE_LIMITS["sender"]
        since = now - dt.timedelta(seconds=seconds)
        sent = Invitation.objects.filter(invited_by=invited_by, created_at__gte=since)
        if sent.count() >= limit:
            oldest = sent.order_by("created_at").values_list("created_at", flat=True).first() or now
            wait = (oldest + dt.timedelta(seconds=seconds) - now).total_seconds()
            raise InvitationRateLimited(
                f"You have sent {limit} invitations recently, the most we send for one person; "
                f"try again in {_wait_text(wait)}."
            )
    limit, seconds = settings.INVITATION_RATE_LIMITS["recipient"]
    since = now - dt.timedelta(seconds=seconds)
    if Invitation.objects.filter(email__iexact=email, created_at__gte=since).count() >= limit:
        raise InvitationRateLimited(
            f"{email} has received {limit} invitations recently, the most we send to one address; "
            "try again tomorrow."
        )


def invitation_create(*, workspace: Workspace, email: str, role: str, invited_by) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this workspace.")
    invitation_rate_limit_check(workspace=workspace, email=email, invited_by=invited_by)
    try:
        with transaction.atomic():
            return Invitation.objects.create(
                workspace=workspace, email=email, role=role, invited_by=invited_by
            )
    except IntegrityError:
        raise Conflict(f"{email} already has an open invitation.")


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token=token, accepted_at__isnull=True).first()
    if invitation is None:
        raise NotFound("This invitation link is invalid or was already used.")
    if invitation.email.lower() != (user.email or "").lower():
        raise ValidationFailed(
            f"This invitation was sent to {invitation.email}; sign in with that address to accept it."
        )
    membership, _ = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return membership
