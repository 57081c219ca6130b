"""The outbound rate limiter, shared by every process that calls a given ATS account.

pyrate-limiter sliding-window logs, one bucket per vendor account (`provider.rate_limit_key`,
by default the integration): on Redis when RATE_LIMIT_BACKEND is "redis" (every machine shares
it), in a SQLite file otherwise (every process of the embedded default shares it, serialised by
a file lock).

RateLimit(per_second=r, burst=B) is read as the vendor's token bucket (Lever documents one: LD
"Rate Limits", 10/s with bursts up to 20): at most B + r·T calls in any T seconds, at most B in
any one second, and (as before) at most 60·r in any minute. Sliding windows cannot follow a
bucket exactly, so EffectiveRateLimit.rates() builds a staircase under it (issue 19: the old
pair, B a second and 60·r a minute, sent Lever 20/s for half a minute, twice its refill).

Windows (N_j calls, W_j seconds) with N_1 = B, N_j+1 <= B + r·W_j and a last window no faster
than r (W_L >= N_L / r) keep any n + 1 consecutive calls at least (n + 1 - B) / r apart, which
is the bucket's condition: for N_j <= n < N_j+1, window j spaces them more than
W_j >= (N_j+1 - B) / r; for n >= N_L, split off runs of N_L calls, each longer than N_L / r.
Windows double from one second while the step stays under the refill time B / r, so the
staircase stays close to the bucket. Extra windows (the minute) only admit less.
tests/integrations/reliability/test_ratelimit_token_bucket.py checks the bound over a grid of
limits and runs each provider's limit against the Lever sandbox's bucket. Today: Lever 10/s
burst 20 -> 20 per 1 s, 30 per 2 s, 40 per 4 s; Knit 5/s burst 10 -> 10, 15, 20 over 1, 2, 4 s;
SmartRecruiters 10/s burst 10 -> 10 per 1 s; Ashby 100/s burst 1000 -> 1000 per 1 s ... 2600
per 26 s and 5986 per minute (the Ashby sandbox counts 6000).

Two corrections to the library's Redis bucket make the limit hold across processes (proved by
tests/integrations/reliability/test_ratelimit_processes.py):
- its Lua script counts the window up to the caller's own timestamp, so a caller whose
  timestamp is a little older than a concurrent caller's does not see that caller's entry, and
  both are admitted into the last slot. We count to +inf: every admitted entry is seen.
- timestamps come from the Redis server clock, not each machine's, so skew between machines
  cannot stretch or shrink a window.

Windows are RATE_LIMIT_MARGIN_MS (100 ms) longer than nominal: the ATS counts arrivals, which trail our
sends by a jittery network delay (up to the margin, every span above still holds on arrival).

By default acquisition does not wait: a refused call raises LocalRateLimited and the calling
task reschedules itself. Workers bind a short patience (`rate_limit_patience`) so a burst of
outbox rows drains at the vendor's rate instead of bouncing through the scheduler."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import math
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from pyrate_limiter import Limiter, Rate
from pyrate_limiter.buckets.redis_bucket import LuaScript, RedisBucket

from integrations import observability
from integrations.base import LocalRateLimited, RateLimit
from jobcannon.core.perprocess import per_process

if TYPE_CHECKING:
    from integrations.base import ATSProvider
    from integrations.models import Integration

_lock = threading.RLock()
_limiters: dict[tuple[int, str], _SharedLimiter] = {}
_patience: contextvars.ContextVar[float] = contextvars.ContextVar("rate_limit_patience", default=0.0)


@contextlib.contextmanager
def rate_limit_patience(seconds: float) -> Iterator[None]:
    """Within this block a refused acquisition waits up to `seconds` for a slot before raising."""
    token = _patience.set(seconds)
    try:
        yield
    finally:
        _patience.reset(token)


@dataclass(frozen=True)
class EffectiveRateLimit:
    per_second: float
    burst: int

    def rates(self) -> list[Rate]:
        """The staircase of windows under the token bucket (module docstring)."""
        return list(
            _staircase(self.per_second, self.burst, int(getattr(settings, "RATE_LIMIT_MARGIN_MS", 100)))
        )


@functools.lru_cache(maxsize=256)  # every acquisition asks; the answer only depends on these
def _staircase(rate: float, burst: int, margin: int) -> tuple[Rate, ...]:
    windows = [(burst, 1.0)]  # (calls, seconds): never more than the burst in one second
    if burst > rate:
        refill = burst / rate  # seconds for an empty bucket to fill again
        seconds = 1.0
        while seconds < refill:  # each step's gap (`seconds`) stays under the refill time
            windows.append((math.floor(burst + rate * seconds), 2 * seconds))
            seconds *= 2
        windows.append((math.floor(burst + rate * seconds), seconds + refill))  # exactly r
    # And never more than 60·r in a minute, the old rule, whatever the burst: a vendor that
    # counts per minute as well (the Ashby sandbox, from the seed: 1000 a second, 6000 a minute)
    # would otherwise see B + 60·r. Only ever stricter than the bucket.
    windows.append((max(1, math.floor(rate * 60)), 60.0))
    return tuple(_pyrate_order([Rate(calls, math.ceil(secs * 1000) + margin) for calls, secs in windows]))


def _implies(window: Rate, other: Rate) -> bool:
    """`window` alone admits no more than `other` does in any span of other's length: a window
    counts [now - interval, now] in milliseconds, so other's span is covered by this many of ours."""
    return window.limit * math.ceil((other.interval + 1) / (window.interval + 1)) <= other.limit


