"""Per-integration inbound request limit for webhooks and partner API calls.

A token bucket per integration, in process memory: it costs no I/O on the intake's hot path
(intake is one durable commit; a shared counter would add a round trip to every delivery). With
N web processes the effective limit is N times the configured one, which is fine for its job:
one misbehaving sender (a retry storm, a loop) is slowed to its own budget and cannot starve
the other customers' deliveries, which have buckets of their own."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


_buckets: OrderedDict[str, _Bucket] = OrderedDict()
_lock = threading.Lock()


def inbound_limits(provider_key: str) -> tuple[float, float]:
    """(per_second, burst) for a provider: INBOUND_RATE_LIMITS[provider] or ["default"]."""
    limits = settings.INBOUND_RATE_LIMITS
    chosen = {**limits.get("default", {}), **limits.get(provider_key, {})}
    return float(chosen.get("per_second", 20)), float(chosen.get("burst", 200))


def inbound_rate_limit_take(*, key: str, per_second: float, burst: float) -> float:
    """Take one request from `key`'s bucket. Returns 0 when allowed, otherwise the seconds
    until the next request would be (the Retry-After to send)."""
    if per_second <= 0:
        return 0.0
    now = time.monotonic()
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=burst, updated=now)
            _buckets[key] = bucket
            if len(_buckets) > MAX_BUCKETS:
                _buckets.popitem(last=False)
        else:
            _buckets.move_to_end(key)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * per_second)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / per_second


def inbound_rate_limit_reset() -> None:
    """Forget every bucket (tests)."""
    with _lock:
        _buckets.clear()
