from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"current_workspace": None, "current_membership": None}
    return {
        "current_membership": membership or None,
        "current_workspace": membership.workspace if membership else None,
    }
