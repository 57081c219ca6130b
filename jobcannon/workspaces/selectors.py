from django.db.models import QuerySet
from django.http import Http404

from jobcannon.core.exceptions import NotFound

from .models import Invitation, Membership, invitation_token_hash


def membership_list_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def membership_get(*, user, workspace_id: int) -> Membership:
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id).select_related("workspace").first()
    )
    if membership is None:
        raise Http404("No such workspace")
    return membership


def membership_current(*, user, preferred_id: int | None) -> Membership | None:
    """The membership of the workspace chosen in the session, else the user's first one."""
    memberships = membership_list_for_user(user=user)
    chosen = memberships.filter(workspace_id=preferred_id).first() if preferred_id else None
    return chosen or memberships.first()


INVALID_INVITATION_LINK = (
    "This invitation link is not valid. Check that you opened the whole link from the email, "
    "or ask your colleague to invite you again."
)


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a link names, in any state, found by the token's hash (the only thing
    stored of it). Raises NotFound for a link that names none."""
    invitation = (
        Invitation.objects.filter(token_sha256=invitation_token_hash(token or ""))
        .select_related("workspace", "invited_by")
        .first()
    )
    if invitation is None:
        raise NotFound(INVALID_INVITATION_LINK)
    return invitation


def invitation_list_pending(*, workspace) -> QuerySet[Invitation]:
    """Invitations not accepted nor revoked: open ones and expired ones (resend or revoke them)."""
    return (
        Invitation.objects.filter(workspace=workspace, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("email")
    )
