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
        # The outbox admin builds on integrations.admin and replaces two of its registrations;
        # imported here rather than at the end of admin.py so the two modules are not a cycle.
        from integrations import admin_outbox  # noqa: F401
