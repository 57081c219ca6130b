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
  route (webhook_sources.py), per client address, and from one pool of WEBHOOK_HINTLESS_SCAN_BUDGET:
  "small", one per provider, for a body of at most WEBHOOK_HINTLESS_SMALL_BODY_BYTES (what vendors
  send), charged its measured HMAC time only; for a larger body, or a small one once "small" is
  spent: "unproven", one per provider, for addresses that never sent a delivery which verified;
  "proven", one per workspace, for an address that did (an ATS sending for a customer not yet seen
  from it), keyed on the workspace of the integration that address last verified with. Junk from
  addresses that never verified (however many) only empties the unproven pool; junk from
  addresses someone proved with their own (free, sandbox) integration only empties that
  workspace's pool, so neither can lock out another account's sender. A small scan is so cheap
  (~0.5-1.5 ms for 50 integrations) that junk at the rates seen (50 req/s) does not empty the
  small pool: a correctly signed delivery from an address never seen before (an ATS's first
  delivery, a new egress address, memory lost) is still found, where one shared unproven pool
  answered it 429 for as long as the junk lasted (issue 21). How many new addresses one
  integration may prove is capped too (WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY, proof_take).
- storage: rejected (unverified) rows stored per provider, whatever their address
  (WEBHOOK_REJECTED_STORE_BUDGET): the failure budget is per /64 and a /48 holds 65,536 of them,
  so it alone does not bound the table. Past it a failing delivery is answered as before (401 with
  its reason) but not stored (webhook_intake.py).

Where the buckets live. With Redis (RATE_LIMIT_BACKEND "redis", as the outbound limiter) every
web process of every server takes from the same buckets (one Lua call each, on Redis's clock), so
a budget means what it says however many servers run; the addresses' remembered integrations
(webhook_sources.py) are kept there too. Otherwise (the embedded default: one machine) they live
in process memory and each process has the configured budget. Redis unreachable: the process
falls back to its memory for REDIS_RETRY_SECONDS, so the intake keeps answering (it never waits
on a budget store it cannot reach). Keys carry settings.RATE_LIMIT_NAMESPACE (each test its own)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from jobcannon.core.clientaddr import client_bucket
from jobcannon.core.perprocess import per_process

logger = logging.getLogger(__name__)

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


def _memory(key: str, budget: Budget, cost: float, mode: str) -> float:
    with _lock:
        bucket = _refilled(key, budget, time.monotonic())
        if mode == "take":
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / budget.per_second
        if mode == "wait":
            return 0.0 if bucket.tokens > 0 else (1e-3 - bucket.tokens) / budget.per_second
        bucket.tokens = max(-budget.burst, bucket.tokens - cost)
        return 0.0


# The same three operations as _memory, atomically on Redis's clock. The result is a string: Redis
# turns a Lua number into an integer, and waits are fractions of a second.
_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost, mode = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local v = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens, updated = tonumber(v[1]), tonumber(v[2])
if tokens == nil or updated == nil then tokens, updated = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if mode == 'take' then
  if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
elseif mode == 'wait' then
  if tokens <= 0 then wait = (0.001 - tokens) / rate end
else
  tokens = math.max(-burst, tokens - cost)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.floor(math.min(86400, 2 * burst / rate + 1) * 1000))
