# JobLease moves from integrations to core with periodic_job (issue 22: core is the ground layer).
# The rows are copied over by integrations/migrations/0004_layers_joblease_to_core.py.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobLease",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True)),
                ("token", models.CharField(blank=True, default="", max_length=32)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("last_started_at", models.DateTimeField(blank=True, null=True)),
                ("last_finished_at", models.DateTimeField(blank=True, null=True)),
                ("last_outcome", models.CharField(blank=True, default="", max_length=500)),
                ("skipped_count", models.PositiveIntegerField(default=0)),
            ],
            options={
                "permissions": [("view_system_status", "Can view the system status page")],
            },
        ),
    ]
