"""Ashby: re-key webhook events stored before the dedupe key took the action (issue 19).

Ashby's `webhookActionId` "will be the same across retries for a single event and across webhook
payloads if you have more than one webhook configured for the same event"
(https://developers.ashbyhq.com/docs/common-payload-data), and an event's related webhooks carry
it too (a hire also sends applicationUpdate and candidateStageChange with the same id:
providers/ashby/README.md "Webhook dedupe"). providers/ashby/webhooks.py `parse` now keys every
delivery `<webhookActionId>:<action>`. Rows stored before kept the bare id, so a retry of one of
them that arrives after the deploy would not match its key and would be processed a second time.
This gives them the key `parse` gives today. Rows keyed on the body digest (`sha256:...`, a
delivery without a webhookActionId) keep it, as `parse` does.

Rows that were recorded as duplicates of another action's delivery under the old key stay
duplicates: the webhook log does not rewrite what happened. Reversible as a no-op: the new keys
are what the code reads."""

from django.db import migrations


def rekey_ashby_events(apps, schema_editor):
    WebhookEvent = apps.get_model("integrations", "WebhookEvent")
    rows = (
        WebhookEvent.objects.filter(provider="ashby")
        .exclude(external_id="")
        .exclude(external_id__startswith="sha256:")
        .exclude(external_id__contains=":")
        .exclude(event_type="")
        .only("pk", "external_id", "dedupe_key", "event_type")
    )
    for row in rows.iterator(chunk_size=500):
        key = f"{row.external_id}:{row.event_type}"[:255]
        changes = {"external_id": key}
        if row.dedupe_key == row.external_id:
            changes["dedupe_key"] = key
        WebhookEvent.objects.filter(pk=row.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0010_knit_unconfirmed_assessment_update_to_passthrough")]

    operations = [migrations.RunPython(rekey_ashby_events, migrations.RunPython.noop)]
