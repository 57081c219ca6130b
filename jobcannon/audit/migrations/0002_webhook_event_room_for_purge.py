"""Leave 15 % of each page of integrations_webhookevent free (PostgreSQL fillfactor).

The retention purge rewrites every old row (body, headers and traceback emptied). None of those
columns is indexed, so PostgreSQL can make the new version a heap-only tuple on the same page and
touch no index at all, but only if the page has room for it: a page filled to 100 % sends every
new version elsewhere and adds an entry to each of the table's indexes (15 when this was written),
which cost the purge about three times as much per row and left every index bloated. A purged
row is a few hundred bytes; with bodies around 1 KB the 15 % holds all of a page's purged versions.

Applies to pages written from now on (the intake's inserts); pages already full get the room when
the table is next rewritten. Other databases have no such setting: nothing to do there."""

from django.db import migrations

TABLE = "integrations_webhookevent"


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 85)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("integrations", "0002_reliability"),
    ]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
