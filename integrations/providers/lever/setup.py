"""Writes made while connecting Lever: the API key's age, webhook registration, signature tokens,
the feedback template and the user we write feedback as. Each one is a service (keyword-only,
typed); `provider.py` calls them from the contract hooks."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.base import ATSNotFound, ATSPermissionError, ATSValidationError
from integrations.models import ActivityLevel, Integration, IntegrationStatus, OutboundCall
from integrations.services.activity import activity_log
from integrations.services.status import integration_reason_set

from . import constants, mappers

if TYPE_CHECKING:
    from .client import LeverClient


def lever_settings_update(*, integration: Integration, **changes: Any) -> Integration:
    """Merge non-secret settings under a row lock (two workers may write different keys)."""
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        merged = {**(locked.provider_settings or {}), **changes}
        locked.provider_settings = merged
        locked.save(update_fields=["provider_settings", "updated_at"])
    integration.provider_settings = merged
    return integration


# -- API key age (seed 004: "tokens in Lever last 1 year") ----------------------------------


def api_key_fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def api_key_expires_at(integration: Integration) -> dt.datetime | None:
    created = (integration.provider_settings or {}).get("api_key_created_at")
    if integration.auth_kind != "api_key" or not created:
        return None
    return dt.datetime.fromisoformat(created) + constants.API_KEY_LIFETIME


def lever_api_key_track(*, integration: Integration) -> None:
    """A key we have not seen before was created today unless the customer says otherwise."""
    key = integration.credential("api_key", "")
    if integration.auth_kind != "api_key" or not key:
        return
    fingerprint = api_key_fingerprint(key)
    if (integration.provider_settings or {}).get("api_key_fingerprint") == fingerprint:
        return
    lever_settings_update(
        integration=integration,
        api_key_fingerprint=fingerprint,
        api_key_created_at=timezone.now().isoformat(),
        api_key_expiry_warned="",
    )


def lever_api_key_created_set(*, integration: Integration, created: dt.date) -> None:
    stamp = dt.datetime.combine(created, dt.time(0, 0), tzinfo=dt.UTC)
    lever_settings_update(
        integration=integration, api_key_created_at=stamp.isoformat(), api_key_expiry_warned=""
    )
    activity_log(
        integration=integration,
        kind="lever.api_key_dated",
        message=f"Lever API key creation date set to {created.isoformat()}.",
    )
    lever_api_key_expiry_check(integration=integration)


def lever_api_key_expiry_check(*, integration: Integration, now: dt.datetime | None = None) -> str:
    """Log one warning per threshold (30 days, 7 days, expired). Returns the threshold hit or ""."""
    expires = api_key_expires_at(integration)
    if expires is None:
        return ""
    left = expires - (now or timezone.now())
    if left > constants.API_KEY_WARN_BEFORE:
        return ""
    level = "expired" if left.total_seconds() <= 0 else ("7d" if left.days < 7 else "30d")
    if (integration.provider_settings or {}).get("api_key_expiry_warned") == level:
        return level
    if level == "expired":
        message = (
            f"The Lever API key expired on {expires.date().isoformat()} (keys last 1 year). "
            "Regenerate it in Lever settings and save the new key here."
        )
    else:
        message = (
            f"The Lever API key expires on {expires.date().isoformat()} ({left.days} days left; keys last "
            "1 year). Regenerate it in Lever settings and save the new key here before then."
        )
    activity_log(
        integration=integration,
        kind="lever.api_key_expiring",
        level=ActivityLevel.WARNING,
        message=message,
        data={"expires_at": expires.isoformat(), "threshold": level},
    )
    lever_settings_update(integration=integration, api_key_expiry_warned=level)
    return level


# -- webhooks ----------------------------------------------------------------------------------


def webhook_absolute_url(integration: Integration) -> str:
    from integrations.selectors import webhook_url_for

    return settings.JOBCANNON_BASE_URL + webhook_url_for(integration)


def webhooks_manual(integration: Integration) -> bool:
    """Webhooks are set up by hand in Lever (POST /webhooks answered 403 on connect)."""
    return (integration.provider_settings or {}).get("webhook_setup") == "manual"


def webhooks_refused_before_api(integration: Integration) -> tuple[dt.datetime | None, set[str]]:
    """Back on the API after the manual path (a plan upgrade, or a key regenerated with the
    webhooks endpoints): when that switch began, and which webhooks operations Lever has not
    refused since. Their older 403s are history, not a missing permission (provider.explained_refusals):
    the switch may reuse the hand-made webhooks, so no later success of `webhooks.create` shows up."""
    since = (integration.provider_settings or {}).get("webhook_setup_changed_at")
    if webhooks_manual(integration) or not since:
        return None, set()
    switched = dt.datetime.fromisoformat(since)
    refused_since = set(
        OutboundCall.objects.filter(
            integration=integration,
            operation__in=constants.WEBHOOKS_OPERATIONS,
            status_code=403,
            created_at__gte=switched,
        ).values_list("operation", flat=True)
    )
    return switched, set(constants.WEBHOOKS_OPERATIONS) - refused_since


def lever_signature_tokens_count(integration: Integration) -> int:
    """How many signature tokens from Lever (pasted, or returned by POST /webhooks) are among the
    secrets. Lever gives each webhook its own (LH "UI Changes"), so by hand that is one per webhook."""
    return sum(
        1
        for s in integration.webhook_secrets or []
        if str(s.get("source", "")).startswith(("pasted", "Lever webhook", "Lever sandbox"))
    )


def lever_signature_token_stored(integration: Integration) -> bool:
    return lever_signature_tokens_count(integration) > 0


def lever_connected_reason(integration: Integration) -> str:
    """What a connected integration still has to do (LeverProvider.connected_reason): on the
    manual path, until a signature token is pasted, the 403's explanation and the by-hand steps."""
    if webhooks_manual(integration) and not lever_signature_token_stored(integration):
        return str((integration.provider_settings or {}).get("webhook_setup_reason", ""))
    return ""


