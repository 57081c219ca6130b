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
  route (webhook_sources.py), per client address, and from one lane of WEBHOOK_HINTLESS_SCAN_BUDGET:
  the small-body lane, for a body of at most WEBHOOK_HINTLESS_SMALL_BODY_BYTES (what vendors send):
  "small_network", one per provider and source network (/24 IPv4, /48 IPv6: what one sender can
  cycle addresses in), and "small", one per provider, the last resort that bounds the lane's CPU
  whatever the number of networks; both must hold something and both are charged the measured
  HMAC time plus WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS. For a larger body, or a small one once
  its network's share or the lane is spent: "unproven", one per provider, for addresses that never
  sent a delivery which verified; "proven", one per workspace, for an address that did (an ATS
  sending for a customer not yet seen from it), keyed on the workspace of the integration that
  address last verified with. Junk from addresses that never verified (however many) only empties
  the unproven pool; junk from addresses someone proved with their own (free, sandbox) integration
  only empties that workspace's pool, so neither can lock out another account's sender. Junk
  from one network (a machine, a /24 or /48 of addresses) spends its network's share of the small
  lane, then the unproven pool, and is answered 429; a correctly signed delivery from an address
  never seen before (an ATS's first delivery, a new egress address, memory lost) in another
  network is still found. With one provider-wide small pool charged HMAC time only (~0.5 ms a
  scan), small junk above ~310 req/s from any addresses (8 suffice past their per-address budget;
  a /24 holds 256) emptied it and signed deliveries from new addresses got 429 (the audit of issue
  21: 11 of the last 13, after ~6000 requests at ~900 req/s). Only junk
  from more networks than the lane's refill over one network's covers (15 at the defaults),
  sending at full rate together, still empties the provider's "small" pool: that bound is what
  keeps such a flood from taking the server's CPU, and its 429s are retried by the ATS. How many
  new addresses one integration may prove is capped too (WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY,
  proof_take).
- storage: rejected (unverified) rows stored per provider, whatever their address
  (WEBHOOK_REJECTED_STORE_BUDGET): the failure budget is per /64 and a /48 holds 65,536 of them,
  so it alone does not bound the table. Past it a failing delivery is answered as before (401 with
  its reason) but not stored (webhook_intake.py).

Where the buckets live. With Redis (RATE_LIMIT_BACKEND "redis", as the outbound limiter) every
web process of every server takes from the same buckets (one Lua call, on Redis's clock, for
all the buckets one step of a request asks: _ops), so
a budget means what it says however many servers run; the addresses' remembered integrations
(webhook_sources.py) are kept there too. Otherwise (the embedded default: one machine) they live
in process memory and each process has the configured budget. Redis unreachable: the process
falls back to its memory for REDIS_RETRY_SECONDS, so the intake keeps answering (it never waits
on a budget store it cannot reach). Keys carry settings.RATE_LIMIT_NAMESPACE (each test its own)."""

from __future__ import annotations

import ipaddress
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


def _clock() -> float:
    """The in-memory buckets' clock (tests hold it still: nothing refills)."""
    return time.monotonic()


def _memory(key: str, budget: Budget, cost: float, mode: str) -> float:
    with _lock:
        bucket = _refilled(key, budget, _clock())
        if mode == "take":
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / budget.per_second
        if mode == "wait":
            return 0.0 if bucket.tokens > 0 else (1e-3 - bucket.tokens) / budget.per_second
        bucket.tokens = max(-budget.burst, bucket.tokens - cost)
        return 0.0


# The same three operations as _memory, atomically on Redis's clock, on one bucket or several in
# one call (_ops: a request's budgets in one round trip; KEYS[i] with ARGV[4i-3..4i]). Each result
# is a string: Redis turns a Lua number into an integer, and waits are fractions of a second.
# (Several keys in one script assume one Redis, not a Redis Cluster, whose slots would split them.)
_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {}
for i, key in ipairs(KEYS) do
  local j = (i - 1) * 4
  local rate, burst, cost, mode = tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), ARGV[j + 4]
  local v = redis.call('HMGET', key, 'tokens', 'updated')
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
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'updated', string.format('%.17g', now))
  redis.call('PEXPIRE', key, math.floor(math.min(86400, 2 * burst / rate + 1) * 1000))
  out[i] = string.format('%.17g', wait)
end
return out
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
                shared["script"](keys=[_prefix() + key], args=[budget.per_second, budget.burst, cost, mode])[
                    0
                ]
            )
        except Exception as exc:  # noqa: BLE001 - any Redis failure: this process's memory meanwhile
            _redis_failed(exc)
    return _memory(key, budget, cost, mode)


Op = tuple[str, Budget, float, str]  # key, budget, cost, mode ("take", "wait" or "charge")


