"""Shareable reconnect links: signed, expiring, single-use and revocable, for the customer's ATS
admin who has no JobCannon account. Re-authorizing through one keeps the same integration (same
webhook URLs, runs and logs); write-backs waiting on it resume when the new credentials check out.

The link carries (integration id, nonce), signed with SECRET_KEY; a ReconnectLink row, found by
the nonce's SHA-256, records whether it was used or revoked. It dies when it expires, when it was
used once successfully (an atomic update: two tabs cannot both use it), or when a workspace admin
or staff revoke the open links of the integration."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.models import Integration, IntegrationStatus, ReconnectLink
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ApplicationError

SALT = "integrations.reconnect-link"
MAX_AGE = timedelta(hours=72)


class ReconnectLinkInvalid(ApplicationError):
    code = "reconnect_link_invalid"
    status = 410


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def reconnect_link_create(*, integration: Integration, created_by=None) -> str:
    """An absolute URL; valid for MAX_AGE, once."""
    nonce = secrets.token_urlsafe(16)
    ReconnectLink.objects.create(
        integration=integration,
        nonce_sha256=_nonce_hash(nonce),
        expires_at=timezone.now() + MAX_AGE,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    token = signing.dumps({"i": integration.pk, "n": nonce}, salt=SALT)
    who = getattr(created_by, "email", "") or "JobCannon"
    activity_log(
        integration=integration,
        kind="reconnect.link_created",
        message=f"Reconnect link created by {who} (valid {int(MAX_AGE.total_seconds() // 3600)} hours, single use).",
    )
    return settings.JOBCANNON_BASE_URL + reverse("integrations:reconnect", args=[token])


def reconnect_link_resolve(*, token: str) -> tuple[Integration, str]:
    """The integration a link is for, and its nonce. Raises ReconnectLinkInvalid with a sentence."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise ReconnectLinkInvalid(
            "This reconnect link expired. Ask the JobCannon admin of your company for a new one."
        )
    except signing.BadSignature:
        raise ReconnectLinkInvalid("This reconnect link is not valid. Copy the whole link from the message.")
    if not isinstance(data, dict):
        raise ReconnectLinkInvalid("This reconnect link is not valid. Copy the whole link from the message.")
    try:
        integration_id = int(data.get("i") or 0)
    except (TypeError, ValueError):
        integration_id = 0
    integration = Integration.objects.filter(pk=integration_id).select_related("workspace").first()
    if integration is None or integration.status == IntegrationStatus.DISCONNECTED:
        raise ReconnectLinkInvalid("This integration no longer exists or was disconnected.")
    nonce = str(data.get("n", ""))
    link = ReconnectLink.objects.filter(integration=integration, nonce_sha256=_nonce_hash(nonce)).first()
    if link is None:
        # Signed by us but never recorded: a link from before links were recorded, 72 hours at most.
        raise ReconnectLinkInvalid(
            "This reconnect link is no longer valid. Ask the JobCannon admin of your company for a new one."
        )
    if link.revoked_at is not None:
        raise ReconnectLinkInvalid(
            "This reconnect link was revoked. Ask the JobCannon admin of your company for a new one."
        )
    if link.used_at is not None:
        raise ReconnectLinkInvalid(
            "This reconnect link was already used. Ask the JobCannon admin of your company for a new one."
        )
    if link.expires_at <= timezone.now():
        raise ReconnectLinkInvalid(
            "This reconnect link expired. Ask the JobCannon admin of your company for a new one."
        )
    return integration, nonce


def reconnect_link_consume(*, integration: Integration, nonce: str) -> bool:
    """Mark the link used (after the new credentials worked). False when it already was, or was
    revoked meanwhile: whichever request gets here first uses it."""
    used = ReconnectLink.objects.filter(
        integration=integration,
        nonce_sha256=_nonce_hash(nonce),
        used_at__isnull=True,
        revoked_at__isnull=True,
    ).update(used_at=timezone.now())
    if used:
        activity_log(
            integration=integration,
            kind="reconnect.link_used",
            message="Re-authorized through a reconnect link.",
        )
    return bool(used)


def reconnect_links_open_count(*, integration: Integration) -> int:
    return ReconnectLink.objects.filter(
        integration=integration, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()


@transaction.atomic
def reconnect_links_revoke(*, integration: Integration, revoked_by=None) -> int:
    """Revoke every open reconnect link of the integration (a workspace admin's or staff action).
    Returns how many were open."""
    revoked = ReconnectLink.objects.filter(
        integration=integration, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).update(revoked_at=timezone.now())
    if revoked:
        who = getattr(revoked_by, "email", "") or "JobCannon"
        activity_log(
            integration=integration,
            kind="reconnect.link_revoked",
            message=f"{revoked} open reconnect link(s) revoked by {who}.",
            data={"revoked": revoked},
        )
    return revoked