return string.format('%.17g', wait)
"""
REDIS_RETRY_SECONDS = 5.0
_redis_down_until = 0.0


def _redis_connect() -> dict[str, Any]:
    from redis import Redis

    # Short timeouts: the intake never waits long on a budget store it cannot reach.
    client = Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return {"client": client, "script": client.register_script(_BUCKET_LUA)}


def _redis() -> dict[str, Any] | None:
    """The process's Redis client and bucket script, or None (no Redis configured, or it failed
    within the last REDIS_RETRY_SECONDS)."""
    if getattr(settings, "RATE_LIMIT_BACKEND", "") != "redis" or not getattr(settings, "REDIS_URL", ""):
        return None
    if _redis_down_until > time.monotonic():
        return None
    return per_process(f"inbound-redis:{settings.REDIS_URL}", _redis_connect)


def _redis_failed(exc: Exception) -> None:
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    logger.warning("inbound_limits.redis_unavailable", extra={"error_class": type(exc).__name__})


def _prefix() -> str:
    return f"{getattr(settings, 'REDIS_KEY_PREFIX', 'jobcannon')}:inbound:"


def _op(key: str, budget: Budget, cost: float, mode: str) -> float:
    if budget.per_second <= 0:
        return 0.0
    shared = _redis()
    if shared is not None:
        try:
            return float(
                shared["script"](keys=[_prefix() + key], args=[budget.per_second, budget.burst, cost, mode])
            )
        except Exception as exc:  # noqa: BLE001 - any Redis failure: this process's memory meanwhile
            _redis_failed(exc)
    return _memory(key, budget, cost, mode)


def budget_take(key: str, budget: Budget, cost: float = 1.0) -> float:
    """Take `cost` from the bucket: 0.0 when allowed, else the seconds until it would be."""
    return _op(key, budget, cost, "take")


# Buckets this process has seen empty, and until when (monotonic): nothing but the refill adds to a
# bucket, so until then it is empty whoever else takes from it, and asking Redis again is a round
# trip for nothing. Junk refused on the hint-less route then costs one round trip, not three.
_empty_until: dict[str, float] = {}


def budget_wait(key: str, budget: Budget) -> float:
    """0.0 while the bucket holds anything (a cost not known in advance may then be charged),
    else the seconds until it does."""
    now = time.monotonic()
    until = _empty_until.get(key, 0.0)
    if until > now:
        return until - now
    wait = _op(key, budget, 0.0, "wait")
    if wait > 0:
        if len(_empty_until) > MAX_BUCKETS:
            _empty_until.clear()
        _empty_until[key] = now + wait
    return wait


def budget_charge(key: str, budget: Budget, cost: float) -> None:
    """Charge a cost measured after the fact; the bucket may go into debt (paid back by refill)."""
    _op(key, budget, cost, "charge")


def shared_get(key: str) -> str | None:
    """A small shared value (webhook_sources.py's remembered integrations): Redis when the
    buckets are there, else None (the caller keeps its own per-process copy)."""
    shared = _redis()
    if shared is None:
        return None
    try:
        value = shared["client"].get(_prefix() + key)
    except Exception as exc:  # noqa: BLE001 - as _op
        _redis_failed(exc)
        return None
    return value.decode() if value is not None else None


def shared_set(key: str, value: str, *, seconds: int) -> None:
    shared = _redis()
    if shared is None:
        return
    try:
        shared["client"].set(_prefix() + key, value, ex=seconds)
    except Exception as exc:  # noqa: BLE001 - as _op
        _redis_failed(exc)


def inbound_limits_reset() -> None:
    """Forget every bucket (tests)."""
    global _redis_down_until
    with _lock:
        _buckets.clear()
        _empty_until.clear()
    _redis_down_until = 0.0


def _namespace() -> str:
    return str(getattr(settings, "RATE_LIMIT_NAMESPACE", "") or "")


def _budget(raw: dict[str, float] | None, default: Budget) -> Budget:
    raw = raw or {}
    return Budget(
        per_second=float(raw.get("per_second", default.per_second)),
        burst=float(raw.get("burst", default.burst)),
    )


# --- the kinds --------------------------------------------------------------------------------


def verified_take(*, provider_key: str, public_id: object) -> float:
    """One verified delivery / authenticated partner call of this integration."""
    limits = settings.INBOUND_RATE_LIMITS
    budget = _budget({**limits.get("default", {}), **limits.get(provider_key, {})}, Budget(20, 200))
    return budget_take(f"{_namespace()}:ok:{provider_key}:{public_id}", budget)


def failure_take(*, address: str | None) -> float:
    """One failed request from this client address."""
    budget = _budget(getattr(settings, "INBOUND_FAILURE_RATE_LIMITS", None), Budget(1, 100))
    return budget_take(f"{_namespace()}:fail:{client_bucket(address)}", budget)


@dataclass(frozen=True)
class ScanLane:
    """Whether a hint-less scan may start, and what it is charged to (scan_lane)."""

    wait: float  # > 0: no scan now, answer 429 with this Retry-After
    small: bool = False  # the small-body pool: charged the measured time, no fixed overhead
    buckets: tuple[tuple[str, Budget], ...] = ()


def _scan_pool(*, provider_key: str, proven_by: int | None) -> tuple[str, Budget]:
    raw = getattr(settings, "WEBHOOK_HINTLESS_SCAN_BUDGET", {}) or {}
    ns = _namespace()
    if proven_by is None:
        return f"{ns}:scan:{provider_key}:unproven", _budget(raw.get("unproven"), Budget(0.02, 0.2))
    return f"{ns}:scan:{provider_key}:proven:{proven_by}", _budget(raw.get("proven"), Budget(0.02, 0.2))


def scan_lane(*, address: str | None, provider_key: str, proven_by: int | None, body_bytes: int) -> ScanLane:
    """Whether a hint-less scan may start for this address and body, and from which pool.
    `proven_by`: the workspace whose integration this address last verified with
    (webhook_sources.py remembers which), None for an address that never verified.

    A body of at most WEBHOOK_HINTLESS_SMALL_BODY_BYTES scans from the provider's "small" pool while
    it holds anything, else (and any larger body) from the address's pool, "unproven" or "proven".
    Every scan also takes from the address's own budget ("per_source"). A setting without a
    "small" entry has no small lane (small bodies scan like any other, as before issue 21's fix)."""
    raw = getattr(settings, "WEBHOOK_HINTLESS_SCAN_BUDGET", {}) or {}
    ns = _namespace()
    pools = [_scan_pool(provider_key=provider_key, proven_by=proven_by)]
    # No "small" entry in the setting: no small-body lane, every body scans from the address's pool.
    small = (f"{ns}:scan:{provider_key}:small", _budget(raw.get("small"), Budget(0.15, 1.5)))
    if "small" in raw and body_bytes <= int(getattr(settings, "WEBHOOK_HINTLESS_SMALL_BODY_BYTES", 0)):
        pools.insert(0, small)
    # The pools first: junk comes from ever new addresses, and an empty pool is known locally.
    # Asked in turn: the next pool only when the one before is empty (a Redis round trip each).
    waits: list[float] = []
    for pool in pools:
        waits.append(budget_wait(*pool))
        if not waits[-1]:
            break
    else:
        return ScanLane(wait=min(waits))
    source = (f"{ns}:scan:{client_bucket(address)}", _budget(raw.get("per_source"), Budget(0.02, 0.2)))
    wait = budget_wait(*source)
    if wait:
        return ScanLane(wait=wait)
    return ScanLane(wait=0.0, small=pool == small, buckets=(source, pool))


def scan_charge(*, lane: ScanLane, seconds: float) -> None:
    for key, budget in lane.buckets:
        budget_charge(key, budget, seconds)


def proof_take(*, provider_key: str, integration_pk: int) -> float:
    """One more client address proved by this integration (its first verified delivery from that
    address): at most WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY a day, refilled continuously.
    0.0 when allowed, else the seconds until it would be."""
    per_day = float(getattr(settings, "WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY", 32))
    return budget_take(
        f"{_namespace()}:prove:{provider_key}:{integration_pk}", Budget(per_day / 86400, per_day)
    )


def rejected_store_take(*, provider_key: str) -> float:
    """One rejected (unverified) row stored for this provider: 0.0 when allowed, else the seconds
    until it would be."""
    budget = _budget(getattr(settings, "WEBHOOK_REJECTED_STORE_BUDGET", None), Budget(1, 1000))
    return budget_take(f"{_namespace()}:store:{provider_key}", budget)
