"""How many calls to one ATS account may be in flight at once, across every process.

Some vendors cap concurrent requests as well as their rate (SmartRecruiters: 8 at a time per
credential, 1 for GET /candidates; SRD /docs/rate-limiting). A thread semaphore would hold only
inside one process, so the slots live where the rate-limit buckets live (RATE_LIMIT_BACKEND):

- "redis": one sorted set per limit, member = a random token, score = its lease end on the
  Redis server clock; one Lua script drops lapsed leases, counts and adds atomically;
- "sqlite" (the embedded default): a table in a SQLite file next to the rate-limit file, every
  step under a file lock, so every process on the machine shares it;
- "memory": one process only (tests of the rules themselves).

Each slot is a lease (OUTBOUND_TIMEOUT_SECONDS + a margin): a process killed mid-call does not
keep its slot for ever. A caller that finds every slot taken polls for up to
CONCURRENCY_WAIT_SECONDS, then raises LocalRateLimited, which the calling task reschedules like
any other refusal of our own limiter."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings

from integrations.base import LocalRateLimited

if TYPE_CHECKING:
    from integrations.base import ATSProvider
    from integrations.models import Integration

LEASE_MARGIN_SECONDS = 30.0
POLL_SECONDS = 0.02

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""

_lock = threading.Lock()
_memory: dict[str, dict[str, float]] = {}
_sqlite: dict[tuple[int, str], Any] = {}


def _lease_seconds() -> float:
    timeout = getattr(settings, "OUTBOUND_TIMEOUT_SECONDS", 30)  # a number or (connect, read)
    total = sum(float(t) for t in timeout) if isinstance(timeout, tuple | list) else float(timeout)
    return total + LEASE_MARGIN_SECONDS


def _wait_seconds() -> float:
    return float(getattr(settings, "CONCURRENCY_WAIT_SECONDS", 5.0))


# --- backends: try_take(name, limit, token) -> bool, give_back(name, token) ---------------------


class _Redis:
    def __init__(self) -> None:
        from redis import Redis

        self.redis = Redis.from_url(settings.REDIS_URL)
        self.script = self.redis.register_script(_ACQUIRE)

    def key(self, name: str) -> str:
        return f"{settings.REDIS_KEY_PREFIX}:concurrency:{name}"

    def try_take(self, name: str, limit: int, token: str) -> bool:
        lease_ms = int(_lease_seconds() * 1000)
        return bool(self.script(keys=[self.key(name)], args=[limit, lease_ms, token]))

    def give_back(self, name: str, token: str) -> None:
        self.redis.zrem(self.key(name), token)


class _SQLite:
    def __init__(self, path: str) -> None:
        import sqlite3

        from filelock import FileLock

        self.file_lock = FileLock(path + ".lock", timeout=10)
        self.thread_lock = threading.Lock()
        with self.file_lock:
            self.conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS slots (name TEXT NOT NULL, token TEXT NOT NULL, expires REAL NOT NULL)"
            )
            self.conn.execute("CREATE INDEX IF NOT EXISTS slots_name ON slots (name)")
            self.conn.commit()

    def try_take(self, name: str, limit: int, token: str) -> bool:
        now = time.time()
        with self.thread_lock, self.file_lock:
            self.conn.execute("DELETE FROM slots WHERE expires < ?", (now,))
            (held,) = self.conn.execute("SELECT COUNT(*) FROM slots WHERE name = ?", (name,)).fetchone()
            taken = held < limit
            if taken:
                self.conn.execute(
                    "INSERT INTO slots (name, token, expires) VALUES (?, ?, ?)",
                    (name, token, now + _lease_seconds()),
                )
            self.conn.commit()
            return taken

    def give_back(self, name: str, token: str) -> None:
        with self.thread_lock, self.file_lock:
            self.conn.execute("DELETE FROM slots WHERE name = ? AND token = ?", (name, token))
            self.conn.commit()


class _Memory:
    def try_take(self, name: str, limit: int, token: str) -> bool:
        now = time.monotonic()
        with _lock:
            held = {t: end for t, end in _memory.get(name, {}).items() if end > now}
            taken = len(held) < limit
            if taken:
                held[token] = now + _lease_seconds()
            _memory[name] = held
            return taken

    def give_back(self, name: str, token: str) -> None:
        with _lock:
            _memory.get(name, {}).pop(token, None)


def _backend() -> _Redis | _SQLite | _Memory:
    kind = settings.RATE_LIMIT_BACKEND
    if kind == "memory":
        return _Memory()
    path = settings.RATE_LIMIT_SQLITE_PATH + "-slots" if kind != "redis" else f"redis:{settings.REDIS_URL}"
    key = (os.getpid(), path)  # a forked worker must not share the parent's connection
    backend = _sqlite.get(key)
    if backend is None:
        with _lock:
            backend = _sqlite.get(key)
            if backend is None:
                backend = _sqlite[key] = _Redis() if kind == "redis" else _SQLite(path)
    return backend


# --- the API BaseClient uses ----------------------------------------------------------------------


def concurrency_limits_for(
    *, provider: ATSProvider, integration: Integration, method: str, path: str
) -> list[tuple[str, int]]:
    """The provider's limits for this call; provider_settings["rate_limit"]["concurrent"] (a
    negotiated account) replaces the account-wide one ("all")."""
    limits = list(provider.concurrency_limits(integration, method, path))
    override = ((integration.provider_settings or {}).get("rate_limit") or {}).get("concurrent")
    try:
        if override is not None:
            limits = [(n, int(override) if n == "all" else v) for n, v in limits]
    except (TypeError, ValueError):
        pass
    return [(n, v) for n, v in limits if v > 0]


@contextlib.contextmanager
def concurrency_slots(
    *,
    provider: ATSProvider,
    integration: Integration,
    limits: Sequence[tuple[str, int]],
    account: str | None = None,
) -> Iterator[None]:
    """Hold one slot of each limit for the duration of the block (all or none)."""
    if not limits:
        yield
        return
    from integrations.services.ratelimit import rate_limit_bucket_name

    base = rate_limit_bucket_name(provider=provider, integration=integration, account=account)
    backend = _backend()
    token = secrets.token_hex(8)
    held: list[str] = []
    deadline = time.monotonic() + _wait_seconds()
    try:
        for suffix, limit in limits:
            name = f"{base}:{suffix}"
            while not backend.try_take(name, limit, token):
                if time.monotonic() >= deadline:
                    raise LocalRateLimited(
                        f"Holding back: {provider.name} allows {limit} concurrent request(s) "
                        f"({suffix}), and that many are in flight.",
                        retry_after=1.0,
                    )
                time.sleep(POLL_SECONDS)
            held.append(name)
        yield
    finally:
        for name in held:
            backend.give_back(name, token)
