from typing import Any

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jobcannon.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from jobcannon.core import checks  # noqa: F401 - registers the system checks

        # django-q2's signals are its only hooks: request id into tasks, task metrics, heartbeat.
        from jobcannon.core.jobs import schedule_modules_register
        from jobcannon.core.metrics import state_source_register
        from jobcannon.core.workers import connect_task_signals, worker_state_families

        connect_task_signals()
        state_source_register(worker_state_families)  # queue depth, retries, worker heartbeat
        # `migrate` alone leaves a working database cache (jobcannon/core/cachetable.py).
        from django.db.models.signals import post_migrate

        from jobcannon.core.cachetable import create_cache_tables_after_migrate

        post_migrate.connect(
            create_cache_tables_after_migrate, sender=self, dispatch_uid="jobcannon-cache-tables"
        )
        # ... and the periodic schedules (the webhook sweep among them): a release step that
        # stops after `migrate` must not leave a queue that nothing sweeps.
        post_migrate.connect(_schedules_after_migrate, sender=self, dispatch_uid="jobcannon-schedules")
        schedule_modules_register(_schedule_modules)


def _schedule_modules() -> list[str]:
    return ["jobcannon.core.tasks"]


def _schedules_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """`setup_schedules`' own code, idempotent. Skipped when django-q2's tables are not there
    yet (a `migrate` to an earlier state of some app)."""
    from django.db import connections
    from django_q.models import Schedule

    from jobcannon.core.management.commands.setup_schedules import schedules_sync

    if Schedule._meta.db_table in connections[using].introspection.table_names():
        schedules_sync(using=using)
