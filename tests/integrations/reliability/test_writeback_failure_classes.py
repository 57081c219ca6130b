"""Retry by failure class, observed at the ATS: each fault is injected by the fake ATS on demand
and the outbox row, the integration and the ATS's own counters say what happened."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from integrations.models import IntegrationStatus, Token, WritebackMessage, WritebackStatus
from integrations.services.writeback import writeback_deliver, writeback_enqueue
from tests.factories import AssessmentRunFactory
from tests.integrations.reliability.fakeats import Fault

pytestmark = pytest.mark.django_db


def scored_run(integration):
    return AssessmentRunFactory(
        workspace=integration.workspace, integration=integration, provider="faultsim", status="scored"
    )


def enqueue_one(integration) -> WritebackMessage:
    (message,) = writeback_enqueue(run=scored_run(integration), event="completed")
    return message


def deliver(message) -> WritebackMessage:
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    return message


def seconds_until(when) -> float:
    return (when - timezone.now()).total_seconds()


def delay_bounds(call):
    """Run `call` (a delivery) and return (message, low, high): the delay it scheduled lies in
    [low, high] whatever the machine's load, since it was computed between the two clock reads."""
    before = timezone.now()
    message = call()
    after = timezone.now()
    return (
        message,
        (message.next_attempt_at - after).total_seconds(),
        (message.next_attempt_at - before).total_seconds(),
    )


@pytest.fixture
def oauth_integration(make_faultsim, fake_ats):
    integration = make_faultsim(auth_kind="oauth2", credentials={"client_id": "cid", "client_secret": "cs"})
    Token.objects.create(
        integration=integration,
        access_token="at-0",
        refresh_token="rt-0",
        access_expires_at=timezone.now() + timedelta(hours=1),
        refreshed_at=timezone.now(),
        scopes_requested=["results:write"],
        scopes_granted=["results:write"],
    )
    fake_ats.require_token = True
    fake_ats.valid_access_tokens.add("at-0")
    return integration


def test_delivered_write_is_read_back_and_confirmed_with_its_idempotency_key(make_faultsim, fake_ats):
    message = deliver(enqueue_one(make_faultsim()))
    assert message.status == WritebackStatus.CONFIRMED and message.confirmed_at
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}
    assert message.run.__class__.objects.get(pk=message.run_id).status == "delivered"


def test_401_refreshes_the_token_once_then_delivers(oauth_integration, fake_ats):
    fake_ats.valid_access_tokens.clear()  # the ATS revoked at-0 early
    message = deliver(enqueue_one(oauth_integration))
    assert message.status == WritebackStatus.CONFIRMED
    assert fake_ats.token_calls == 1
    token = Token.objects.get(integration=oauth_integration)
    assert token.access_token == "at-1" and token.refresh_token == "rt-1", "rotated refresh token stored"


def test_401_after_a_fresh_token_ends_in_needs_reauth_without_a_second_refresh(oauth_integration, fake_ats):
    fake_ats.inject(Fault("/results", status=401), Fault("/results", status=401))
    message = deliver(enqueue_one(oauth_integration))
    oauth_integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert oauth_integration.status == IntegrationStatus.NEEDS_REAUTH and oauth_integration.status_reason
    assert fake_ats.token_calls == 1
    assert fake_ats.posts_by_key == {}, "nothing was written"


def test_invalid_grant_on_refresh_ends_in_needs_reauth_and_is_remembered(oauth_integration, fake_ats):
    fake_ats.valid_access_tokens.clear()
    fake_ats.refresh_token = "rt-someone-else"  # our refresh token was revoked
    message = deliver(enqueue_one(oauth_integration))
    oauth_integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert oauth_integration.status == IntegrationStatus.NEEDS_REAUTH
    assert "invalid_grant" in oauth_integration.status_reason
    token = Token.objects.get(integration=oauth_integration)
    assert token.refresh_failures == 1 and "invalid_grant" in token.last_refresh_error


def test_needs_reauth_rows_wait_and_resume_after_reauthorization(oauth_integration, fake_ats):
    from integrations.services.writeback import writeback_resume_after_reauth

    fake_ats.inject(Fault("/results", status=401), Fault("/results", status=401))
    message = deliver(enqueue_one(oauth_integration))
    second = deliver(enqueue_one(oauth_integration))
    assert second.status == WritebackStatus.NEEDS_REAUTH and second.attempts == 0, (
        "no call spent on a known-bad token"
    )
    oauth_integration.status = IntegrationStatus.CONNECTED
    oauth_integration.save()
    assert writeback_resume_after_reauth(integration=oauth_integration) == 2
    assert deliver(message).status == WritebackStatus.CONFIRMED
    assert deliver(second).status == WritebackStatus.CONFIRMED


def test_403_ends_in_needs_reauth_naming_the_missing_scope(oauth_integration, fake_ats):
    Token.objects.filter(integration=oauth_integration).update(
        scopes_requested=["results:write", "candidates:read"], scopes_granted=["results:write"]
    )
    fake_ats.inject(Fault("/results", status=403, body={"message": "missing permission"}))
    message = deliver(enqueue_one(oauth_integration))
    oauth_integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert "candidates:read" in oauth_integration.status_reason
    assert "candidates:read" in message.last_error


