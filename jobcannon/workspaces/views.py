from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.selectors import membership_get, membership_list_for_user

from .forms import InvitationForm, WorkspaceCreateForm, WorkspaceSettingsForm
from .middleware import SESSION_KEY
from .mixins import WorkspaceMixin
from .models import Invitation
from .services import invitation_accept, invitation_create, workspace_create, workspace_settings_update


class DashboardView(WorkspaceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        from integrations.selectors import integration_list_for_workspace
        from integrations.services.health import integration_health_list

        integrations = list(integration_list_for_workspace(workspace=self.workspace))
        health = integration_health_list(integrations=integrations)
        rows = [health[i.pk] for i in integrations]
        return render(
            request,
            "workspaces/dashboard.html",
            {"rows": rows, "integrations": integrations, "attention": [h for h in rows if h.needs_attention]},
        )


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
            "invitations": Invitation.objects.filter(
                workspace=self.workspace, accepted_at__isnull=True
            ).select_related("invited_by"),
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
                invitation = invitation_create(
                    workspace=self.workspace, invited_by=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error("email", exc.message)
            else:
                from jobcannon.workspaces.emails import invitation_send

                invitation_send(invitation=invitation, request=request)
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("workspaces:team")
        return render(request, "workspaces/team.html", self._context(form), status=400)


class InvitationAcceptView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = (
            Invitation.objects.filter(token=token, accepted_at__isnull=True)
            .select_related("workspace")
            .first()
        )
        return render(
            request,
            "workspaces/invitation.html",
            {"invitation": invitation},
            status=200 if invitation else 404,
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            membership = invitation_accept(token=token, user=request.user)
        except ApplicationError as exc:
            return render(
                request,
                "workspaces/invitation.html",
                {"invitation": None, "error": exc.message},
                status=exc.status,
            )
        request.session[SESSION_KEY] = membership.workspace_id
        messages.success(request, f"You joined {membership.workspace.name}.")
        return redirect("workspaces:dashboard")
