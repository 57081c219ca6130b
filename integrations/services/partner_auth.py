"""Provider-agnostic pieces of partner API authentication (the calls an ATS makes to us with a
credential we issued): storing that credential as a hash, and recording rejected calls without
letting a stream of them grow the logs.

Keys. A partner key is only ever compared, never sent anywhere by us, so it is stored as its
SHA-256 (hex, `sha256:` prefixed) and compared in constant time (`hmac.compare_digest`). The keys
are 256-bit random strings (`secrets.token_urlsafe(32)`), so a fast unsalted hash is enough: no
dictionary to try, and no key stretching needed (OWASP Password Storage Cheat Sheet, "hashing
vs. encryption": stretching is for low-entropy passwords). Shown once when issued.

Failures. Each rejected call whose integration is known writes at most one integration log line
and one audit event per (integration, calling address, window of PARTNER_AUTH_FAILURE_WINDOW
seconds); later rejections in that window only raise the count those rows carry. Both kinds of
rows fall under the retention sweep (jobcannon/audit/retention.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from integrations.models import ActivityLevel, Integration, IntegrationActivity
from jobcannon.audit.context import current_actor
from jobcannon.audit.models import AuditEvent
from jobcannon.core.logging import redact

logger = logging.getLogger(__name__)

HASH_PREFIX = "sha256:"
FAILURE_KIND = "partner.auth_failed"


def partner_secret_hash(secret: str) -> str:
    """What is stored for a partner key: `sha256:<hex>`."""
    return HASH_PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def partner_secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Constant-time check of a presented key against the stored hash (False when none is stored)."""
    if not secret or not stored_hash or not stored_hash.startswith(HASH_PREFIX):
        return False
    return hmac.compare_digest(partner_secret_hash(secret), stored_hash)


def _window_seconds() -> int:
    return int(getattr(settings, "PARTNER_AUTH_FAILURE_WINDOW_SECONDS", 900))


def partner_auth_failure_record(*, integration: Integration, reason: str, message: str) -> None:
    """Record one rejected partner call (see the module docstring). `message` is the customer's
    sentence for the first rejection; the count and window are appended as more arrive."""
    window = _window_seconds()
    source = current_actor().ip or "unknown address"
    # The public id, not the primary key: a key outlives a deleted integration (and, in a shared
    # Redis, a test database whose ids start again at 1).
    key = f"partner-auth-failed:{integration.public_id}:{source}:{int(time.time() // window)}"
    count = 1
    if not cache.add(f"{key}:count", 1, timeout=window * 2):
        try:
            count = cache.incr(f"{key}:count")
        except ValueError:  # expired between add() and incr()
            count = 1
        rows = cache.get(f"{key}:rows")
        if rows is None and count > 1:
            return  # the first rejection of the window is still being written: counted next time
        if rows is not None and _rows_update(rows, count=count, reason=reason, source=source, window=window):
            return
    _rows_create(
        integration, key=key, count=count, reason=reason, source=source, message=message, window=window
    )


def _rows_create(
    integration: Integration, *, key: str, count: int, reason: str, source: str, message: str, window: int
) -> None:
    from jobcannon.audit.services import audit_record_from_activity

    data = {"count": count, "source": source, "reason": reason, "first_at": timezone.now().isoformat()}
    activity = IntegrationActivity.objects.create(
        integration=integration, kind=FAILURE_KIND, level=ActivityLevel.ERROR, message=message, data=data
    )
    audit = audit_record_from_activity(activity=activity)
    rows = {"activity": activity.pk, "audit": audit.pk if audit else None, "message": message, "data": data}
    cache.set(f"{key}:rows", rows, timeout=window * 2)


def _rows_update(rows: dict, *, count: int, reason: str, source: str, window: int) -> bool:
    """Raise the count on the window's rows. False when they are gone (purged meanwhile)."""
    now = timezone.now()
    data = {**rows["data"], "count": count, "reason": reason, "last_at": now.isoformat()}
    elapsed = (now - dt.datetime.fromisoformat(rows["data"]["first_at"])).total_seconds()
    text = (
        f"{rows['message']} ({count} rejected calls from {source} in {max(1, round(elapsed / 60))} min; "
        f"one line per {max(1, window // 60)} min.)"
    )
    if not IntegrationActivity.objects.filter(pk=rows["activity"]).update(message=text, data=data):
        return False
    if rows["audit"]:
        AuditEvent.objects.filter(pk=rows["audit"]).update(
            message=text, data=redact({"activity": FAILURE_KIND, **data})
        )
    return True
