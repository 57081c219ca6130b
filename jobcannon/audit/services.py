"""Writing the audit log. Other apps call `audit_record`; integration activity lines that are
security-relevant are mirrored here by `audit_record_from_activity` (one hook in activity_log)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import models

from jobcannon.audit.context import current_actor
from jobcannon.audit.models import AuditEvent
from jobcannon.core.logging import current_request_id, redact

logger = logging.getLogger(__name__)

# Integration activity kinds that are audit events too (connect, re-authorize, secret rotation).
ACTIVITY_ACTIONS = {
    "oauth.authorized": "integration.authorized",
    "oauth.denied": "integration.authorization_denied",
    "webhook_secret.rotated": "secret.rotated",
    "webhook_secret.retired": "secret.retired",
    "partner_key.issued": "secret.issued",
    "partner_key.rotated": "secret.rotated",
    "reconnect.link_created": "reconnect_link.created",
    "reconnect.link_used": "reconnect_link.used",
    "reconnect.link_revoked": "reconnect_link.revoked",
    "partner.auth_failed": "partner.auth_failed",
}
# Provider-specific kinds (`<provider>.<suffix>`) that change a secret or a trust relationship.
PROVIDER_SUFFIXES = (
    "secrets_created",
    "secrets_rotated",
    "secrets_discarded",
    "api_key_changed",
    "api_key_retired",
    "signature_token_added",
    "partner_registered",
    "partner_unregistered",
)
STATUS_ACTIONS = {
    "connected": "integration.connected",
    "disconnected": "integration.disconnected",
    "needs_reauth": "integration.needs_reauth",
}


def _label(user: Any) -> str:
    return getattr(user, "email", "") or user.get_username()


def audit_record(
    *,
    action: str,
    message: str,
    workspace: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    data: dict[str, Any] | None = None,
    actor: Any = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event. The actor defaults to whoever the current request is signed in
    as (or "system"). `data` is redacted like a log line: never a secret in the audit log."""
    context = current_actor()
    user = actor if actor is not None else context.user
    if target is not None and not target_label:
        target_label = str(target)[:200]
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=user if user is not None and getattr(user, "pk", None) else None,
        actor_label=(actor_label or (_label(user) if user is not None else context.label))[:254],
        ip=context.ip,
        request_id=current_request_id()[:64],
        action=action[:60],
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label[:200],
        message=message,
        data=redact(data or {}),
    )


def _activity_action(kind: str, data: dict[str, Any]) -> str | None:
    if kind == "status.changed":
        if data.get("from") == data.get("to"):
            return None
        return STATUS_ACTIONS.get(str(data.get("to")))
    if kind in ACTIVITY_ACTIONS:
        return ACTIVITY_ACTIONS[kind]
    _, _, suffix = kind.partition(".")
    return kind if suffix in PROVIDER_SUFFIXES else None


# Activity lines that are one row per window whose count grows (integrations/services/
# partner_auth.py): announced again at each new count, their audit mirror is updated in place.
AGGREGATED_KINDS = frozenset({"partner.auth_failed"})


def audit_record_from_activity(*, activity: Any) -> AuditEvent | None:
    """Mirror a security-relevant integration activity line into the audit log."""
    action = _activity_action(activity.kind, activity.data or {})
    if action is None:
        return None
    integration = activity.integration
    if activity.kind in AGGREGATED_KINDS:
        data = {"activity": activity.kind, "activity_id": activity.pk, **(activity.data or {})}
        if (activity.data or {}).get("count", 1) > 1:
            mirror = AuditEvent.objects.filter(
                action=action, workspace=integration.workspace, data__activity_id=activity.pk
            ).first()
            if mirror is not None:
                mirror.message, mirror.data = activity.message, redact(data)
                mirror.save(update_fields=["message", "data"])
                return mirror
        return audit_record(
            action=action,
            message=activity.message,
            workspace=integration.workspace,
            target=integration,
            target_label=f"{integration.provider} ({integration.environment})",
            data=data,
        )
    return audit_record(
        action=action,
        message=activity.message,
        workspace=integration.workspace,
        target=integration,
        target_label=f"{integration.provider} ({integration.environment})",
        data={"activity": activity.kind, **(activity.data or {})},
    )


def audit_replayed(*, target: Any) -> AuditEvent:
    """A webhook event reprocessed or a write-back replayed (staff or customer action)."""
    integration = target.integration
    kind = "webhook.reprocessed" if target._meta.model_name == "webhookevent" else "writeback.replayed"
    what = getattr(target, "event_type", "") or getattr(target, "kind", "")
    return audit_record(
        action=kind,
        message=f"{'Webhook event' if kind.startswith('webhook') else 'Write-back'} {what} #{target.pk} queued again.",
        workspace=integration.workspace if integration is not None else None,
        target=target,
        target_label=f"{target.provider if hasattr(target, 'provider') else integration.provider} #{target.pk}",
    )
