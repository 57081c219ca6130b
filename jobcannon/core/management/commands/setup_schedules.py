"""Register every periodic task as a django-q2 schedule, idempotently.

Apps and providers declare `SCHEDULES = [("dotted.task.path", every_minutes), ...]` in their
tasks.py, and each app registers those modules from its AppConfig.ready
(`jobcannon.core.jobs.schedule_modules_register`); this command (run by `dev.py run` and on
every deploy) creates or updates one Schedule per entry and removes schedules we no longer
declare. The django-q2 scheduler locks schedule rows (SELECT ... FOR UPDATE), so several worker
machines run each one exactly once."""

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


class Command(BaseCommand):
    help = "Create/update the django-q2 schedules declared in SCHEDULES lists."

    def handle(self, *args, **options):
        wanted = {}
        for func, minutes in declared_schedules():
            wanted[PREFIX + func] = (func, int(minutes))
        for name, (func, minutes) in wanted.items():
            Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
            )
        stale = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=wanted)
        removed = stale.count()
        stale.delete()
        self.stdout.write(f"{len(wanted)} periodic schedule(s) registered, {removed} removed.")