def _ops(ops: list[Op]) -> list[float]:
    """Several bucket operations, in order, as _op does each: with Redis in one script call (one
    round trip instead of one per bucket: a hint-less scan's lane, its charge and the request's
    failure budget were 11 round trips per junk request, benchmarks section 7); otherwise one
    _op after another."""
    live = [op for op in ops if op[1].per_second > 0]
    shared = _redis() if live else None
    if shared is not None:
        try:
            answers = iter(
                shared["script"](
                    keys=[_prefix() + key for key, *_ in live],
                    args=[a for _, b, cost, mode in live for a in (b.per_second, b.burst, cost, mode)],
                )
            )
            return [float(next(answers)) if op[1].per_second > 0 else 0.0 for op in ops]
        except Exception as exc:  # noqa: BLE001 - as _op
            _redis_failed(exc)
    return [_op(*op) for op in ops]


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
    return budget_waits([(key, budget)])[key]


def budget_waits(buckets: list[tuple[str, Budget]]) -> dict[str, float]:
    """budget_wait for several buckets: those this process has seen empty from memory, the
    others asked together (_ops: one round trip)."""
    now = _clock()
    waits = {key: until - now for key, _ in buckets if (until := _empty_until.get(key, 0.0)) > now}
    ask = [(key, budget, 0.0, "wait") for key, budget in dict(buckets).items() if key not in waits]
    for (key, *_), wait in zip(ask, _ops(ask), strict=True):
        waits[key] = wait
        if wait > 0:
            if len(_empty_until) > MAX_BUCKETS:
                _empty_until.clear()
            _empty_until[key] = now + wait
    return waits


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


def verified_take(*, provider_key: str, public_id: object, charges: tuple[Op, ...] = ()) -> float:
    """One verified delivery / authenticated partner call of this integration. `charges`: a
    hint-less scan's (ScanLane.charges), made first, in the same round trip."""
    limits = settings.INBOUND_RATE_LIMITS
    budget = _budget({**limits.get("default", {}), **limits.get(provider_key, {})}, Budget(20, 200))
    return _ops([*charges, (f"{_namespace()}:ok:{provider_key}:{public_id}", budget, 1.0, "take")])[-1]


def failure_take(*, address: str | None, charges: tuple[Op, ...] = ()) -> float:
    """One failed request from this client address. `charges`: as verified_take."""
    budget = _budget(getattr(settings, "INBOUND_FAILURE_RATE_LIMITS", None), Budget(1, 100))
    return _ops([*charges, (f"{_namespace()}:fail:{client_bucket(address)}", budget, 1.0, "take")])[-1]


@dataclass(frozen=True)
class ScanLane:
    """Whether a hint-less scan may start, and what it is charged to (scan_lane)."""

    wait: float  # > 0: no scan now, answer 429 with this Retry-After
    # Charged on top of the scan's measured time: WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS in the
    # small-body lane, WEBHOOK_HINTLESS_SCAN_OVERHEAD_SECONDS from the address's pool.
    overhead: float = 0.0
    buckets: tuple[tuple[str, Budget], ...] = ()


def source_network(address: str | None) -> str:
    """The network a client address belongs to for the small-body lane: its /24 (IPv4) or /48
    (IPv6). One sender cycles addresses within such a block for free (a /24 is a small cloud
    allocation, a /48 a site's usual IPv6 assignment); the per-address budgets (client_bucket: the
    address, or its /64) cannot see that."""
    if not address:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


def _scan_pool(*, provider_key: str, proven_by: int | None) -> tuple[str, Budget]:
    raw = getattr(settings, "WEBHOOK_HINTLESS_SCAN_BUDGET", {}) or {}
    ns = _namespace()
    if proven_by is None:
        return f"{ns}:scan:{provider_key}:unproven", _budget(raw.get("unproven"), Budget(0.02, 0.2))
    return f"{ns}:scan:{provider_key}:proven:{proven_by}", _budget(raw.get("proven"), Budget(0.02, 0.2))


def _scan_source(address: str | None) -> tuple[str, Budget]:
    """The address's own scan budget ("per_source"), taken by every scan whatever its lane."""
    raw = getattr(settings, "WEBHOOK_HINTLESS_SCAN_BUDGET", {}) or {}
    return f"{_namespace()}:scan:{client_bucket(address)}", _budget(raw.get("per_source"), Budget(0.02, 0.2))


def _known_wait(lane: tuple[tuple[str, Budget], ...]) -> float | None:
    """A lane's wait when this process knows it without asking: its first bucket (the one its
    answer was asked from first) seen empty; else None."""
    until = _empty_until.get(lane[0][0], 0.0) - _clock()
    return until if until > 0 else None