def lever_signature_token_add(*, integration: Integration, token: str, source: str) -> bool:
    """One token (lever_signature_tokens_add). True when it was new."""
    return lever_signature_tokens_add(integration=integration, tokens=[token], source=source) > 0


def lever_signature_tokens_add(*, integration: Integration, tokens: Iterable[str], source: str) -> int:
    """Lever generates signature tokens (LD: the 201 carries configuration.signatureToken; by
    hand, LH "UI Changes": one per webhook, so an admin pastes several at once); the webhook
    secrets list is where verification looks, so new tokens go in front of it. One activity line
    for them all. A token pasted after the connect does what the connect's reason asked: the
    reason is refreshed now, not at the next "Test credentials now". Returns how many were new."""
    wanted = list(dict.fromkeys(t.strip() for t in tokens if t.strip()))
    if not wanted:
        return 0
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        current = list(locked.webhook_secrets or [])
        known = {s.get("secret") for s in current}
        new = [t for t in wanted if t not in known]
        if not new:
            return 0
        now = timezone.now().isoformat()
        locked.webhook_secrets = [
            *({"secret": t, "created_at": now, "source": source} for t in reversed(new)),
            *current,
        ]
        locked.save(update_fields=["webhook_secrets", "updated_at"])
    integration.webhook_secrets = locked.webhook_secrets
    stored = "Lever signature token stored" if len(new) == 1 else f"{len(new)} Lever signature tokens stored"
    activity_log(
        integration=integration,
        kind="lever.signature_token_added",
        message=f"{stored} ({source}); webhooks signed with {'it' if len(new) == 1 else 'them'} now verify.",
        data={"count": len(new)},
    )
    _connected_reason_refresh(integration)
    return len(new)


@transaction.atomic
def _connected_reason_refresh(integration: Integration) -> None:
    """The reason only (integration_reason_set), under a row lock: the status is unchanged, and a
    refreshed connected_reason is no event of its own to log."""
    locked = Integration.objects.select_for_update().filter(pk=integration.pk).first()
    if locked is None or locked.status != IntegrationStatus.CONNECTED:
        return
    integration_reason_set(integration=locked, reason=lever_connected_reason(locked))
    integration.status, integration.status_reason = locked.status, locked.status_reason


def lever_webhooks_register(*, integration: Integration, client: LeverClient) -> list[mappers.LeverWebhook]:
    """Idempotent: webhooks already pointing at our URL are kept, missing events are added.

    A 403 from `POST /webhooks` does not fail the connect: Lever offers the Webhooks Subscription
    API only on some plans (https://help.lever.co/hc/en-us/articles/4402565460237, "Packages:
    Select Lever packages"; without it "a Super Admin [has] to manually Copy/Paste Webhook
    Tokens"). The integration is switched to that manual path instead (lever_webhooks_manual)."""
    started = timezone.now()
    url = webhook_absolute_url(integration)
    try:
        existing = [mappers.webhook_from_api(w) for w in client.webhooks()]
    except (ATSPermissionError, ATSNotFound):
        existing = []  # a key allowed to create webhooks but not to list them: register anew
    ours = [w for w in existing if w.url == url]
    covered = {e for w in ours for e in w.events}
    created: list[mappers.LeverWebhook] = []
    try:
        _webhooks_create_missing(client=client, url=url, covered=covered, created=created)
    except ATSPermissionError as exc:
        return lever_webhooks_manual(integration=integration, kept=ours + created, error=exc)
    webhooks = ours + created
    for w in webhooks:
        if w.signature_token:
            lever_signature_token_add(
                integration=integration, token=w.signature_token, source=f"Lever webhook {w.id}"
            )
    switched = (
        # Back from the manual path: the 403s before this check are explained from now on
        # (webhooks_refused_before_api); the calls of this check are not, they came after.
        {"webhook_setup_changed_at": started.isoformat()} if webhooks_manual(integration) else {}
    )
    lever_settings_update(
        integration=integration,
        webhooks=_webhooks_setting(webhooks),
        webhook_setup="api",
        webhook_setup_reason="",
        **switched,
    )
    if created:
        activity_log(
            integration=integration,
            kind="lever.webhooks_registered",
            message="Registered Lever webhooks: "
            + ", ".join(e for w in created for e in w.events)
            + ". "
            + constants.WEBHOOK_GROUPS_FIX,
        )
    return webhooks


