"""`migrate` alone registers the periodic schedules (issue 21): a release step that stops after
it still leaves the webhook sweep that picks up rows a crash left un-nudged."""

import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django_q.models import Schedule

pytestmark = pytest.mark.django_db

SWEEP = "periodic:integrations.tasks.webhook_event_sweep_task"


def test_the_test_database_made_by_migrate_alone_has_the_webhook_sweep():
    assert Schedule.objects.filter(name=SWEEP, func="integrations.tasks.webhook_event_sweep_task").exists()


def test_migrate_registers_the_schedules_a_database_lacks():
    Schedule.objects.all().delete()  # as a database no setup_schedules ever ran on

    call_command("migrate", verbosity=0, interactive=False)

    sweep = Schedule.objects.get(name=SWEEP)
    assert (sweep.schedule_type, sweep.minutes, sweep.repeats) == (Schedule.MINUTES, 2, -1)


def test_setup_schedules_after_migrate_changes_nothing():
    call_command("migrate", verbosity=0, interactive=False)
    before = [model_to_dict(s) for s in Schedule.objects.order_by("pk")]
    assert any(s["name"] == SWEEP for s in before)

    call_command("setup_schedules", stdout=io.StringIO())
    call_command("migrate", verbosity=0, interactive=False)

    assert [model_to_dict(s) for s in Schedule.objects.order_by("pk")] == before
