"""Provider-agnostic pieces of partner API authentication (the calls an ATS makes to us with a
credential we issued): storing that credential as a hash, and recording rejected calls without
letting a stream of them grow the logs.

Keys. A partner key is only ever compared, never sent anywhere by us, so it is stored as its
SHA-256 (hex, `sha256:` prefixed) and compared in constant time (`hmac.compare_digest`). The keys
are 256-bit random strings (`secrets.token_urlsafe(32)`), so a fast unsalted hash is enough: no
dictionary to try, and no key stretching needed (OWASP Password Storage Cheat Sheet, "hashing
vs. encryption": stretching is for low-entropy passwords). Shown once when issued.

Failures. What bounds the rows a stream of rejected calls writes (issue 21), in order:

1. The caller's failure budget (INBOUND_FAILURE_RATE_LIMITS, per client bucket: the address, or
   its /64 for IPv6; integrations/services/inbound_limits.py) is taken BEFORE anything is
   written: a rejected call past it writes nothing and InboundGuardMiddleware answers it 429.
   The budget is taken once per request, by partner_auth_failure_record, or by the middleware
   for a 401/403 nobody recorded. A correct key never looks at it, so a failing caller cannot
   lock out a verified one, even from the same address.
2. Within the budget, one integration log line per (integration, client bucket, window of
   PARTNER_AUTH_FAILURE_WINDOW_SECONDS); later rejections in that window raise the count on that
   line (`data["count"]`) and announce it again, so the audit log's mirror (jobcannon.audit,
   subscribed through integrations.services.hooks) updates its one row too. That count lives in
   the cache; with the cache down (no cache table, Redis unreachable) each rejection writes its
   own line, and the call is still answered 401/400, never 500.
3. Whatever the cache does, an integration gets at most PARTNER_AUTH_FAILURE_MAX_LINES lines per
   window, counted in the database: the last one is a summary ("other addresses") whose count
   grows. So many addresses (or the cache down) cannot write more than that many activity rows,
   and as many audit rows, per integration and window. A rejected call whose integration is not
   known writes nothing (only its budget is taken).

All of these rows fall under the retention sweep (jobcannon/audit/retention_logs.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.models import ActivityLevel, Integration, IntegrationActivity
from integrations.services.activity import activity_log
from integrations.services.hooks import activity_announce
from integrations.services.inbound_limits import failure_take
from jobcannon.core.clientaddr import client_bucket

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


def _max_lines() -> int:
    return max(1, int(getattr(settings, "PARTNER_AUTH_FAILURE_MAX_LINES", 20)))


# --- the failure budget of the current request (see the module docstring, 1.) ----------------


@dataclass
class FailureCharge:
    """One inbound partner request's charge to its caller's failure budget: taken at most once.
    `armed` once InboundGuardMiddleware knows the request is a partner call (and its address)."""

    address: str | None = None
    armed: bool = False
    wait: float | None = None  # None: not taken yet; then 0.0 (allowed) or seconds to wait

    @property
    def taken(self) -> bool:
        return self.wait is not None

    def take(self) -> float:
        if self.wait is None:
            self.wait = failure_take(address=self.address)
        return self.wait


_failure_charge: ContextVar[FailureCharge | None] = ContextVar("partner_auth_failure_charge", default=None)


@contextmanager
def partner_failure_scope() -> Iterator[FailureCharge]:
    """Per request (InboundGuardMiddleware): the charge that request's failures take."""
    charge = FailureCharge()
    token = _failure_charge.set(charge)
    try:
        yield charge
    finally:
        _failure_charge.reset(token)


def partner_failure_arm(*, address: str | None) -> None:
    """The current request is a partner call from `address`: its failures are charged."""
    charge = _failure_charge.get()
    if charge is not None:
        charge.address, charge.armed = address, True


def partner_auth_failure_charge() -> float:
    """Charge the current partner request's failure budget (once): 0.0 while it holds, else the
    seconds to wait, and then the middleware answers 429. Outside a partner request (a shell, a
    task) nothing is charged."""
    charge = _failure_charge.get()
    if charge is None or not charge.armed:
        return 0.0
    return charge.take()


# --- the rows ------------------------------------------------------------------------------------


