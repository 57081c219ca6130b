"""The hourly webhook chart of the log pages: the same counts as a plain count over the
deliveries, new deliveries on the next view, and finished hours served from the cache for a
bounded time only."""

import datetime as dt
from collections import Counter

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from integrations import selectors
from integrations.models import WebhookEvent, WebhookStatus
from integrations.selectors import OUTCOMES, _chart_cache_key, webhook_chart
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

# What each stored status counts as, spelled out here rather than imported from the selector.
EXPECTED_OUTCOME = {
    WebhookStatus.REJECTED: "rejected",
    WebhookStatus.DUPLICATE: "duplicate",
    WebhookStatus.FAILED: "failed",
    WebhookStatus.DEAD: "failed",
}


@pytest.fixture(autouse=True)
def _no_cached_provider_chart():
    # Provider-wide counts live under the provider's name: with a Redis cache they would outlive
    # the test database that produced them.
    for provider in ("fake", "ashby"):
        cache.delete(_chart_cache_key(integration=None, provider=provider))
    yield
    for provider in ("fake", "ashby"):
        cache.delete(_chart_cache_key(integration=None, provider=provider))


def delivery(integration, *, at, status=WebhookStatus.PROCESSED, provider=None):
    return WebhookEvent.objects.create(
        provider=provider or integration.provider, integration=integration, body=b"{}", status=status,
        event_type="candidate.created", verified=status != WebhookStatus.REJECTED, received_at=at,
    )  # fmt: skip


def plain_count(integration=None, provider="", days=7, now=None):
    """Per (local hour start, outcome) and in total, counted row by row over every delivery."""
    now = timezone.localtime(now)
    first = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=days * 24 - 1)
    rows = WebhookEvent.objects.all()
    rows = rows.filter(integration=integration) if integration else rows.filter(provider=provider)
    per_hour: Counter = Counter()
    for e in rows:
        start = timezone.localtime(e.received_at).replace(minute=0, second=0, microsecond=0)
        if start >= first:
            per_hour[(start, EXPECTED_OUTCOME.get(e.status, "accepted"))] += 1
    return per_hour


def chart_count(chart):
    return Counter({(bar.start, k): n for bar in chart.bars for k, n in bar.counts.items() if n})


def spread_over_the_week(integration, now):
    """Deliveries of every outcome in the current hour, the previous ones, days back, and
    outside the window."""
    statuses = [WebhookStatus.PROCESSED, WebhookStatus.REJECTED, WebhookStatus.DUPLICATE,
                WebhookStatus.FAILED, WebhookStatus.DEAD, WebhookStatus.IGNORED, WebhookStatus.VERIFIED]  # fmt: skip
    ages = [dt.timedelta(minutes=m) for m in (0, 1, 35, 61, 95, 130, 60 * 5 + 7, 60 * 23, 60 * 30)]
    ages += [dt.timedelta(days=d, minutes=13) for d in (2, 3, 5, 6)]
    ages += [dt.timedelta(days=8), dt.timedelta(days=12)]  # before the window: not counted
    for n, age in enumerate(ages):
        for k in range(1 + n % 3):
            delivery(integration, at=now - age, status=statuses[(n + k) % len(statuses)])


def test_chart_counts_equal_a_plain_count_over_the_deliveries_cold_and_cached(integration):
    now = timezone.now()
    spread_over_the_week(integration, now)
    delivery(
        IntegrationFactory(workspace=integration.workspace, environment="live"), at=now
    )  # another integration
    expected = plain_count(integration=integration, now=now)
    assert sum(expected.values()) > 20

    cold = webhook_chart(integration=integration, now=now)
    warm = webhook_chart(integration=integration, now=now)

    assert chart_count(cold) == expected
    assert chart_count(warm) == expected
    assert len(warm.bars) == 168
    assert warm.grand_total == sum(expected.values())
    assert warm.totals == {
        key: sum(n for (_, k), n in expected.items() if k == key) for key, _, _ in OUTCOMES
    }


def test_staff_chart_counts_every_integration_of_the_provider_and_no_other(integration):
    now = timezone.now()
    spread_over_the_week(integration, now)
    spread_over_the_week(IntegrationFactory(), now)
    delivery(integration, at=now - dt.timedelta(hours=3), provider="ashby")
    expected = plain_count(provider="fake", now=now)

    assert chart_count(webhook_chart(provider="fake", now=now)) == expected
    assert chart_count(webhook_chart(provider="fake", now=now)) == expected


def test_a_new_delivery_in_the_current_hour_shows_on_the_next_view(client_in_workspace, integration):
    now = timezone.now()
    spread_over_the_week(integration, now)
    before = webhook_chart(integration=integration)
    url = reverse("integrations:logs", args=[integration.pk])
    assert client_in_workspace.get(url).status_code == 200  # the page view caches too

    delivery(integration, at=timezone.now(), status=WebhookStatus.REJECTED)
    after = webhook_chart(integration=integration)

    assert after.bars[-1].counts["rejected"] == before.bars[-1].counts["rejected"] + 1
    assert after.totals["rejected"] == before.totals["rejected"] + 1
    page = client_in_workspace.get(url).content.decode()
    assert f"({after.grand_total} in total" in page


def test_a_finished_hour_is_recounted_after_a_bounded_time_when_an_outcome_changes_late(integration):
    now = timezone.now()
    late = delivery(integration, at=now - dt.timedelta(days=3), status=WebhookStatus.FAILED)
    recent = delivery(integration, at=now - dt.timedelta(hours=5), status=WebhookStatus.FAILED)
    assert webhook_chart(integration=integration, now=now).totals["failed"] == 2

    # Reprocessed hours later: both succeed.
    WebhookEvent.objects.filter(pk__in=[late.pk, recent.pk]).update(status=WebhookStatus.PROCESSED)

    assert webhook_chart(integration=integration, now=now).totals["failed"] == 2  # as cached
    # A finished hour younger than a day is trusted for at most 20 minutes...
    soon = webhook_chart(integration=integration, now=now + dt.timedelta(minutes=21))
    assert soon.totals == {"accepted": 1, "duplicate": 0, "failed": 1, "rejected": 0}
    # ... an older one for at most 8 hours.
    later = webhook_chart(integration=integration, now=now + dt.timedelta(hours=8, minutes=1))
    assert later.totals == {"accepted": 2, "duplicate": 0, "failed": 0, "rejected": 0}


def test_the_hour_just_finished_is_counted_live_while_processing_may_still_retry(integration):
    hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    retrying = delivery(integration, at=hour - dt.timedelta(minutes=2), status=WebhookStatus.FAILED)
    first = webhook_chart(integration=integration, now=hour + dt.timedelta(minutes=5))
    assert first.bars[-2].counts["failed"] == 1

    WebhookEvent.objects.filter(pk=retrying.pk).update(status=WebhookStatus.PROCESSED)

    second = webhook_chart(integration=integration, now=hour + dt.timedelta(minutes=10))
    assert second.bars[-2].counts == {"accepted": 1, "duplicate": 0, "failed": 0, "rejected": 0}


def test_the_chart_still_counts_when_the_cache_is_down(integration, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache unreachable")

        set = get

    now = timezone.now()
    spread_over_the_week(integration, now)
    monkeypatch.setattr(selectors, "cache", Down())
    assert chart_count(webhook_chart(integration=integration, now=now)) == plain_count(
        integration=integration, now=now
    )
