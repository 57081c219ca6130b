"""The simulators' state, until issue 22 integrations' SimulatorObject. A development database
keeps its sandbox: the rows integrations left in its old table (see integrations' 0012) are copied
here, ids included, and the old table is dropped. Reversing drops this table (and the sandbox)."""

import django.utils.timezone
from django.core.management.color import no_style
from django.db import migrations, models

OLD_TABLE = "integrations_simulatorobject"
COLUMNS = ["id", "provider", "kind", "key", "data", "created_at", "updated_at"]


def adopt_old_sandbox(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    model = apps.get_model("simulator_plugins", "SimulatorObject")
    quote, columns = schema_editor.quote_name, ", ".join(schema_editor.quote_name(c) for c in COLUMNS)
    schema_editor.execute(
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {columns} FROM {quote(OLD_TABLE)}"
    )
    for sql in connection.ops.sequence_reset_sql(no_style(), [model]):  # PostgreSQL: ids go on after them
        schema_editor.execute(sql)
    schema_editor.execute(schema_editor.sql_delete_table % {"table": quote(OLD_TABLE)})


class Migration(migrations.Migration):
    initial = True

    # After integrations let go of the model; not before it (`run_before`): a database migrated
    # without this app (simulators off) must accept it later.
    dependencies = [("integrations", "0012_simulatorobject_moves_to_simulator_plugins")]

    operations = [
        migrations.CreateModel(
            name="SimulatorObject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider", models.CharField(max_length=40)),
                ("kind", models.CharField(max_length=60)),
                ("key", models.CharField(max_length=120)),
                ("data", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("provider", "kind", "key"), name="uniq_simulator_plugin_object")
                ],
            },
        ),
        migrations.RunPython(adopt_old_sandbox, migrations.RunPython.noop),
    ]