def _scan_lanes(
    *, address: str | None, provider_key: str, proven_by: int | None, body_bytes: int
) -> tuple[list[tuple[tuple[str, Budget], ...]], bool]:
    """The lanes a scan may take from, in the order scan_lane tries them, and whether the first is
    the small-body lane."""
    raw = getattr(settings, "WEBHOOK_HINTLESS_SCAN_BUDGET", {}) or {}
    ns = _namespace()
    pool = _scan_pool(provider_key=provider_key, proven_by=proven_by)
    lanes: list[tuple[tuple[str, Budget], ...]] = [(pool,)]
    small = "small" in raw and body_bytes <= int(getattr(settings, "WEBHOOK_HINTLESS_SMALL_BODY_BYTES", 0))
    if small:
        # The network's share first: a flooding network's is the one seen empty, known locally
        # until its refill, so its junk does not even ask the provider's pool.
        lane: tuple[tuple[str, Budget], ...] = (
            (f"{ns}:scan:{provider_key}:small", _budget(raw.get("small"), Budget(0.15, 1.5))),
        )
        if "small_network" in raw:
            network = f"{ns}:scan:{provider_key}:small:{source_network(address)}"
            lane = ((network, _budget(raw.get("small_network"), Budget(0.01, 0.1))), *lane)
        lanes.insert(0, lane)
    return lanes, small


def _scan_known_wait(lanes: list[tuple[tuple[str, Budget], ...]], source: tuple[str, Budget]) -> float | None:
    """The wait this process knows without asking anyone: every lane has a bucket it has seen
    empty (a flood of junk once the pools are spent), or else the address's own budget was seen
    empty (scan_lane refuses it whatever the lanes hold: one sender rotating its headers, once its
    budget is spent, the issue's attacker); None when it must ask."""
    known = [_known_wait(lane) for lane in lanes]
    if all(known):
        return min(w for w in known if w)
    return _known_wait((source,))


def scan_lane_known_wait(*, address: str | None, provider_key: str, body_bytes: int) -> float | None:
    """The wait scan_lane would answer an address that never verified (proven_by None), when this
    process knows it without asking anyone (_scan_known_wait); else None. No I/O: for the check
    that runs before Django (integrations/services/prewsgi.py)."""
    lanes, _ = _scan_lanes(address=address, provider_key=provider_key, proven_by=None, body_bytes=body_bytes)
    return _scan_known_wait(lanes, _scan_source(address))


def scan_lane(*, address: str | None, provider_key: str, proven_by: int | None, body_bytes: int) -> ScanLane:
    """Whether a hint-less scan may start for this address and body, and from which pool.
    `proven_by`: the workspace whose integration this address last verified with
    (webhook_sources.py remembers which), None for an address that never verified.

    A body of at most WEBHOOK_HINTLESS_SMALL_BODY_BYTES scans from the small-body lane while both
    its network's "small_network" bucket and the provider's "small" pool hold anything; else (and
    any larger body) from the address's pool, "unproven" or "proven". Every scan also takes from
    the address's own budget ("per_source"). A setting without a "small" entry has no small lane
    (small bodies scan like any other, as before issue 21's fix); one without "small_network" has
    the provider-wide pool alone (as before the audit of that fix).

    The buckets are asked together (budget_waits: one round trip; asking one that the answer
    does not depend on changes nothing in it), except when every lane has a bucket this process
    has seen empty, or the address's own budget was seen empty: then the answer is a wait known
    without asking (junk from ever new addresses once the pools are spent; one sender once its
    budget is spent. Its Retry-After is then the address's wait, where asking might have found
    every lane empty too and answered the shortest lane's)."""
    lanes, small = _scan_lanes(
        address=address, provider_key=provider_key, proven_by=proven_by, body_bytes=body_bytes
    )
    source = _scan_source(address)
    if known_wait := _scan_known_wait(lanes, source):
        return ScanLane(wait=known_wait)
    waits = budget_waits([bucket for lane in lanes for bucket in lane] + [source])
    # The first lane whose buckets all hold something; the pools first: junk comes from ever new
    # addresses, and an empty pool is known locally.
    chosen = next((lane for lane in lanes if not any(waits[key] for key, _ in lane)), None)
    if chosen is None:
        return ScanLane(wait=min(next(waits[key] for key, _ in lane if waits[key]) for lane in lanes))
    if waits[source[0]]:
        return ScanLane(wait=waits[source[0]])
    in_small_lane = small and chosen is lanes[0]
    overhead = float(
        getattr(settings, "WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS", 0.0)
        if in_small_lane
        else getattr(settings, "WEBHOOK_HINTLESS_SCAN_OVERHEAD_SECONDS", 0.0)
    )
    return ScanLane(wait=0.0, overhead=overhead, buckets=(source, *chosen))


def scan_charges(*, lane: ScanLane, seconds: float) -> tuple[Op, ...]:
    """A scan's measured CPU time, plus its lane's overhead, for every bucket it took from: for
    scan_charge, or made in the same round trip as the request's next budget (failure_take,
    verified_take)."""
    return tuple((key, budget, seconds + lane.overhead, "charge") for key, budget in lane.buckets)


def scan_charge(*, lane: ScanLane, seconds: float) -> None:
    """Charge a scan's measured CPU time, plus its lane's overhead, to every bucket it took from."""
    _ops(list(scan_charges(lane=lane, seconds=seconds)))


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
