"""Register every periodic task as a django-q2 schedule, idempotently.

Apps and providers declare `SCHEDULES = [("dotted.task.path", every_minutes), ...]` in their
tasks.py, and each app registers those modules from its AppConfig.ready
(`jobcannon.core.jobs.schedule_modules_register`); this command (run by `dev.py run` and on
every deploy) creates or updates one Schedule per entry and removes schedules we no longer
declare. `migrate` does the same after every run (schedules_sync from post_migrate,
jobcannon/core/apps.py), so a release step that stops after `migrate` still leaves the periodic
sweeps in place. The django-q2 scheduler locks schedule rows (SELECT ... FOR UPDATE), so several
worker machines run each one exactly once."""

import importlib

from django.core.management.base import BaseCommand
from django_q.models import Schedule

from jobcannon.core.jobs import schedule_modules

PREFIX = "periodic:"


def declared_schedules() -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for name in schedule_modules():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.extend(getattr(module, "SCHEDULES", []))
    return found


def schedules_sync(*, using: str = "default") -> tuple[int, int]:
    """Create or update one Schedule per declared entry and delete the periodic ones no longer
    declared: (registered, removed). Idempotent: a second call changes no row."""
    wanted = {PREFIX + func: (func, int(minutes)) for func, minutes in declared_schedules()}
    schedules = Schedule.objects.using(using)
    for name, (func, minutes) in wanted.items():
        schedules.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
    stale = schedules.filter(name__startswith=PREFIX).exclude(name__in=wanted)
    removed = stale.count()
    stale.delete()
    return len(wanted), removed


class Command(BaseCommand):
    help = "Create/update the django-q2 schedules declared in SCHEDULES lists."

    def handle(self, *args, **options):
        registered, removed = schedules_sync()
        self.stdout.write(f"{registered} periodic schedule(s) registered, {removed} removed.")
