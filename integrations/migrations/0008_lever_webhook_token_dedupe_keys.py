"""Lever: re-key webhook events stored before the dedupe moved to the signed token (issue 19).

Lever's advice is to "cache the token value locally and not honor any subsequent request with
the same token" (https://hire.lever.co/developer/documentation#securing-webhooks, "Request
signing"); providers/lever/webhooks.py `parse` keys every delivery `token:<token>`. Rows stored
before kept the old key: the unsigned body `id`, or `<token>:<triggeredAt>`. A Lever retry or
rerun of one of them (Lever resends for up to two weeks) would not match and would be processed
a second time. This gives them the key `parse` gives today: the token from the stored raw body,
or, when retention purged the body, from the prefix of a `<token>:<triggeredAt>` key. Rows with
no token anywhere (seed 004's X-Lever-Signature scheme without one) keep the body id, as `parse`
does.

Several rows of one token (a retry the old key let through) share one key: the row kept is the
one that best stands for the token, the first handled (processed, ignored, unsupported) if any,
else the first still to be processed (so its pending retry is not lost), else the oldest; the
others lose the key and point at it (`duplicate_of`). Those not handled become duplicates (never
processed); those already handled keep their status, since the webhook log must not rewrite what
happened. Reversible as a no-op: the new keys are what the code reads."""

import json
import re

from django.db import migrations

OLD_TOKEN_KEY = re.compile(r"^(?P<token>[^:]+):\d+$")
HANDLED = ("processed", "ignored", "unsupported")
PENDING = ("verified", "processing", "failed")


def _token_key(body, old_key: str) -> str | None:
    """`token:<token>` for a Lever row, or None when it carries no token."""
    try:
        payload = json.loads(bytes(body or b""))
    except ValueError:
        payload = None
    if isinstance(payload, dict) and payload.get("token"):
        return f"token:{payload['token']}"
    if old_key.startswith("token:"):
        return old_key
    match = OLD_TOKEN_KEY.match(old_key)
    if match and match["token"] != "sha256":
        return f"token:{match['token']}"
    return None


def _rank(row) -> tuple:
    status = 0 if row.status in HANDLED else 1 if row.status in PENDING else 2
    return (status, row.received_at, row.pk)


def rekey_lever_events(apps, schema_editor):
    WebhookEvent = apps.get_model("integrations", "WebhookEvent")
    rows = (
        WebhookEvent.objects.filter(provider="lever", integration__isnull=False)
        .exclude(external_id="")
        .only("pk", "integration_id", "external_id", "dedupe_key", "status", "received_at", "body")
    )
    groups: dict[tuple[int, str], list] = {}
    renamed: dict[str, list[int]] = {}  # new external_id -> rows without a dedupe key
    for row in rows.iterator(chunk_size=500):
        key = _token_key(row.body, row.dedupe_key or row.external_id)
        if key is None:
            continue
        if row.dedupe_key is not None:
            groups.setdefault((row.integration_id, key), []).append(row)
        elif row.external_id != key:
            renamed.setdefault(key, []).append(row.pk)
    keepers = []
    for (_, key), members in groups.items():
        keep, *others = sorted(members, key=_rank)
        if keep.dedupe_key != key:
            keepers.append((keep.pk, key))
        for other in others:
            # Nulled before any keeper takes its key: the unique constraint holds at every step.
            WebhookEvent.objects.filter(pk=other.pk).update(
                dedupe_key=None,
                external_id=key,
                duplicate_of_id=keep.pk,
                **({} if other.status in HANDLED else {"status": "duplicate", "next_attempt_at": None}),
            )
            WebhookEvent.objects.filter(duplicate_of_id=other.pk).update(duplicate_of_id=keep.pk)
    for pk, key in keepers:
        WebhookEvent.objects.filter(pk=pk).update(dedupe_key=key, external_id=key)
    for key, pks in renamed.items():
        WebhookEvent.objects.filter(pk__in=pks).update(external_id=key)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0007_smartrecruiters_partner_secret_hashes")]

    operations = [migrations.RunPython(rekey_lever_events, migrations.RunPython.noop, elidable=True)]
