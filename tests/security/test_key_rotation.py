"""`manage.py rotate_encryption_keys`: every secret column moves to the newest key, in batches,
while the site keeps reading; afterwards the old key can be dropped."""

import io

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from integrations.models import Integration, Token
from jobcannon.audit.models import AuditEvent
from jobcannon.core.crypto import encrypted_models, encryption_keys_rotate
from tests.factories import IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    return settings, old, new


def test_rotation_moves_every_secret_column_to_the_new_key_in_batches(keys):
    settings, old, new = keys
    integrations = [IntegrationFactory(credentials={"api_key": f"sk_rotate_{i}"}) for i in range(5)]
    token = Token.objects.create(
        integration=integrations[0], access_token="at-secret", refresh_token="rt-secret"
    )

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)
    assert (
        "integrations.Integration: 5 row(s) re-encrypted of 5 (credentials, webhook_secrets)"
        in out.getvalue()
    )
    assert "integrations.Token: 1 row(s) re-encrypted" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone: everything still reads
    assert [Integration.objects.get(pk=i.pk).credentials["api_key"] for i in integrations] == [
        f"sk_rotate_{i}" for i in range(5)
    ]
    assert Token.objects.get(pk=token.pk).refresh_token == "rt-secret"
    assert "sk_rotate_0" not in raw("integrations_integration", "credentials", integrations[0].pk)
    assert AuditEvent.objects.filter(action="encryption_keys.rotated").count() == 1


def test_rotation_is_idempotent_and_a_dry_run_writes_nothing(keys):
    settings, old, new = keys
    integration = IntegrationFactory()
    before = raw("integrations_integration", "credentials", integration.pk)
    settings.FIELD_ENCRYPTION_KEYS = [new, old]

    out = io.StringIO()
    call_command("rotate_encryption_keys", "--dry-run", stdout=out)
    assert "1 row(s) would be re-encrypted" in out.getvalue()
    assert raw("integrations_integration", "credentials", integration.pk) == before

    first = {r.label: r.rotated for r in encryption_keys_rotate()}
    second = {r.label: r.rotated for r in encryption_keys_rotate()}
    assert first["integrations.Integration"] == 1
    assert second["integrations.Integration"] == 0


def test_a_row_no_key_can_decrypt_stops_the_rotation_with_a_clear_error(keys):
    settings, old, new = keys
    IntegrationFactory()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key was dropped too early
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_encryption_keys", stdout=io.StringIO())


def test_a_concurrent_write_is_not_overwritten_by_the_rotation(keys):
    """The UPDATE is guarded by the ciphertext it read: if the application wrote in between,
    its (newer) value wins."""
    settings, old, new = keys
    integration = IntegrationFactory(credentials={"api_key": "old-value"})
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    from jobcannon.core import crypto

    real = crypto.rotated

    def rotated_then_app_writes(value):
        Integration.objects.filter(pk=integration.pk).update(credentials={"api_key": "written-meanwhile"})
        return real(value)

    crypto.rotated = rotated_then_app_writes
    try:
        encryption_keys_rotate(only="integrations.Integration")
    finally:
        crypto.rotated = real
    assert Integration.objects.get(pk=integration.pk).credentials == {"api_key": "written-meanwhile"}


def test_every_encrypted_model_is_found_without_a_list_to_maintain():
    labels = {m.model._meta.label for m in encrypted_models()}
    assert {"integrations.Integration", "integrations.Token", "integrations.OAuthState"} <= labels


def test_mfa_totp_secret_is_encrypted_at_rest_and_rotates(keys):
    settings, old, new = keys
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory()
    secret = generate_totp_secret()
    totp = TOTP.activate(user, secret)
    stored = Authenticator.objects.get(pk=totp.instance.pk).data["secret"]
    assert stored.startswith("fernet:") and secret not in stored

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    report = {r.label: r.rotated for r in encryption_keys_rotate()}
    assert report["mfa.Authenticator"] == 1
    settings.FIELD_ENCRYPTION_KEYS = [new]
    from allauth.mfa.utils import decrypt

    assert decrypt(Authenticator.objects.get(pk=totp.instance.pk).data["secret"]) == secret
