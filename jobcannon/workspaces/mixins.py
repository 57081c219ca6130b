from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


class WorkspaceMixin(LoginRequiredMixin):
    """Every customer page: signed in and inside a workspace. `self.workspace` is the tenant
    every query must be scoped to; another workspace's objects answer 404."""

    manage_required = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = request.membership
        if not membership:
            return redirect("workspaces:create")
        if self.manage_required and not membership.can_manage:
            raise PermissionDenied("Only workspace owners and admins can do this.")
        self.membership = membership
        self.workspace = membership.workspace
        return super().dispatch(request, *args, **kwargs)
