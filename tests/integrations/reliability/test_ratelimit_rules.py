"""The limiter's rules, in one process: seeds' rates, configuration, buckets per account, and
the backoff schedule the tasks use when refused or failing."""

import pytest

from integrations.base import LocalRateLimited, RateLimit, backoff_delay
from integrations.registry import get_provider, provider_for
from integrations.services.ratelimit import rate_limit_acquire, rate_limit_for, rate_limit_patience
from tests.factories import IntegrationFactory
from tests.integrations.reliability import faultsim

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("provider", "per_second", "burst"),
    # Lever: its documented 10/s with bursts up to 20; SmartRecruiters: its documented 10/s
    # (SRD /docs/rate-limiting). Neither is the seed's 100/s.
    [("ashby", 100, 1000), ("lever", 10, 20), ("smartrecruiters", 10, 10)],
)
def test_seed_rates_are_the_defaults(provider, per_second, burst):
    limit = rate_limit_for(provider=get_provider(provider), integration=IntegrationFactory(provider=provider))
    assert limit.per_second == per_second
    assert burst is None or limit.burst == burst


def test_rates_are_configurable_per_provider_and_per_integration(settings):
    settings.ATS_RATE_LIMITS = {"lever": {"per_second": 5, "burst": 40}}
    lever = get_provider("lever")
    assert rate_limit_for(provider=lever, integration=IntegrationFactory(provider="lever")).burst == 40
    negotiated = IntegrationFactory(
        provider="lever", provider_settings={"rate_limit": {"per_second": 50, "burst": 200}}
    )
    assert (rate_limit_for(provider=lever, integration=negotiated).per_second, 200) == (50, 200)


def test_burst_then_refusal_and_accounts_do_not_share_a_bucket(make_faultsim):
    one = make_faultsim(provider_settings={"rate_limit": {"per_second": 3, "burst": 3}})
    two = make_faultsim(
        environment="production", provider_settings={"rate_limit": {"per_second": 3, "burst": 3}}
    )
    provider = provider_for(one)
    for _ in range(3):
        rate_limit_acquire(integration=one, provider=provider)
    with pytest.raises(LocalRateLimited) as refused:
        rate_limit_acquire(integration=one, provider=provider)
    assert refused.value.retry_after and "3 requests/second" in refused.value.message
    rate_limit_acquire(integration=two, provider=provider)  # another account: its own bucket


def test_integrations_of_one_vendor_account_share_a_bucket(make_faultsim, monkeypatch):
    monkeypatch.setattr(faultsim.FaultSimProvider, "rate_limit_key", lambda self, integration: "partner-key")
    monkeypatch.setattr(faultsim.FaultSimProvider, "rate_limit", RateLimit(per_second=2, burst=2))
    a, b = make_faultsim(), make_faultsim(environment="production")
    rate_limit_acquire(integration=a, provider=provider_for(a))
    rate_limit_acquire(integration=b, provider=provider_for(b))
    with pytest.raises(LocalRateLimited):
        rate_limit_acquire(integration=a, provider=provider_for(a))


def test_patience_waits_for_the_next_slot_instead_of_refusing(make_faultsim):
    import time

    integration = make_faultsim(provider_settings={"rate_limit": {"per_second": 10, "burst": 2}})
    provider = provider_for(integration)
    rate_limit_acquire(integration=integration, provider=provider)
    rate_limit_acquire(integration=integration, provider=provider)
    started = time.monotonic()
    with rate_limit_patience(2.0):
        rate_limit_acquire(integration=integration, provider=provider)
    assert 0.5 < time.monotonic() - started < 1.6, "waited for the one-second window to move"


def test_backoff_schedule_has_jitter_and_a_long_tail():
    samples = [backoff_delay(1) for _ in range(200)]
    assert 4.5 <= min(samples) < max(samples) <= 5.5, "±10% jitter around 5 s"
    assert [
        round(backoff_delay(n, retry_after=None) / base, 1) in (0.9, 1.0, 1.1)
        for n, base in [(2, 15), (3, 60), (4, 300), (5, 900)]
    ] == [True] * 4
    assert 0.9 * 12 * 3600 <= backoff_delay(40) <= 1.1 * 12 * 3600, "the last step repeats"
    assert backoff_delay(3, retry_after=42) == 42


def test_many_accounts_cost_no_thread_or_connection_each(make_faultsim):
    import threading

    from jobcannon.core import perprocess

    integrations = [make_faultsim(environment="production") for _ in range(30)]
    rate_limit_acquire(integration=integrations[0], provider=provider_for(integrations[0]))
    threads, clients = threading.active_count(), len(perprocess._objects)
    for integration in integrations[1:]:
        rate_limit_acquire(integration=integration, provider=provider_for(integration))
    assert threading.active_count() == threads, "no background leaker per bucket"
    assert len(perprocess._objects) == clients, "one Redis client / SQLite connection per process"
