from django.urls import path

from . import views

app_name = "workspaces"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("workspaces/new/", views.WorkspaceCreateView.as_view(), name="create"),
    path("workspaces/switch/", views.WorkspaceSwitchView.as_view(), name="switch"),
    path("workspace/settings/", views.WorkspaceSettingsView.as_view(), name="settings"),
    path("workspace/team/", views.TeamView.as_view(), name="team"),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation"),
]
