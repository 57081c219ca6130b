from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

SESSION_KEY = "workspace_id"


def _resolve(request: HttpRequest):
    from .models import Membership

    user = request.user
    if not user.is_authenticated:
        return None
    preferred = request.session.get(SESSION_KEY)
    qs = Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    membership = qs.filter(workspace_id=preferred).first() if preferred else None
    membership = membership or qs.first()
    return membership


class CurrentWorkspaceMiddleware:
    """Sets request.membership / request.workspace: the signed-in user's current workspace
    (chosen in the session, always re-checked against memberships)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = SimpleLazyObject(lambda: _resolve(request))
        request.membership = membership  # type: ignore[attr-defined]
        request.workspace = SimpleLazyObject(lambda: membership.workspace if membership else None)  # type: ignore[attr-defined]
        return self.get_response(request)
