# JobLease moved to jobcannon.core (periodic_job guards the tasks of every app): copy the leases
# (last run, outcome, skip count shown on the system status page), then drop the old table.

from django.db import migrations

FIELDS = (
    "name",
    "token",
    "expires_at",
    "last_started_at",
    "last_finished_at",
    "last_outcome",
    "skipped_count",
)


def copy_leases(apps, schema_editor):
    old = apps.get_model("integrations", "JobLease")
    new = apps.get_model("core", "JobLease")
    for row in old.objects.values(*FIELDS):
        new.objects.update_or_create(name=row["name"], defaults=row)


def copy_leases_back(apps, schema_editor):
    old = apps.get_model("integrations", "JobLease")
    new = apps.get_model("core", "JobLease")
    for row in new.objects.values(*FIELDS):
        old.objects.update_or_create(name=row["name"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_webhook_event_lean_indexes"),
        ("core", "0002_layers_joblease"),
    ]

    operations = [
        migrations.RunPython(copy_leases, copy_leases_back),
        migrations.DeleteModel(name="JobLease"),
    ]
