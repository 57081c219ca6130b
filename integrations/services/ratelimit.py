"""The outbound rate limiter, shared by every process that calls a given ATS account.

pyrate-limiter buckets: Redis when REDIS_URL is set (all machines share it), a SQLite file
otherwise (all processes of the embedded default share it). Two windows express "N per second
with bursts up to B": at most B calls in any second, at most 60·N in any minute. Acquisition
never blocks: a refused call raises LocalRateLimited and the calling task retries later."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from pyrate_limiter import Duration, Limiter, Rate

from integrations.base import LocalRateLimited

if TYPE_CHECKING:
    from integrations.base import ATSProvider
    from integrations.models import Integration

_lock = threading.Lock()
_limiters: dict[str, Limiter] = {}


def _rates(provider: ATSProvider, integration: Integration) -> list[Rate]:
    override = (integration.provider_settings or {}).get("rate_limit") or {}
    per_second = float(override.get("per_second", provider.rate_limit.per_second))
    burst = int(override.get("burst", provider.rate_limit.burst))
    return [Rate(max(1, burst), Duration.SECOND), Rate(max(1, int(per_second * 60)), Duration.MINUTE)]


def _limiter_for(name: str, rates: list[Rate]) -> Limiter:
    key = f"{name}:{[(r.limit, r.interval) for r in rates]}"
    with _lock:
        limiter = _limiters.get(key)
        if limiter is None:
            if settings.REDIS_URL:
                from pyrate_limiter import RedisBucket
                from redis import Redis

                bucket = RedisBucket.init(
                    rates, Redis.from_url(settings.REDIS_URL), f"jobcannon:ratelimit:{name}"
                )
            else:
                from pyrate_limiter import SQLiteBucket

                bucket = SQLiteBucket.init_from_file(
                    rates,
                    table="rl_" + hashlib.sha256(name.encode()).hexdigest()[:20],
                    db_path=settings.RATE_LIMIT_SQLITE_PATH,
                    create_new_table=True,
                    use_file_lock=True,
                )
            limiter = Limiter(bucket)
            _limiters[key] = limiter
        return limiter


def rate_limit_acquire(*, integration: Integration, provider: ATSProvider) -> None:
    # Keyed by provider account: sandbox and production are separate accounts with separate limits.
    from django.db import connection

    # The database name keeps separate deployments (and parallel test databases) apart on one Redis.
    name = f"{connection.settings_dict['NAME']}:{provider.key}:{integration.pk}"
    limiter = _limiter_for(name, _rates(provider, integration))
    if not limiter.try_acquire(name, blocking=False):
        raise LocalRateLimited(
            f"Holding back: {provider.name} allows {provider.rate_limit.per_second:g} requests/second.",
            retry_after=1.0,
        )
