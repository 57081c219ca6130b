from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jobcannon.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # django-q2's signals are its only hooks: request id into tasks, task metrics, heartbeat.
        from jobcannon.core.workers import connect_task_signals

        connect_task_signals()