def _pyrate_order(windows: list[Rate]) -> list[Rate]:
    """Drop windows another one implies, then, if pyrate-limiter's order (intervals and limits
    increasing, calls per millisecond not increasing) still fails, tighten (never loosen) the
    longer window. Every change admits fewer calls, so the bound above still holds."""
    kept = sorted(windows, key=lambda w: (w.interval, w.limit))
    for window in list(kept):
        if any(other is not window and _implies(other, window) for other in kept):
            kept.remove(window)
    ordered: list[Rate] = []
    for window in kept:
        limit = window.limit
        if ordered:
            previous = ordered[-1]
            limit = min(limit, math.floor(previous.limit * window.interval / previous.interval))
        while ordered and limit <= ordered[-1].limit:  # this window now implies the shorter one
            ordered.pop()
        ordered.append(Rate(limit, window.interval))
    return ordered


def rate_limit_for(*, provider: ATSProvider, integration: Integration) -> EffectiveRateLimit:
    """The provider's RateLimit, overridden by settings.ATS_RATE_LIMITS[provider] and then by the
    integration's provider_settings["rate_limit"] (an account with a negotiated limit)."""
    base: RateLimit = provider.rate_limit
    per_second, burst = float(base.per_second), int(base.burst)
    for override in (
        getattr(settings, "ATS_RATE_LIMITS", {}).get(provider.key) or {},
        (integration.provider_settings or {}).get("rate_limit") or {},
    ):
        try:
            per_second = float(override.get("per_second", per_second))
            burst = int(override.get("burst", burst))
        except (TypeError, ValueError, AttributeError):
            continue
    return EffectiveRateLimit(per_second=max(0.01, per_second), burst=max(1, burst))


# --- buckets ------------------------------------------------------------------------------------

_COUNT_TO_NOW = "redis.call('ZCOUNT', bucket, window_start, now)"
_COUNT_ALL = "redis.call('ZCOUNT', bucket, window_start, '+inf')"
if _COUNT_TO_NOW not in LuaScript.PUT_ITEM:  # a library upgrade changed the script: re-check the fix
    raise ImportError("pyrate-limiter's Redis script changed; review integrations/services/ratelimit.py")
_EXACT_PUT_ITEM = LuaScript.PUT_ITEM.replace(_COUNT_TO_NOW, _COUNT_ALL)


class _SharedRedisBucket(RedisBucket):
    """RedisBucket with the two cross-process corrections described in the module docstring."""

    def now(self) -> int:
        seconds, micros = self.redis.time()  # type: ignore[misc]
        return int(seconds) * 1000 + int(micros) // 1000

    @classmethod
    def init(
        cls, rates: list[Rate], redis: Any, bucket_key: str, algorithm: Any = None
    ) -> _SharedRedisBucket:  # type: ignore[override]
        return cls(rates, redis, bucket_key, redis.script_load(_EXACT_PUT_ITEM), algorithm)


def _redis_client() -> Any:
    from redis import Redis

    return per_process(f"redis:{settings.REDIS_URL}", lambda: Redis.from_url(settings.REDIS_URL))


class _SQLiteFile:
    def __init__(self, path: str):
        import sqlite3

        from filelock import FileLock

        self.file_lock = FileLock(path + ".lock", timeout=10)
        self.thread_lock = threading.Lock()
        with self.file_lock:
            self.conn = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False, timeout=10)
            self.conn.execute("PRAGMA journal_mode=WAL")


