"""SmartRecruiters: the partner client secret SR presents at our token endpoint was stored
encrypted but is only ever compared: keep its SHA-256 (integrations/services/partner_auth.py),
as 0005 did for Ashby's partner keys. Irreversible by design. Bearer tokens issued before stay
valid: their fingerprint is the first 16 hex digits of this same hash."""

import hashlib

from django.db import migrations

LEGACY = "partner_client_secret"
HASHED = "partner_client_secret_sha256"


def hash_partner_secrets(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    # The credentials column is encrypted JSON: it can only be filtered after decryption.
    for integration in Integration.objects.filter(provider="smartrecruiters").iterator(chunk_size=200):
        credentials = dict(integration.credentials or {})
        secret = credentials.pop(LEGACY, None)
        if not secret:
            continue
        credentials.setdefault(HASHED, "sha256:" + hashlib.sha256(str(secret).encode()).hexdigest())
        integration.credentials = credentials
        integration.save(update_fields=["credentials"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0006_privacy_reconnect_links")]

    operations = [migrations.RunPython(hash_partner_secrets, migrations.RunPython.noop, elidable=True)]
