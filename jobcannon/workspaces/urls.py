from django.urls import path

from . import views

app_name = "workspaces"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("workspaces/new/", views.WorkspaceCreateView.as_view(), name="create"),
    path("workspaces/switch/", views.WorkspaceSwitchView.as_view(), name="switch"),
    path("workspace/settings/", views.WorkspaceSettingsView.as_view(), name="settings"),
    path("workspace/team/", views.TeamView.as_view(), name="team"),
    path(
        "workspace/team/invitations/<int:invitation_pk>/resend/",
        views.InvitationActionView.as_view(),
        {"action": "resend"},
        name="invitation-resend",
    ),
    path(
        "workspace/team/invitations/<int:invitation_pk>/revoke/",
        views.InvitationActionView.as_view(),
        {"action": "revoke"},
        name="invitation-revoke",
    ),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation"),
]