def test_429_with_retry_after_is_retried_when_the_ats_said(make_faultsim, fake_ats):
    fake_ats.inject(Fault("/results", status=429, headers={"Retry-After": "42"}))
    queued = enqueue_one(make_faultsim())
    message, low, high = delay_bounds(lambda: deliver(queued))
    assert message.status == WritebackStatus.RETRYING
    assert low <= 42 <= high + 1, "the wait is the Retry-After the ATS sent (whole seconds)"
    assert Schedule.objects.get(name=f"writeback:{message.pk}").next_run == message.next_attempt_at
    assert deliver(message).status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key[message.idempotency_key] == 1


def test_429_without_retry_after_uses_the_backoff(make_faultsim, fake_ats):
    fake_ats.inject(Fault("/results", status=429))
    queued = enqueue_one(make_faultsim())
    message, low, high = delay_bounds(lambda: deliver(queued))
    assert message.status == WritebackStatus.RETRYING
    assert low <= 5.5 and high >= 4.5, "5 s ±10% jitter, the first step of the backoff"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_follows_the_backoff_schedule(make_faultsim, fake_ats, status):
    message = enqueue_one(make_faultsim())
    waits = []
    for _ in range(4):
        fake_ats.inject(Fault("/results", status=status))
        message, low, high = delay_bounds(lambda m=message: deliver(m))
        assert message.status == WritebackStatus.RETRYING
        waits.append((low, high))
        WritebackMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    for (low, high), base in zip(waits, [5, 15, 60, 300], strict=True):
        assert low <= 1.1 * base and high >= 0.9 * base, (waits, "5s → 15s → 60s → 5m with ±10% jitter")
    assert deliver(message).status == WritebackStatus.CONFIRMED


def test_retries_stop_at_the_72_hour_horizon_with_a_dead_letter(make_faultsim, fake_ats):
    message = enqueue_one(make_faultsim())
    WritebackMessage.objects.filter(pk=message.pk).update(
        retry_window_started_at=timezone.now() - timedelta(hours=71, minutes=59), attempts=12
    )
    fake_ats.inject(Fault("/results", status=503))
    message = deliver(message)
    assert message.status == WritebackStatus.RETRYING
    assert seconds_until(message.next_attempt_at) <= 61, "the last retry lands on the horizon, not beyond"
    WritebackMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now(),
        retry_window_started_at=timezone.now() - timedelta(hours=72, seconds=1),
    )
    fake_ats.inject(Fault("/results", status=503))
    message = deliver(message)
    assert message.status == WritebackStatus.DEAD
    assert message.last_error.startswith("Gave up after 14 attempts over 72 h")


@pytest.mark.parametrize(
    ("status", "reason"), [(400, "bad scorecard"), (404, "no such application"), (422, "x")]
)
def test_validation_errors_and_404_go_to_the_dead_letters_with_the_reason(
    make_faultsim, fake_ats, status, reason
):
    fake_ats.inject(Fault("/results", status=status, body={"message": reason}))
    message = deliver(enqueue_one(make_faultsim()))
    assert message.status == WritebackStatus.DEAD
    assert reason in message.last_error and message.attempts == 1
    assert not Schedule.objects.filter(name=f"writeback:{message.pk}").exists()


def test_conflict_is_confirmed_when_the_ats_already_has_the_write(make_faultsim, fake_ats):
    integration = make_faultsim()
    message = enqueue_one(integration)
    fake_ats.results[message.idempotency_key] = {"id": "res_earlier", "key": message.idempotency_key}
    fake_ats.inject(Fault("/results", status=409, body={"message": "already exists"}))
    assert deliver(message).status == WritebackStatus.CONFIRMED


def test_timeout_after_sending_is_halted_counted_and_not_resent(make_faultsim, fake_ats, settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = (1, 0.3)
    fake_ats.timeout_sleep = 0.6
    fake_ats.inject(Fault("/results", kind="timeout_after_apply"))
    message = deliver(enqueue_one(make_faultsim()))
    assert message.status == WritebackStatus.HALTED and message.halted_count == 1
    assert message.last_error_class == "ATSAmbiguousError"
    assert writeback_deliver(message_id=message.pk) is None, "a halted row is never blindly resent"
    assert fake_ats.posts_by_key[message.idempotency_key] == 1


def test_network_error_before_sending_is_retried(make_faultsim, fake_ats):
    integration = make_faultsim(provider_settings={"base_url": "http://127.0.0.1:9"})  # nothing listens
    message = deliver(enqueue_one(integration))
    assert message.status == WritebackStatus.RETRYING and message.last_error_class == "ATSNetworkError"


def test_our_own_limiter_reschedules_without_spending_an_attempt(make_faultsim, fake_ats):
    integration = make_faultsim(provider_settings={"rate_limit": {"per_second": 2, "burst": 2}})
    first, second = enqueue_one(integration), enqueue_one(integration)
    assert deliver(first).status == WritebackStatus.CONFIRMED  # the POST and its read-back: 2 calls
    second = deliver(second)
    assert second.status == WritebackStatus.RETRYING and second.attempts == 0
    assert 0.5 < seconds_until(second.next_attempt_at) <= 1.2
    assert fake_ats.posts_by_key == {first.idempotency_key: 1}


def test_a_crashing_mapper_does_not_lose_the_write(make_faultsim, fake_ats, monkeypatch):
    from tests.integrations.reliability import faultsim

    monkeypatch.setattr(faultsim.FaultSimProvider, "deliver", lambda self, i, m: 1 / 0)
    message = deliver(enqueue_one(make_faultsim()))
    assert message.status == WritebackStatus.RETRYING and "ZeroDivisionError" in message.last_error
