"""Shareable reconnect links: signed, expiring, single-use and revocable, for the customer's ATS
admin who has no JobCannon account. Re-authorizing through one keeps the same integration (same
webhook URLs, runs and logs); write-backs waiting on it resume when the new credentials check out.

The link carries (integration id, nonce), signed with SECRET_KEY; a ReconnectLink row, found by
the nonce's SHA-256, records whether it was used or revoked. It dies when it expires, when it was
used once successfully, or when a workspace admin or staff revoke the open links of the
integration. Single use holds under concurrency: an attempt claims the link (one atomic update)
before it saves any credentials, so a second tab, or whoever else holds the link, is refused
while it runs; a failed attempt releases the link for another try. An OAuth attempt records the
link on its OAuthState row and the callback claims it from there (services/oauth.py), so one
browser that starts twice still gets one re-authorization, and none once the link is revoked.
A row the retention sweep deleted refuses the link like an unknown one."""

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


def reconnect_link_resolve(*, token: str) -> ReconnectLink:
    """The open link a token stands for (its integration loaded). Raises ReconnectLinkInvalid
    with a sentence."""
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
    if link is None or link.revoked_at or link.used_at or link.expires_at <= timezone.now():
        raise ReconnectLinkInvalid(_refusal(link))
    link.integration = integration  # with its workspace, already loaded
    return link


def _refusal(link: ReconnectLink | None) -> str:
    """Why a recorded link can no longer be used, in a sentence for the person holding it."""
    if link is None:
        # Signed by us but not (or no longer) recorded: a link from before links were recorded,
        # or one whose row the retention sweep deleted.
        why = "is no longer valid"
    elif link.revoked_at is not None:
        why = "was revoked"
    elif link.used_at is not None:
        why = "was already used"
    else:
        why = "expired"
    return f"This reconnect link {why}. Ask the JobCannon admin of your company for a new one."


def reconnect_link_claim(*, link_id: int) -> None:
    """Take the link for one re-authorization attempt, before any credentials are saved: one
    atomic update, so of two concurrent attempts exactly one gets it. Raises ReconnectLinkInvalid
    (used, in use, revoked or expired) for the other."""
    now = timezone.now()
    claimed = ReconnectLink.objects.filter(
        pk=link_id, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        raise ReconnectLinkInvalid(_refusal(ReconnectLink.objects.filter(pk=link_id).first()))


def reconnect_link_release(*, link_id: int) -> None:
    """The claimed attempt failed (wrong key, consent denied): the link may be tried again."""
    ReconnectLink.objects.filter(pk=link_id).update(used_at=None)


def reconnect_link_used(*, integration: Integration, checked: bool = True) -> None:
    """The claimed attempt saved credentials (checked, or not yet: the ATS was unavailable): the
    link stays used."""
    activity_log(
        integration=integration,
        kind="reconnect.link_used",
        message="Re-authorized through a reconnect link."
        if checked
        else "New credentials saved through a reconnect link; not checked yet (the ATS could not be "
        "reached): press Test credentials now.",
    )


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
