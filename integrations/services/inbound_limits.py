"""Budgets for what callers make us do: keyed on what a caller proves, never on what it claims.

A header, a query parameter or an integration id in the URL costs nothing to invent, so a
bucket keyed on one is a fresh bucket per request for an attacker (and anyone who knows an
integration's URL could empty that integration's bucket and get its real ATS answered 429).
So there are three kinds of budget, each keyed on something the caller cannot choose:

- verified: per integration, taken only once a delivery's signature verified (webhooks) or a
  partner call authenticated (its key): INBOUND_RATE_LIMITS, per provider. A retry storm from
  one ATS account is slowed to its own budget and never to another's.
- failure: per client address (jobcannon/core/clientaddr.py, /64 for IPv6), taken by every
  request that fails (bad signature, unknown integration, wrong partner key):
  INBOUND_FAILURE_RATE_LIMITS. Past it a failing request is answered 429 and not stored. A
  verified delivery never looks at it, so a failing caller cannot lock out a verified one,
  even from the same address (ATSs send for all their customers from a few addresses).
- scan: CPU seconds spent trying integrations' secrets for deliveries on the seeds' hint-less
  route (webhook_sources.py), per client address and per process: WEBHOOK_HINTLESS_SCAN_BUDGET.

Buckets live in process memory (no I/O on the intake's hot path): with N web processes the
effective budget is N times the configured one, which is fine for their job of keeping one
caller from starving the rest. Keys carry settings.RATE_LIMIT_NAMESPACE (each test its own)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

from jobcannon.core.clientaddr import client_bucket

MAX_BUCKETS = 20_000


@dataclass(frozen=True)
class Budget:
    per_second: float
    burst: float


@dataclass
class _Bucket:
    tokens: float
    updated: float


_buckets: OrderedDict[str, _Bucket] = OrderedDict()
_lock = threading.Lock()


def _refilled(key: str, budget: Budget, now: float) -> _Bucket:
    bucket = _buckets.get(key)
    if bucket is None:
        bucket = _buckets[key] = _Bucket(tokens=budget.burst, updated=now)
        if len(_buckets) > MAX_BUCKETS:
            _buckets.popitem(last=False)
    else:
        _buckets.move_to_end(key)
        bucket.tokens = min(budget.burst, bucket.tokens + (now - bucket.updated) * budget.per_second)
        bucket.updated = now
    return bucket


def budget_take(key: str, budget: Budget, cost: float = 1.0) -> float:
    """Take `cost` from the bucket: 0.0 when allowed, else the seconds until it would be."""
    if budget.per_second <= 0:
        return 0.0
    with _lock:
        bucket = _refilled(key, budget, time.monotonic())
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / budget.per_second


def budget_wait(key: str, budget: Budget) -> float:
    """0.0 while the bucket holds anything (a cost not known in advance may then be charged),
    else the seconds until it does."""
    if budget.per_second <= 0:
        return 0.0
    with _lock:
        bucket = _refilled(key, budget, time.monotonic())
        return 0.0 if bucket.tokens > 0 else (1e-3 - bucket.tokens) / budget.per_second


def budget_charge(key: str, budget: Budget, cost: float) -> None:
    """Charge a cost measured after the fact; the bucket may go into debt (paid back by refill)."""
    if budget.per_second <= 0:
        return
    with _lock:
        bucket = _refilled(key, budget, time.monotonic())
        bucket.tokens = max(-budget.burst, bucket.tokens - cost)


def inbound_limits_reset() -> None:
    """Forget every bucket (tests)."""
    with _lock:
        _buckets.clear()


def _namespace() -> str:
    return str(getattr(settings, "RATE_LIMIT_NAMESPACE", "") or "")


def _budget(raw: dict[str, float] | None, default: Budget) -> Budget:
    raw = raw or {}
    return Budget(
        per_second=float(raw.get("per_second", default.per_second)),
        burst=float(raw.get("burst", default.burst)),
    )


# --- the three kinds ----------------------------------------------------------------------------


def verified_take(*, provider_key: str, public_id: object) -> float:
    """One verified delivery / authenticated partner call of this integration."""
    limits = settings.INBOUND_RATE_LIMITS
    budget = _budget({**limits.get("default", {}), **limits.get(provider_key, {})}, Budget(20, 200))
    return budget_take(f"{_namespace()}:ok:{provider_key}:{public_id}", budget)


def failure_take(*, address: str | None) -> float:
    """One failed request from this client address."""
    budget = _budget(getattr(settings, "INBOUND_FAILURE_RATE_LIMITS", None), Budget(1, 100))
    return budget_take(f"{_namespace()}:fail:{client_bucket(address)}", budget)


def _scan_budgets(address: str | None) -> list[tuple[str, Budget]]:
    raw = getattr(settings, "WEBHOOK_HINTLESS_SCAN_BUDGET", {}) or {}
    ns = _namespace()
    return [
        (f"{ns}:scan:{client_bucket(address)}", _budget(raw.get("per_source"), Budget(0.02, 0.2))),
        (f"{ns}:scan:*", _budget(raw.get("per_process"), Budget(0.02, 0.2))),
    ]


def scan_wait(*, address: str | None) -> float:
    """0.0 when a hint-less scan may start for this address, else seconds to wait."""
    return max(budget_wait(key, budget) for key, budget in _scan_budgets(address))


def scan_charge(*, address: str | None, seconds: float) -> None:
    for key, budget in _scan_budgets(address):
        budget_charge(key, budget, seconds)
