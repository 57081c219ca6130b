"""Shareable reconnect links: signed, expiring, single-use, for the customer's ATS admin who has
no JobCannon account. Re-authorizing through one keeps the same integration (same webhook URLs,
runs and logs); write-backs waiting on it resume when the new credentials check out.

The link carries (integration id, nonce, fingerprint of the current credentials), signed with
SECRET_KEY. It dies when it expires, when it was used (the nonce is marked in the cache), and
once other credentials than those it was made for are in place and working, which a successful
reconnect always leaves behind. No table needed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from integrations.models import Integration, IntegrationStatus, Token
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ApplicationError

SALT = "integrations.reconnect-link"
MAX_AGE = timedelta(hours=72)


class ReconnectLinkInvalid(ApplicationError):
    code = "reconnect_link_invalid"
    status = 410


def _fingerprint(integration: Integration) -> str:
    token = Token.objects.filter(integration=integration).only("refresh_token", "access_token").first()
    material = (integration.credentials or {}).get("api_key", "")
    if token is not None:
        material += "|" + (token.refresh_token or token.access_token)
    return hashlib.sha256(f"{integration.pk}:{material}".encode()).hexdigest()[:20]


def _used_key(nonce: str) -> str:
    return f"integrations:reconnect-used:{nonce}"


def reconnect_link_create(*, integration: Integration, created_by=None) -> str:
    """An absolute URL; valid for MAX_AGE, once."""
    payload = {"i": integration.pk, "n": secrets.token_urlsafe(12), "f": _fingerprint(integration)}
    token = signing.dumps(payload, salt=SALT)
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
    integration = (
        Integration.objects.filter(pk=int(data.get("i") or 0)).select_related("workspace").first()
        if isinstance(data, dict)
        else None
    )
    if integration is None or integration.status == IntegrationStatus.DISCONNECTED:
        raise ReconnectLinkInvalid("This integration no longer exists or was disconnected.")
    nonce = str(data.get("n", ""))
    # Used = marked in the cache, or (should the cache have lost it) credentials that changed
    # since the link was made and work now. A failed attempt leaves the link usable.
    replaced = (
        data.get("f") != _fingerprint(integration) and integration.status == IntegrationStatus.CONNECTED
    )
    if cache.get(_used_key(nonce)) or replaced:
        raise ReconnectLinkInvalid(
            "This reconnect link was already used. Ask the JobCannon admin of your company for a new one."
        )
    return integration, nonce


def reconnect_link_consume(*, integration: Integration, nonce: str) -> None:
    cache.set(_used_key(nonce), 1, timeout=int(MAX_AGE.total_seconds()))
    activity_log(
        integration=integration,
        kind="reconnect.link_used",
        message="Re-authorized through a reconnect link.",
    )
