from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jobcannon.core"
    label = "core"
    verbose_name = "Core"
