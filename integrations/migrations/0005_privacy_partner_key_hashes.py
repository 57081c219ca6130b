"""Partner API keys were stored encrypted but are only ever verified: keep their SHA-256 instead
(integrations/services/partner_auth.py) and drop the encrypted key. Irreversible by design: the
key cannot be recovered from its hash (a customer who needs it again issues a new one)."""

import hashlib

from django.db import migrations

LEGACY = "partner_api_key"
HASHED = "partner_api_key_sha256"


def hash_partner_keys(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    # The credentials column is encrypted JSON: it can only be filtered after decryption.
    for integration in Integration.objects.exclude(credentials__isnull=True).iterator(chunk_size=200):
        credentials = dict(integration.credentials or {})
        key = credentials.pop(LEGACY, None)
        if not key:
            continue
        if not credentials.get(HASHED):
            credentials[HASHED] = "sha256:" + hashlib.sha256(str(key).encode()).hexdigest()
        integration.credentials = credentials
        integration.save(update_fields=["credentials"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_layers_joblease_to_core")]

    operations = [migrations.RunPython(hash_partner_keys, migrations.RunPython.noop, elidable=True)]
