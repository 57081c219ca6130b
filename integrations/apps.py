from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from integrations.base import ATSProvider


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

    def provider(self, key: str) -> "ATSProvider":
        """The registry's provider for `key` (Integration.provider_obj): the models sit below the
        registry and the provider contract, so they reach it through here."""
        from integrations.registry import get_provider

        return get_provider(key)
