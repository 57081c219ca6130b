"""Invitation links (issue 21): the row keeps the SHA-256 of its token instead of the token, and
links expire.

Links already sent keep working: each row's hash is computed here from its plaintext token (0003
then drops that column), so a colleague who has not clicked yet is not locked out by the
upgrade. Each one expires INVITATION_MAX_AGE_DAYS after it was sent, the same rule as a new
invitation: one sent within that many days works until then; an older one is expired at once,
and an admin resends it from the team page (its holder sees why it no longer works, not an error)."""

import datetime as dt
import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 500


def hash_tokens_and_set_expiry(apps, schema_editor):
    Invitation = apps.get_model("workspaces", "Invitation")
    max_age = dt.timedelta(days=getattr(settings, "INVITATION_MAX_AGE_DAYS", 7))
    rows = []
    for invitation in Invitation.objects.only("pk", "token", "created_at").iterator(chunk_size=BATCH):
        invitation.token_sha256 = hashlib.sha256(invitation.token.encode()).hexdigest()
        invitation.expires_at = invitation.created_at + max_age
        rows.append(invitation)
        if len(rows) >= BATCH:
            Invitation.objects.bulk_update(rows, ["token_sha256", "expires_at"])
            rows = []
    Invitation.objects.bulk_update(rows, ["token_sha256", "expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Nullable first; 0003 makes them required (and the hash unique) once every row has one.
        migrations.AddField(
            model_name="invitation",
            name="token_sha256",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="invitation",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="invitation",
            name="accepted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="invitation",
            name="revoked_reason",
            field=models.CharField(
                blank=True,
                choices=[("revoked", "Revoked by a workspace admin"), ("resent", "Replaced by a newer invitation")],
                default="",
                max_length=10,
            ),
        ),
        # Rolled back, the new columns simply go (0003's rollback gives the rows new tokens).
        migrations.RunPython(hash_tokens_and_set_expiry, migrations.RunPython.noop, elidable=False),
    ]
