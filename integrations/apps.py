from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations import (
            checks,  # noqa: F401 - registers the task-queue system checks
            subscriptions,
        )

        subscriptions.install()  # hooks into core and assessments, which never import integrations