def _webhooks_create_missing(
    *, client: LeverClient, url: str, covered: set[str], created: list[mappers.LeverWebhook]
) -> None:
    """One webhook per event, as Lever takes them (LD "Create a Webhook",
    https://hire.lever.co/developer/documentation: {"url", "event"}). Seed 004's
    {"url", "triggers": [...]} is never sent: it is not a Lever request. A webhook made this way
    sends nothing until a Super Admin switches its group on (constants.WEBHOOK_GROUPS_FIX)."""
    for event in constants.REGISTERED_EVENTS:
        if event not in covered:
            data = client.webhook_create({"url": url, "event": event})
            created.append(mappers.webhook_from_api({"event": event, **data}))


def _webhooks_setting(webhooks: list[mappers.LeverWebhook]) -> list[dict[str, Any]]:
    return [
        {"id": w.id, "url": w.url, "events": list(w.events), "signed": bool(w.signature_token)}
        for w in webhooks
    ]


def lever_webhooks_manual(
    *, integration: Integration, kept: list[mappers.LeverWebhook], error: ATSPermissionError
) -> list[mappers.LeverWebhook]:
    """`POST /webhooks` answered 403: record why (shown on the integration page and in the
    activity log) and leave the webhooks to a Lever Super Admin, who pastes each webhook's signature token
    on the Lever settings page. The connect goes on (credentials and write-back work)."""
    for w in kept:
        if w.signature_token:
            lever_signature_token_add(
                integration=integration, token=w.signature_token, source=f"Lever webhook {w.id}"
            )
    reason = f"{error.message} {constants.WEBHOOKS_MANUAL_FIX}"
    lever_settings_update(
        integration=integration,
        webhooks=_webhooks_setting(kept),
        webhook_setup="manual",
        webhook_setup_reason=reason,
    )
    activity_log(
        integration=integration,
        kind="lever.webhooks_manual",
        level=ActivityLevel.WARNING,
        message=reason,
        data={"url": webhook_absolute_url(integration), "events": list(constants.MANUAL_EVENTS)},
    )
    return kept


# -- write-back prerequisites -----------------------------------------------------------------


def lever_feedback_template_ensure(
    *, integration: Integration, client: LeverClient, refresh: bool = False
) -> mappers.TemplateRef:
    cached = (integration.provider_settings or {}).get("feedback_template") or {}
    if cached.get("id") and not refresh:
        return mappers.TemplateRef(id=cached["id"], field_ids=tuple(cached["fields"].items()))
    ref = next((r for r in map(mappers.template_ref, client.feedback_templates()) if r), None)
    if ref is None:
        ref = mappers.template_ref(client.feedback_template_create(mappers.feedback_template_body()))
        if ref is None:
            raise ATSValidationError("Lever created the feedback template but did not return its field ids.")
        activity_log(
            integration=integration,
            kind="lever.template_created",
            message=f"Created the “{constants.FEEDBACK_TEMPLATE_NAME}” feedback template in Lever.",
        )
    lever_settings_update(
        integration=integration, feedback_template={"id": ref.id, "fields": dict(ref.field_ids)}
    )
    return ref


def lever_perform_as_resolve(*, integration: Integration, client: LeverClient) -> str:
    """The Lever user feedback is written as (LD: perform_as is required on feedback)."""
    chosen = (integration.provider_settings or {}).get("perform_as")
    if chosen:
        return str(chosen)
    users = [u for u in client.users() if not u.get("deactivatedAt")]
    ranked = sorted(
        users, key=lambda u: {"super admin": 0, "admin": 1}.get(str(u.get("accessRole", "")).lower(), 2)
    )
    if not ranked:
        return ""
    lever_settings_update(
        integration=integration,
        perform_as=str(ranked[0]["id"]),
        perform_as_name=str(ranked[0].get("name") or ranked[0].get("email") or ""),
    )
    return str(ranked[0]["id"])