class _SharedLimiter:
    """A pyrate Limiter behind blocking locks, leaking its old entries inline.

    - A thread lock: the Limiter's own lock, taken without waiting in non-blocking mode, would
      turn a moment of contention between threads into a refusal.
    - For the SQLite file, a file lock held around the whole try_acquire, so timestamp, count
      and insert are one step for every process on the machine (the library can take the file
      lock itself, but only without waiting in non-blocking mode).
    - No background leaker thread per bucket (the library's default): old entries are removed
      every LEAK_EVERY seconds by whoever acquires."""

    LEAK_EVERY = 10.0

    def __init__(self, bucket: Any, *, thread_lock: threading.Lock | None = None, file_lock: Any = None):
        from pyrate_limiter import SingleBucketFactory

        self.bucket = bucket
        self.limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False))
        self.thread_lock = thread_lock or threading.Lock()
        self.file_lock = file_lock
        self.last_leak = 0.0

    def try_acquire(self, name: str) -> bool:
        with self.thread_lock, self.file_lock or contextlib.nullcontext():
            acquired = bool(self.limiter.try_acquire(name, blocking=False))
            if time.monotonic() - self.last_leak > self.LEAK_EVERY:
                self.last_leak = time.monotonic()
                self.bucket.leak(self.bucket.now())
            return acquired


def _make_limiter(name: str, rates: list[Rate]) -> _SharedLimiter:
    if settings.RATE_LIMIT_BACKEND == "redis":
        return _SharedLimiter(
            _SharedRedisBucket.init(rates, _redis_client(), f"{settings.REDIS_KEY_PREFIX}:ratelimit:{name}")
        )
    if settings.RATE_LIMIT_BACKEND == "memory":  # one process only (tests of the rules themselves)
        from pyrate_limiter import InMemoryBucket

        return _SharedLimiter(InMemoryBucket(rates))
    from pyrate_limiter import SQLiteBucket
    from pyrate_limiter.buckets.sqlite_bucket import Queries

    path = settings.RATE_LIMIT_SQLITE_PATH
    db: _SQLiteFile = per_process(f"sqlite:{path}", lambda: _SQLiteFile(path))
    table = "rl_" + hashlib.sha256(name.encode()).hexdigest()[:24]
    with db.thread_lock, db.file_lock:
        db.conn.execute(Queries.CREATE_BUCKET_TABLE.format(table=table))
        db.conn.execute(
            Queries.CREATE_INDEX_ON_TIMESTAMP.format(index_name=f"idx_{table}_ts", table_name=table)
        )
        db.conn.commit()
    # Every bucket of the process shares the connection, so they share its locks too.
    return _SharedLimiter(
        SQLiteBucket(rates, db.conn, table), thread_lock=db.thread_lock, file_lock=db.file_lock
    )


def _limiter_for(name: str, rates: list[Rate]) -> _SharedLimiter:
    # Keyed by pid too: a forked worker must not share the parent's connections.
    key = (os.getpid(), f"{settings.RATE_LIMIT_BACKEND}:{settings.RATE_LIMIT_SQLITE_PATH}:{name}:{rates!r}")
    limiter = _limiters.get(key)
    if limiter is None:
        with _lock:
            limiter = _limiters.get(key)
            if limiter is None:
                limiter = _limiters[key] = _make_limiter(name, rates)
    return limiter


def rate_limit_bucket_name(
    *, provider: ATSProvider, integration: Integration, account: str | None = None
) -> str:
    """The bucket of the vendor account a call spends: `account` when the client names one
    (BaseClient.rate_limit_account, e.g. a partner credential every integration shares), else
    the provider's rate_limit_key for the integration."""
    # The database name keeps separate deployments (and parallel test databases) apart on one Redis.
    namespace = getattr(settings, "RATE_LIMIT_NAMESPACE", "") or connection.settings_dict["NAME"]
    return f"{namespace}:{provider.key}:{account or provider.rate_limit_key(integration)}"


def rate_limit_acquire(
    *, integration: Integration, provider: ATSProvider, account: str | None = None
) -> None:
    """Take one slot of the account's limit, or raise LocalRateLimited (after waiting up to the
    bound `rate_limit_patience`)."""
    limit = rate_limit_for(provider=provider, integration=integration)
    name = rate_limit_bucket_name(provider=provider, integration=integration, account=account)
    limiter = _limiter_for(name, limit.rates())
    patience = _patience.get()
    deadline = time.monotonic() + patience
    # Poll at about the vendor's emission interval, within sane bounds.
    step = min(0.25, max(0.005, 1.0 / limit.per_second / 2))
    while True:
        if limiter.try_acquire(name):
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(step, remaining))
    observability.limiter_wait(provider=provider.key)
    raise LocalRateLimited(
        f"Holding back: {provider.name} allows {limit.per_second:g} requests/second "
        f"(bursts of {limit.burst}).",
        retry_after=max(1.0, 1.0 / limit.per_second),
    )
