"""Invitation links (issue 21), second step: the plaintext token column goes, the hash is required
and unique, every invitation has an expiry, and a revoked invitation no longer blocks inviting
the same address again. A separate migration from 0002's data step, so on PostgreSQL no ALTER
TABLE runs in the transaction that updated the rows.

Reversible for a rollback: the token column comes back holding a new random token per row (the
real ones were never stored), so links sent after this migration stop working then."""

import secrets

import django.db.models
from django.db import migrations, models

import jobcannon.workspaces.models


def new_random_tokens(apps, schema_editor):
    Invitation = apps.get_model("workspaces", "Invitation")
    for invitation in Invitation.objects.filter(token__isnull=True).only("pk").iterator():
        Invitation.objects.filter(pk=invitation.pk).update(token=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0002_invitation_token_hash"),
    ]

    operations = [
        # Loosened before it is dropped, so that a rollback re-adds it nullable and fills it
        # (new_random_tokens) before it is unique again.
        migrations.AlterField(
            model_name="invitation",
            name="token",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(migrations.RunPython.noop, new_random_tokens),
        migrations.RemoveField(model_name="invitation", name="token"),
        migrations.AlterField(
            model_name="invitation",
            name="token_sha256",
            field=models.CharField(
                default=jobcannon.workspaces.models._unknown_token_hash,
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="expires_at",
            field=models.DateTimeField(default=jobcannon.workspaces.models.invitation_expiry),
        ),
        migrations.RemoveConstraint(model_name="invitation", name="uniq_open_invitation"),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=django.db.models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True)),
                fields=("workspace", "email"),
                name="uniq_open_invitation",
            ),
        ),
    ]
