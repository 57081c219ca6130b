from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.emails import invitation_send
from jobcannon.workspaces.hooks import dashboard_context
from jobcannon.workspaces.selectors import (
    invitation_get_by_token,
    invitation_list_pending,
    membership_get,
    membership_list_for_user,
)

from .forms import InvitationForm, WorkspaceCreateForm, WorkspaceSettingsForm
from .middleware import SESSION_KEY
from .mixins import WorkspaceMixin
from .models import Invitation, InvitationStatus, Membership
from .services import (
    InvitationUnavailable,
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    workspace_create,
    workspace_settings_update,
)


class DashboardView(WorkspaceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        # What the dashboard shows comes from the apps above (integrations: its connections'
        # health), registered in jobcannon.workspaces.hooks.
        return render(request, "workspaces/dashboard.html", dashboard_context(workspace=self.workspace))


class WorkspaceCreateView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "workspaces/create.html", {"form": WorkspaceCreateForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WorkspaceCreateForm(request.POST)
        if not form.is_valid():
            return render(request, "workspaces/create.html", {"form": form}, status=400)
        workspace = workspace_create(owner=request.user, **form.cleaned_data)
        request.session[SESSION_KEY] = workspace.pk
        messages.success(request, f"Workspace “{workspace.name}” created.")
        return redirect("workspaces:dashboard")


class WorkspaceSwitchView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "workspaces/switch.html", {"memberships": membership_list_for_user(user=request.user)}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            workspace_id = int(request.POST.get("workspace_id", ""))
        except ValueError:
            return redirect("workspaces:switch")
        membership = membership_get(user=request.user, workspace_id=workspace_id)
        request.session[SESSION_KEY] = membership.workspace_id
        return redirect("workspaces:dashboard")


class WorkspaceSettingsView(WorkspaceMixin, View):
    manage_required = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "workspaces/settings.html", {"form": WorkspaceSettingsForm(instance=self.workspace)}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WorkspaceSettingsForm(request.POST, instance=self.workspace)
        if not form.is_valid():
            return render(request, "workspaces/settings.html", {"form": form}, status=400)
        workspace_settings_update(workspace=self.workspace, actor=request.user, changes=form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("workspaces:settings")


class TeamView(WorkspaceMixin, View):
    def _context(self, form: InvitationForm) -> dict:
        return {
            "form": form,
            "members": self.workspace.memberships.select_related("user").order_by("user__email"),
            "invitations": invitation_list_pending(workspace=self.workspace),
            "invitation_days": settings.INVITATION_MAX_AGE_DAYS,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "workspaces/team.html", self._context(InvitationForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.membership.can_manage:
            messages.error(request, "Only owners and admins can invite colleagues.")
            return redirect("workspaces:team")
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation, token = invitation_create(
                    workspace=self.workspace, invited_by=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error("email", exc.message)
            else:
                if invitation_send(invitation=invitation, token=token):
                    messages.success(request, f"Invitation sent to {invitation.email}.")
                else:
                    messages.warning(request, _email_failed(invitation.email))
                return redirect("workspaces:team")
        return render(request, "workspaces/team.html", self._context(form), status=400)


def _email_failed(email: str) -> str:
    return (
        f"The invitation for {email} is saved, but our mail server could not send the email just now. "
        "Try Resend in a few minutes; the invitation stays in the list below."
    )


class InvitationActionView(WorkspaceMixin, View):
    """Resend or revoke a pending invitation of this workspace (owners and admins); POST only,
    the buttons are on the team page. Another workspace's invitation answers 404."""

    manage_required = True

    def post(self, request: HttpRequest, invitation_pk: int, action: str) -> HttpResponse:
        invitation = get_object_or_404(
            Invitation.objects.select_related("workspace"), pk=invitation_pk, workspace=self.workspace
        )
        try:
            if action == "resend":
                new, token = invitation_resend(invitation=invitation, actor=request.user)
                if invitation_send(invitation=new, token=token):
                    messages.success(
                        request,
                        f"A new invitation was sent to {new.email}; the previous link no longer works.",
                    )
                else:
                    messages.warning(request, _email_failed(new.email))
            elif action == "revoke":
                invitation_revoke(invitation=invitation, actor=request.user)
                messages.success(request, f"The invitation of {invitation.email} was revoked.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("workspaces:team")


class InvitationAcceptView(View):
    """The link from the invitation email. A link that no longer works (accepted, expired,
    revoked, replaced by a resend, unknown) gets a page saying why and what to do, without
    signing in first; an open one asks the visitor to sign in (or sign up), then to accept."""

    def _refused(self, request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        invitation = getattr(exc, "invitation", None)
        joined = None
        if invitation is not None and request.user.is_authenticated:
            if Membership.objects.filter(user=request.user, workspace=invitation.workspace).exists():
                joined = invitation.workspace
        return render(
            request,
            "workspaces/invitation.html",
            {"invitation": None, "error": exc.message, "joined": joined},
            status=exc.status,
        )

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            invitation = invitation_get_by_token(token=token)
            if invitation.status != InvitationStatus.OPEN:
                raise InvitationUnavailable(invitation)
        except ApplicationError as exc:
            return self._refused(request, exc)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return render(request, "workspaces/invitation.html", {"invitation": invitation})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            membership = invitation_accept(token=token, user=request.user)
        except ApplicationError as exc:
            return self._refused(request, exc)
        request.session[SESSION_KEY] = membership.workspace_id
        messages.success(request, f"You joined {membership.workspace.name}.")
        return redirect("workspaces:dashboard")
