"""The upgrade of invitations stored with their plaintext token (workspaces 0002/0003, issue 21):
links already emailed keep working until their expiry (INVITATION_MAX_AGE_DAYS after they were
sent), older ones show the expired page, and no token is left in the table."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from jobcannon.workspaces.models import Invitation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("workspaces", "0001_initial")]


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "workspaces"]


@pytest.fixture
def old_schema():
    """The database as it was before the change; put back to the latest schema afterwards."""
    latest = _latest()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        yield executor.loader.project_state(BEFORE).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)


def test_links_sent_before_the_upgrade_work_until_their_expiry_and_no_token_stays(old_schema, settings):
    settings.INVITATION_MAX_AGE_DAYS = 7
    apps = old_schema
    Workspace, OldInvitation = (
        apps.get_model("workspaces", "Workspace"),
        apps.get_model("workspaces", "Invitation"),
    )
    workspace = Workspace.objects.create(name="Legacy Ltd", slug="legacy")
    recent_token, old_token, used_token = "r" * 43, "o" * 43, "u" * 43
    recent = OldInvitation.objects.create(workspace=workspace, email="recent@example.com", token=recent_token)
    old = OldInvitation.objects.create(workspace=workspace, email="old@example.com", token=old_token)
    OldInvitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    OldInvitation.objects.create(
        workspace=workspace, email="used@example.com", token=used_token, accepted_at=timezone.now()
    )

    executor = MigrationExecutor(connection)
    executor.migrate(_latest())

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM workspaces_invitation")
        rows = repr(cursor.fetchall())
    assert not any(t in rows for t in (recent_token, old_token, used_token))
    kept = Invitation.objects.get(pk=recent.pk)
    assert kept.expires_at == kept.created_at + dt.timedelta(days=7)

    client = Client()
    client.force_login(UserFactory(email="recent@example.com"))
    assert "Join Legacy Ltd" in client.get(f"/invitations/{recent_token}/").content.decode()
    assert client.post(f"/invitations/{recent_token}/").status_code == 302

    client.force_login(UserFactory(email="old@example.com"))
    expired = client.post(f"/invitations/{old_token}/")
    assert (
        expired.status_code == 410 and "This invitation to Legacy Ltd expired on" in expired.content.decode()
    )
    used = Client().get(f"/invitations/{used_token}/")
    assert used.status_code == 410 and "already accepted" in used.content.decode()
