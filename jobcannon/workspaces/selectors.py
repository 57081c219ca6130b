from django.db.models import QuerySet
from django.http import Http404

from .models import Membership


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
