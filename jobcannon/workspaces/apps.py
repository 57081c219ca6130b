from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "jobcannon.workspaces"
    label = "workspaces"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        from jobcannon.core.logging import token_path_prefix_register

        token_path_prefix_register("/invitations/")  # an invitation link lets its holder join: masked in logs
