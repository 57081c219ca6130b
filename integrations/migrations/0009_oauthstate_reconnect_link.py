"""Issue 21: an OAuth authorization started through a reconnect link records that link, so the
callback claims it (single use, refused once revoked) whatever else the same browser started
meanwhile (integrations/services/oauth.py `oauth_callback`). Pending authorizations live 15
minutes: one started through a link before this migration has none and finishes as an ordinary
authorization."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0008_lever_webhook_token_dedupe_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="oauthstate",
            name="reconnect_link",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="oauth_states",
                to="integrations.reconnectlink",
            ),
        ),
    ]
