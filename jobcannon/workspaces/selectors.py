from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, Workspace


def membership_list_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def membership_get(*, user, workspace_id: int) -> Membership:
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id).select_related("workspace").first()
    )
    if membership is None:
        raise Http404("No such workspace")
    return membership


def workspace_for_user(*, user, preferred_id: int | None) -> Workspace | None:
    memberships = membership_list_for_user(user=user)
    if preferred_id is not None:
        for m in memberships:
            if m.workspace_id == preferred_id:
                return m.workspace
    first = memberships.first()
    return first.workspace if first else None
