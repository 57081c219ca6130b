"""Knit: integrations whose saved result mode is Knit's unified update (`assessment_update`) without
the customer having chosen it go back to the passthrough (Ashby's published assessment.update).

Until the passthrough became the default, the Knit setup form pre-selected `assessment_update`, so
any integration whose settings were saved then holds it, and keeps sending a request body Knit has
never published (integrations/providers/knit/README.md, "Results"). Nothing recorded whether the
customer chose it: the setup page now stores `result_mode_confirmed_at` when they do
(providers/knit/services.knit_settings_update), so every saved `assessment_update` without that date
moves to the passthrough here, with a line in the integration's activity log saying so and how to
choose the unified update again. Reversing restores the saved mode of the integrations this moved
(marked `result_mode_migrated_from`)."""

from django.db import migrations
from django.utils import timezone

PROVIDER = "knit"
MODE_KEY = "result_mode"
UPDATE = "assessment_update"
PASSTHROUGH = "passthrough"
CONFIRMED_AT = "result_mode_confirmed_at"  # providers/knit/constants.RESULT_MODE_CONFIRMED_AT
MIGRATED_FROM = "result_mode_migrated_from"

MESSAGE = (
    "Results now reach Ashby through Knit's passthrough (Ashby's published assessment.update). This "
    "integration was saved with Knit's candidate assessment update API while the setup form pre-selected "
    "it, and Knit has not published that API's request body. If Knit has confirmed the body for your "
    'account, choose it again on the Knit setup page under "How results reach Ashby".'
)


def unconfirmed_update_to_passthrough(apps, schema_editor) -> int:
    """Returns how many integrations moved (for the tests)."""
    Integration = apps.get_model("integrations", "Integration")
    IntegrationActivity = apps.get_model("integrations", "IntegrationActivity")
    moved = 0
    for integration in Integration.objects.filter(provider=PROVIDER).iterator(chunk_size=200):
        settings = dict(integration.provider_settings or {})
        if settings.get(MODE_KEY) != UPDATE or settings.get(CONFIRMED_AT):
            continue
        settings[MODE_KEY] = PASSTHROUGH
        settings[MIGRATED_FROM] = UPDATE
        integration.provider_settings = settings
        integration.save(update_fields=["provider_settings"])
        IntegrationActivity.objects.create(
            integration=integration,
            created_at=timezone.now(),
            level="warning",
            kind="knit.result_mode_migrated",
            message=MESSAGE,
            data={"from": UPDATE, "to": PASSTHROUGH, "reason": "not confirmed by the customer"},
        )
        moved += 1
    return moved


def restore_saved_mode(apps, schema_editor) -> None:
    Integration = apps.get_model("integrations", "Integration")
    for integration in Integration.objects.filter(provider=PROVIDER).iterator(chunk_size=200):
        settings = dict(integration.provider_settings or {})
        if settings.pop(MIGRATED_FROM, None) != UPDATE:
            continue
        settings[MODE_KEY] = UPDATE
        integration.provider_settings = settings
        integration.save(update_fields=["provider_settings"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0009_oauthstate_reconnect_link")]

    operations = [migrations.RunPython(unconfirmed_update_to_passthrough, restore_saved_mode)]
