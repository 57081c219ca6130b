"""The built-in simulators' state (SimulatorObject) moved out of integrations, where every
production database had its table, into the plug-in app simulator_plugins (issue 22), installed
only where simulators run. A development database keeps its sandbox, whether the plug-in was
installed when it migrated or only later (the database was migrated with simulators off);
a database without sandbox rows (production) just loses the old table."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from integrations.simulator_plugins.models import SimulatorObject
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

OLD_TABLE = "integrations_simulatorobject"
BEFORE = [("integrations", "0011_ashby_webhook_dedupe_key_with_action")]
# The integrations migration that takes the model away; production runs it without the plug-in.
DROP = [("integrations", "0012_simulatorobject_moves_to_simulator_plugins")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)


def _tables() -> list[str]:
    return connection.introspection.table_names()


@pytest.fixture
def old_sandbox():
    """A database from before the move, holding a sandbox account; put back to the latest
    schema afterwards."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("integrations", "SimulatorObject")
        yield old.objects.create(
            provider="ashby", kind="account", key="acct-sandbox", data={"name": "Sandbox Co"}
        )
    finally:
        _migrate(latest)


def _assert_sandbox_kept(client, old_row) -> None:
    moved = SimulatorObject.objects.get(provider="ashby", kind="account", key="acct-sandbox")
    assert (moved.pk, moved.data, moved.created_at) == (
        old_row.pk,
        {"name": "Sandbox Co"},
        old_row.created_at,
    )
    assert OLD_TABLE not in _tables()
    # Staff see it where the simulators' state is listed now, and the sandbox keeps growing (on
    # PostgreSQL the id sequence continues after the copied ids).
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:simulator_plugins_simulatorobject_changelist"))
    assert listing.status_code == 200 and "acct-sandbox" in listing.content.decode()
    added = SimulatorObject.objects.create(provider="ashby", kind="account", key="acct-new")
    assert added.pk > moved.pk


def test_migrating_with_the_plugin_installed_keeps_the_sandbox(client, old_sandbox):
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    _assert_sandbox_kept(client, old_sandbox)


def test_a_database_migrated_with_simulators_off_keeps_its_sandbox_for_when_they_are_on(client, old_sandbox):
    _migrate(DROP)  # as with ATS_SIMULATORS_ENABLED=0: the plug-in app is not installed
    assert OLD_TABLE in _tables()
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # simulators switched on
    _assert_sandbox_kept(client, old_sandbox)


def test_a_database_without_sandbox_rows_loses_the_old_table(old_sandbox):
    """Production: its table never held a row."""
    type(old_sandbox).objects.all().delete()
    _migrate(DROP)
    assert OLD_TABLE not in _tables()
