"""An integration's status (connected, needs re-authorization, ...): the one place it changes,
logged to its activity and mailed to the workspace's admins when it changes. Its own module so
the services that notice a status change (write-backs, webhooks, OAuth, the sync) and the
connect flow that resumes write-backs (services.integrations) do not import each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.models import ActivityLevel, Integration, IntegrationStatus
from integrations.services.activity import activity_log


def _stored_status(integration: Integration, *, lock: bool) -> Mapping[str, Any] | None:
    rows = Integration.objects.select_for_update() if lock else Integration.objects.all()
    return rows.filter(pk=integration.pk).values("status", "status_reason", "status_changed_at").first()


def integration_reason_set(*, integration: Integration, reason: str) -> Integration:
    """The reason only, the status unchanged: no status change to log, date or mail. For a
    reason refreshed as a side note (an unjudged check, a provider's connected_reason)."""
    if integration.status_reason != reason:
        integration.status_reason = reason
        integration.save(update_fields=["status_reason", "updated_at"])
    return integration


@transaction.atomic
def integration_set_status(*, integration: Integration, status: str, reason: str = "") -> Integration:
    # Compared with the stored row, not the caller's copy: another copy of the same integration
    # (a token's, during the refresh a credentials check triggers) may have changed it already,
    # and the same change recorded twice would be logged and mailed twice. Read without a lock
    # first, so a call that changes nothing (the common case on the webhook and write-back
    # paths) takes no row lock; a change locks the row and reads it again.
    stored = _stored_status(integration, lock=False)
    if stored is not None and (stored["status"], stored["status_reason"]) != (status, reason):
        stored = _stored_status(integration, lock=True)
    if stored is not None:
        integration.status, integration.status_reason = stored["status"], stored["status_reason"]
        integration.status_changed_at = stored["status_changed_at"]
    if integration.status == status and integration.status_reason == reason:
        return integration
    previous = integration.status
    if previous == status:
        # The reason only: no status change to log, date or mail ("pending → pending" read as one).
        integration_reason_set(integration=integration, reason=reason)
        if reason:
            activity_log(
                integration=integration,
                kind="status.reason",
                # A new refusal of a needs-reauth integration is still an error to read.
                level=ActivityLevel.ERROR if status == IntegrationStatus.NEEDS_REAUTH else ActivityLevel.INFO,
                message=f"{status}: {reason}",
            )
        return integration
    integration.status = status
    integration.status_reason = reason
    integration.status_changed_at = timezone.now()
    integration.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    level = ActivityLevel.ERROR if status == IntegrationStatus.NEEDS_REAUTH else ActivityLevel.INFO
    activity_log(
        integration=integration,
        kind="status.changed",
        level=level,
        message=f"Status {previous} → {status}" + (f": {reason}" if reason else ""),
        data={"from": previous, "to": status},
    )
    # Email workspace admins when it needs attention / recovers (console, issue 9).
    from integrations.services.notifications import integration_status_notify

    pk = integration.pk
    transaction.on_commit(
        lambda: integration_status_notify(integration_id=pk, previous=previous, current=status)
    )
    return integration


def integration_mark_needs_reauth(*, integration: Integration, reason: str) -> Integration:
    return integration_set_status(
        integration=integration, status=IntegrationStatus.NEEDS_REAUTH, reason=reason
    )
