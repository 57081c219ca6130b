"""Provider-agnostic pieces of partner API authentication (the calls an ATS makes to us with a
credential we issued): storing that credential as a hash, and recording rejected calls without
letting a stream of them grow the logs.

Keys. A partner key is only ever compared, never sent anywhere by us, so it is stored as its
SHA-256 (hex, `sha256:` prefixed) and compared in constant time (`hmac.compare_digest`). The keys
are 256-bit random strings (`secrets.token_urlsafe(32)`), so a fast unsalted hash is enough: no
dictionary to try, and no key stretching needed (OWASP Password Storage Cheat Sheet, "hashing
vs. encryption": stretching is for low-entropy passwords). Shown once when issued.

Failures. Each rejected call whose integration is known writes at most one integration log line
per (integration, calling address, window of PARTNER_AUTH_FAILURE_WINDOW_SECONDS); later
rejections in that window raise the count on that line (`data["count"]`) and announce it again,
so the audit log's mirror (jobcannon.audit, subscribed through integrations.services.hooks)
updates its one row too. Both fall under the retention sweep (jobcannon/audit/retention_logs.py).
The window's count lives in the cache; with the cache down (no cache table, Redis unreachable)
each rejection writes its own line (their number is bounded by the caller address's failure
budget, inbound_limits.py) and the call is still answered 401, never 500."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from integrations.models import ActivityLevel, Integration, IntegrationActivity
from integrations.services.activity import activity_log
from integrations.services.hooks import activity_announce

HASH_PREFIX = "sha256:"
FAILURE_KIND = "partner.auth_failed"

logger = logging.getLogger(__name__)


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


def partner_auth_failure_record(*, integration: Integration, reason: str, message: str, source: str) -> None:
    """Record one rejected partner call from `source` (the caller's address; see the module
    docstring). `message` is the customer's sentence; the count and window are appended."""
    window = _window_seconds()
    source = source or "unknown address"
    # The public id, not the primary key: a key outlives a deleted integration (and, in a shared
    # Redis, a test database whose ids start again at 1).
    key = f"partner-auth-failed:{integration.public_id}:{source}:{int(time.time() // window)}"
    try:
        with transaction.atomic():  # a savepoint: a missing cache table must not abort the caller's
            count, line = _window_count(key, window)
    except Exception as exc:  # noqa: BLE001 - cache down (no table, Redis unreachable): one line each
        logger.warning("partner_auth.cache_unavailable", extra={"error_class": type(exc).__name__})
        count, line = 1, None
        key = ""
    if count > 1 and line is None:
        return  # the first rejection of the window is still being written: counted next time
    if line is not None and _line_update(integration, line, count=count, reason=reason, window=window):
        return
    data = {"count": count, "source": source, "reason": reason, "first_at": timezone.now().isoformat()}
    activity = activity_log(
        integration=integration, kind=FAILURE_KIND, level=ActivityLevel.ERROR, message=message, data=data
    )
    if not key:
        return
    try:
        with transaction.atomic():
            cache.set(
                f"{key}:line", {"pk": activity.pk, "message": message, "data": data}, timeout=window * 2
            )
    except Exception as exc:  # noqa: BLE001 - as above: the next failure writes its own line
        logger.warning("partner_auth.cache_unavailable", extra={"error_class": type(exc).__name__})


def _window_count(key: str, window: int) -> tuple[int, dict | None]:
    """This window's count of failures (this one included) and its line, if written yet."""
    if cache.add(f"{key}:count", 1, timeout=window * 2):
        return 1, None
    try:
        count = cache.incr(f"{key}:count")
    except ValueError:  # expired between add() and incr()
        return 1, None
    return count, cache.get(f"{key}:line")


def _line_update(integration: Integration, line: dict, *, count: int, reason: str, window: int) -> bool:
    """Raise the count on the window's line and announce it. False when it is gone (purged)."""
    now = timezone.now()
    data = {**line["data"], "count": count, "reason": reason, "last_at": now.isoformat()}
    elapsed = (now - dt.datetime.fromisoformat(line["data"]["first_at"])).total_seconds()
    text = (
        f"{line['message']} ({count} rejected calls from {data['source']} in "
        f"{max(1, round(elapsed / 60))} min; one line per {max(1, window // 60)} min.)"
    )
    if not IntegrationActivity.objects.filter(pk=line["pk"]).update(message=text, data=data):
        return False
    activity_announce(
        activity=IntegrationActivity(
            pk=line["pk"],
            integration=integration,
            kind=FAILURE_KIND,
            level=ActivityLevel.ERROR,
            message=text,
            data=data,
        )
    )
    return True
