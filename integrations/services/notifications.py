"""Emails to workspace admins when an integration needs attention and when it recovers."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from integrations.models import Integration, IntegrationStatus
from integrations.registry import provider_for

logger = logging.getLogger(__name__)

ATTENTION = "attention"
RECOVERED = "recovered"


def _kind(previous: str, current: str) -> str:
    if current == IntegrationStatus.NEEDS_REAUTH and previous != IntegrationStatus.NEEDS_REAUTH:
        return ATTENTION
    if previous == IntegrationStatus.NEEDS_REAUTH and current == IntegrationStatus.CONNECTED:
        return RECOVERED
    return ""


def integration_status_notify(*, integration_id: int, previous: str, current: str) -> int:
    """Send the attention / recovered email for a status change; returns the number of
    recipients. Called on commit of the status change; a mail failure is logged, not raised."""
    from jobcannon.workspaces.models import Membership, Role

    kind = _kind(previous, current)
    if not kind:
        return 0
    integration = Integration.objects.filter(pk=integration_id).select_related("workspace").first()
    if integration is None:
        return 0
    recipients = sorted(
        set(
            Membership.objects.filter(
                workspace=integration.workspace, role__in=[Role.OWNER, Role.ADMIN]
            ).values_list("user__email", flat=True)
        )
        - {""}
    )
    if not recipients:
        return 0
    provider = provider_for(integration)
    context = {
        "integration": integration,
        "provider": provider,
        "workspace": integration.workspace,
        "url": settings.JOBCANNON_BASE_URL + reverse("integrations:detail", args=[integration.pk]),
    }
    subject = (
        f"Action needed: {provider.name} ({integration.get_environment_display()}) needs re-authorization"
        if kind == ATTENTION
        else f"Resolved: {provider.name} ({integration.get_environment_display()}) is connected again"
    )
    try:
        send_mail(
            subject=subject,
            message=render_to_string(f"integrations/email/{kind}.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:  # noqa: BLE001 - an SMTP failure must not break the status change
        logger.exception("integration.notify_failed", extra={"integration": integration_id, "kind": kind})
        return 0
    return len(recipients)
