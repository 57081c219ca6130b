"""The built-in simulators' state (SimulatorObject) leaves integrations for the plug-in app
integrations.simulator_plugins (issue 22), so a production database, which never installs that
app, has no table for it.

The table is dropped when it holds no row, as in production. Rows are a developer's sandbox:
the table is then left for the plug-in's own 0001_initial, which copies them into its table and
drops this one, now or whenever the simulators are switched on. This migration cannot wait for
that copy (`run_before`): production does not install the plug-in, and a database migrated
without it (ATS_SIMULATORS_ENABLED=0) would then refuse to install it later (Django's
"applied before its dependency")."""

from django.db import migrations

OLD_TABLE = "integrations_simulatorobject"


def drop_unless_sandbox(apps, schema_editor):
    if OLD_TABLE not in schema_editor.connection.introspection.table_names():
        return
    model = apps.get_model("integrations", "SimulatorObject")
    if not model.objects.exists():
        schema_editor.delete_model(model)


def restore(apps, schema_editor):
    if OLD_TABLE not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(apps.get_model("integrations", "SimulatorObject"))


class Migration(migrations.Migration):
    dependencies = [("integrations", "0011_ashby_webhook_dedupe_key_with_action")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_unless_sandbox, restore)],
            state_operations=[migrations.DeleteModel("SimulatorObject")],
        )
    ]
