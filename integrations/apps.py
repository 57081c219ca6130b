from django.apps import AppConfig

# What an ATS calls answers errors in the JSON error shape, even a 404 for a mistyped URL
# (core's error handlers, jobcannon.core.views.json_path_register): the webhook intake
# (/webhooks/<provider>/<integration>/ and the seeds' /<provider>/webhooks) and the partner
# APIs (/partners/<provider>/...).
JSON_ERROR_PATHS = (r"/webhooks(/.*)?", r"/partners/.*", r".*/webhooks/?")


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations import (
            checks,  # noqa: F401 - registers the task-queue system checks
            subscriptions,
        )
        from jobcannon.core.views import json_path_register

        subscriptions.install()  # hooks into core and assessments, which never import integrations
        # The guard's refusals that the request line and headers decide, answered before Django on
        # the intake's machine paths (integrations/services/prewsgi.py).
        from integrations.services.prewsgi import webhook_refusal_before_django
        from jobcannon.core.wsgi import pre_django_check_register

        pre_django_check_register(webhook_refusal_before_django)
        for pattern in JSON_ERROR_PATHS:
            json_path_register(pattern)
        # The outbox admin builds on integrations.admin and replaces two of its registrations;
        # imported here rather than at the end of admin.py so the two modules are not a cycle.
        from integrations import admin_outbox  # noqa: F401