def partner_auth_failure_record(
    *, integration: Integration | None, reason: str, message: str, source: str
) -> None:
    """Record one rejected partner call from `source` (the caller's address; see the module
    docstring): charged first, and nothing is written once the caller's budget is spent or when
    the integration is unknown. `message` is the customer's sentence; the count is appended."""
    if partner_auth_failure_charge() or integration is None:
        return
    window = _window_seconds()
    source = _source_bucket(source)
    # The public id, not the primary key: a key outlives a deleted integration (and, in a shared
    # Redis, a test database whose ids start again at 1).
    key = (
        f"partner-auth-failed:{integration.public_id}:{source.replace(' ', '-')}:{int(time.time() // window)}"
    )
    try:
        with transaction.atomic():  # a savepoint: a missing cache table must not abort the caller's
            count, line = _window_count(key, window)
    except Exception as exc:  # noqa: BLE001 - cache down (no table, Redis unreachable): one line each
        logger.warning("partner_auth.cache_unavailable", extra={"error_class": type(exc).__name__})
        count, line = 1, None
        key = ""
    if count > 1 and line is None:
        return  # the first rejection of the window is still being written: counted next time
    if line is not None and line.get("summary"):
        _summary_bump(integration, reason=reason, message=message, window=window)
        return
    if line is not None and _line_update(integration, line, count=count, reason=reason, window=window):
        return
    data = {"count": count, "source": source, "reason": reason, "first_at": timezone.now().isoformat()}
    written = _line_create(integration, data=data, message=message, window=window)
    if not key:
        return
    try:
        with transaction.atomic():
            cache.set(
                f"{key}:line",
                {"summary": True}
                if written is None
                else {"pk": written.pk, "message": message, "data": written.data},
                timeout=window * 2,
            )
    except Exception as exc:  # noqa: BLE001 - as above: the next failure writes its own line
        logger.warning("partner_auth.cache_unavailable", extra={"error_class": type(exc).__name__})


def _source_bucket(source: str) -> str:
    """Rows are per client bucket (one address, or an IPv6 /64), as the failure budget is: a
    caller with a /64 must not get a fresh line per address."""
    try:
        return client_bucket(source) if source else "unknown address"
    except ValueError:  # not an IP address (callers pass client_address(), so only by mistake)
        return source


def _window_start(window: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(time.time() // window) * window, tz=dt.UTC)


def _window_lines(integration: Integration, window: int) -> QuerySet[IntegrationActivity]:
    """This integration's failure lines of the current window."""
    return IntegrationActivity.objects.filter(
        integration=integration, kind=FAILURE_KIND, created_at__gte=_window_start(window)
    )


def _lock(integration: Integration) -> None:
    """Lock the integration row: the cap of lines per window is counted under it."""
    list(Integration.objects.select_for_update().filter(pk=integration.pk).values_list("pk"))


def _line_create(
    integration: Integration, *, data: dict, message: str, window: int
) -> IntegrationActivity | None:
    """A new line for this client bucket, unless the integration already has its cap of lines
    this window (counted in the database, under a lock on the integration row, so the cap holds
    with the cache down and across processes): then the window's summary line counts it, and
    None is returned."""
    limit = _max_lines()
    with transaction.atomic():
        _lock(integration)
        lines = _window_lines(integration, window).count()
        if lines < limit - 1:
            return activity_log(
                integration=integration,
                kind=FAILURE_KIND,
                level=ActivityLevel.ERROR,
                message=message,
                data=data,
            )
        _summary_bump(integration, reason=data["reason"], message=message, window=window, lines=lines)
    return None


def _summary_bump(
    integration: Integration, *, reason: str, message: str, window: int, lines: int | None = None
) -> None:
    """Count one more rejected call on this window's summary line, written by the first call
    past the cap. The caller holds (or this takes) the lock on the integration row."""
    with transaction.atomic():
        if lines is None:
            _lock(integration)
        summary = _window_lines(integration, window).filter(data__summary=True).order_by("-pk").first()
        if summary is not None:
            line = {"pk": summary.pk, "message": message, "data": summary.data}
            _line_update(
                integration, line, count=int(summary.data.get("count", 1)) + 1, reason=reason, window=window
            )
            return
        if lines is None:  # the summary line was purged meanwhile: start again
            lines = _window_lines(integration, window).count()
        if lines >= _max_lines():
            return  # cannot happen while the lock is honoured; never more lines than the cap
        data = {
            "count": 1,
            "source": "other addresses",
            "summary": True,
            "reason": reason,
            "first_at": timezone.now().isoformat(),
        }
        activity_log(
            integration=integration,
            kind=FAILURE_KIND,
            level=ActivityLevel.ERROR,
            message=f"{message} (From more addresses than the {_max_lines() - 1} logged separately "
            "this window: counted here.)",
            data=data,
        )


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
    minutes, per = max(1, round(elapsed / 60)), max(1, window // 60)
    if data.get("summary"):
        text = (
            f"{line['message']} ({count} rejected calls from more addresses than the "
            f"{_max_lines() - 1} logged separately, in {minutes} min; at most {_max_lines()} lines "
            f"per {per} min.)"
        )
    else:
        text = (
            f"{line['message']} ({count} rejected calls from {data['source']} in {minutes} min; "
            f"one line per {per} min.)"
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
