"""Our limiter against the vendors' token buckets (issue 19).

Lever documents a token bucket per API key: 10 requests/second steady, bursts up to 20, so in any
T seconds it accepts at most 20 + 10·T calls (LD "Rate Limits"). Whatever pace our limiter
admits must fit that, and the limiter must not buy safety by holding back far below it. Each
provider's RateLimit(per_second, burst) is read the same way; the Lever sandbox's bucket
(simulator_state.rate_limit_take) is the model that counts the arrivals.
"""

from __future__ import annotations

import math
import random

import pytest
from pyrate_limiter import InMemoryBucket
from pyrate_limiter.utils import validate_rate_list

from integrations.base import LocalRateLimited
from integrations.providers.lever import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.ratelimit import EffectiveRateLimit, rate_limit_acquire, rate_limit_for
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(settings, monkeypatch):
    """A fake clock (milliseconds) for our limiter's in-memory bucket; refused_by_token_bucket
    moves the sandbox's bucket along the same times."""
    settings.RATE_LIMIT_BACKEND = "memory"
    now = [1_000_000]
    monkeypatch.setattr(InMemoryBucket, "now", lambda self: now[0])
    return now


def send_greedily(*, provider_key: str, clock: list[int], seconds: int, step_ms: int = 1) -> list[int]:
    """Ask the limiter every `step_ms` (a backlog of outbox rows) and send what it admits."""
    provider = get_provider(provider_key)
    integration = IntegrationFactory(provider=provider_key)
    sent = []
    start = clock[0]
    while clock[0] - start < seconds * 1000:
        try:
            rate_limit_acquire(integration=integration, provider=provider)
            sent.append(clock[0])
        except LocalRateLimited:
            clock[0] += step_ms
    return sent


def refused_by_token_bucket(arrivals: list[int], monkeypatch, credential: str) -> int:
    """How many of these arrivals (ms) the sandbox's token bucket answers 429."""
    refused = 0
    for at in sorted(arrivals):
        monkeypatch.setattr(sim, "_clock", lambda at=at: at / 1000)
        refused += not sim.rate_limit_take(credential)
    return refused


def test_levers_token_bucket_accepts_every_call_our_limiter_admits(clock, monkeypatch):
    sim.ensure_seeded()
    per_second, burst, _ = sim.rate_limit()
    assert (per_second, burst) == (10, 20), "the sandbox models Lever's documented bucket"
    seconds = 30
    sent = send_greedily(provider_key="lever", clock=clock, seconds=seconds)
    assert refused_by_token_bucket(sent, monkeypatch, "lever-greedy") == 0
    allowance = burst + per_second * seconds
    assert len(sent) >= 0.8 * allowance, f"{len(sent)} of Lever's {allowance}: the limiter is needlessly slow"


@pytest.mark.parametrize("provider_key", ["ashby", "lever", "smartrecruiters", "knit"])
def test_every_providers_limit_holds_as_a_token_bucket_with_network_jitter(
    provider_key, clock, monkeypatch, settings
):
    """Arrivals trail sends by up to the margin; no arrival pattern that follows from our pace is
    refused, and no one second carries more than the burst (SmartRecruiters' "10 requests/second")."""
    limit = rate_limit_for(
        provider=get_provider(provider_key), integration=IntegrationFactory(provider=provider_key)
    )
    sim.rate_limit_set(per_second=limit.per_second, burst=limit.burst)
    seconds = 30
    sent = send_greedily(provider_key=provider_key, clock=clock, seconds=seconds, step_ms=7)
    jitter = random.Random(19)
    arrivals = sorted(at + jitter.randrange(settings.RATE_LIMIT_MARGIN_MS) for at in sent)
    assert refused_by_token_bucket(arrivals, monkeypatch, f"{provider_key}-jitter") == 0
    sent_window = [b - a for a, b in zip(sent, sent[limit.burst :], strict=False)]
    assert min(sent_window, default=1000) >= 1000, f"more than {limit.burst} sent within one second"
    assert len(sent) >= 0.8 * (limit.burst + limit.per_second * seconds)


def least_spans_ms(rates, calls: int) -> list[int]:
    """span[n]: the least time (ms) any n + 1 consecutive admitted calls can span. A window of
    `limit` calls over `interval` ms counts [now - interval, now], so limit + 1 calls span more
    than `interval`, and consecutive runs add up (an unbounded knapsack over the windows)."""
    span = [0] * calls
    for n in range(1, calls):
        span[n] = max([span[n - 1]] + [span[n - r.limit] + r.interval + 1 for r in rates if r.limit <= n])
    return span


@pytest.mark.parametrize("margin", [0, 100])
@pytest.mark.parametrize("per_second", [0.5, 1, 5, 10, 100])
@pytest.mark.parametrize("burst", [1, 3, 10, 20, 250])
def test_windows_never_exceed_burst_plus_rate_times_t(per_second, burst, margin, settings):
    """The proof behind the sandbox runs, for any configured (per_second, burst): n + 1 calls the
    windows admit span at least (n + 1 - burst) / per_second seconds plus the margin, the token
    bucket's condition (checked to four times the longest window; beyond, the longest window's
    rate is at most per_second). And pyrate-limiter accepts the list."""
    settings.RATE_LIMIT_MARGIN_MS = margin
    rates = EffectiveRateLimit(per_second=per_second, burst=burst).rates()
    assert validate_rate_list(rates), rates
    assert rates[-1].limit / (rates[-1].interval - margin) <= per_second / 1000
    span = least_spans_ms(rates, max(4 * rates[-1].limit, math.floor(60 * per_second)) + 2)
    if per_second * 60 >= 1:
        assert span[math.floor(per_second * 60)] > 60_000 + margin, "never more than 60·r in a minute"
    for n, least in enumerate(span):
        needed = math.ceil(1000 * (n + 1 - burst) / per_second)
        assert needed <= 0 or least - margin >= needed, (n, least, needed, rates)
