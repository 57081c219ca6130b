from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

SESSION_KEY = "workspace_id"


def _resolve(request: HttpRequest):
    from .selectors import membership_current

    if not request.user.is_authenticated:
        return None
    return membership_current(user=request.user, preferred_id=request.session.get(SESSION_KEY))


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
