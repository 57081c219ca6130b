from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "jobcannon.workspaces"
    label = "workspaces"
    verbose_name = "Workspaces"
