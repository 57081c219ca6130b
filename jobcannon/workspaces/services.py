from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from jobcannon.core.exceptions import Conflict, NotFound, ValidationFailed

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


def invitation_create(*, workspace: Workspace, email: str, role: str, invited_by) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this workspace.")
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
