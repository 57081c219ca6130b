"""Signing in with the cache gone (no cache table, Redis down): allauth keeps its login throttle
in the cache, and a sign-in must not become a 500 because the cache cannot be reached. The
throttle falls back to the process's memory, so it still bites."""

from __future__ import annotations

import logging

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NO_CACHE_TABLE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_cache_table"}
}
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.2},
    }
}


@pytest.fixture(params=[NO_CACHE_TABLE, REDIS_DOWN], ids=["no-cache-table", "redis-down"])
def cache_gone(request, settings):
    from jobcannon.core import clientaddr

    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    settings.CACHES = request.param
    clientaddr.ratelimit_cache_reset()  # a fresh process: nothing remembered, nothing warned yet
    yield
    clientaddr.ratelimit_cache_reset()


def sign_in(client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_wrong_password_is_the_normal_form_error(client, cache_gone):
    user = UserFactory()
    response = sign_in(client, user.email, "not-the-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in(client, cache_gone):
    user = UserFactory()
    response = sign_in(client, user.email, "correct-horse-battery")
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_failed_logins_are_still_throttled_and_the_outage_is_logged_once(client, cache_gone, caplog):
    user = UserFactory()
    with caplog.at_level(logging.WARNING, logger="jobcannon.core.clientaddr"):
        for _ in range(5):
            assert sign_in(client, user.email, "wrong").status_code == 200
        response = sign_in(client, user.email, "correct-horse-battery")
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    warnings = [r for r in caplog.records if r.getMessage() == "ratelimit.cache_unavailable"]
    assert len(warnings) == 1


@pytest.fixture
def fresh_limits(settings):
    from jobcannon.core import clientaddr

    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    clientaddr.ratelimit_cache_reset()
    yield
    clientaddr.ratelimit_cache_reset()


def test_with_the_cache_up_the_throttle_lives_in_the_shared_cache(client, fresh_limits):
    """Several app servers share one throttle only through the cache: with it up, nothing is kept
    in this process's memory (a per-process throttle would multiply the limit by the workers)."""
    from django.core.cache import cache

    from jobcannon.core import clientaddr

    user = UserFactory()
    sign_in(client, user.email, "wrong")
    assert not clientaddr._memory()._cache, "nothing kept in this process while the cache is up"
    assert any("allauth" in str(key) or "rl:" in str(key) for key in _cache_keys(cache)), _cache_keys(cache)


def test_after_the_outage_the_throttle_goes_back_to_the_shared_cache(client, fresh_limits, monkeypatch):
    from django.core.cache import cache

    from jobcannon.core import clientaddr

    user = UserFactory()
    real = clientaddr.caches
    monkeypatch.setattr(clientaddr, "caches", {"default": _Broken()})
    sign_in(client, user.email, "wrong")  # during the outage: kept in memory
    assert clientaddr._memory()._cache
    monkeypatch.setattr(clientaddr, "caches", real)
    monkeypatch.setattr(clientaddr, "RATELIMIT_CACHE_RETRY_SECONDS", 0.0)
    clientaddr._state.down_until = 0.0  # the retry time has come
    clientaddr._memory().clear()
    sign_in(client, user.email, "wrong")
    assert not clientaddr._memory()._cache, "back on the shared cache once it answers"
    assert _cache_keys(cache)


def test_a_lock_taken_just_before_the_cache_failed_is_released_there(fresh_limits, monkeypatch):
    """allauth takes a lock (cache.add), then the cache fails: its `finally` deletes the lock,
    which must leave the real cache too, or sign-ins are refused once the cache is back."""
    from django.core.cache import cache

    from jobcannon.core import clientaddr

    limiter = clientaddr.RateLimitCache()
    assert limiter.add("allauth-lock-probe", 1, timeout=10)
    clientaddr._state.down_until = float("inf")  # the cache is now thought to be down
    limiter.delete("allauth-lock-probe")
    assert cache.get("allauth-lock-probe") is None


class _Broken:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def _cache_keys(cache) -> list[str]:
    """The keys in the test cache, whatever the backend (database table, Redis, memory)."""
    backend = cache._cache if hasattr(cache, "_cache") else None
    if hasattr(cache, "client") and hasattr(cache.client, "get_client"):  # django-redis
        return [k.decode() for k in cache.client.get_client().keys(f"{cache.key_prefix}*")]
    if isinstance(backend, dict):  # LocMemCache
        return list(backend)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {cache._table}")
        return [row[0] for row in cursor.fetchall()]


def test_while_the_cache_hangs_a_sign_in_does_not_wait_on_it_for_locks_it_never_held(
    fresh_limits, monkeypatch
):
    """A hung Redis (accepts, never answers) costs a socket timeout per call: once the breaker is
    open, deleting a lock taken in memory must not go to the cache at all."""
    from jobcannon.core import clientaddr

    calls: list[str] = []

    class Hung:
        def __getattr__(self, name):
            def hang(*args, **kwargs):
                calls.append(name)
                raise TimeoutError("no answer in time")

            return hang

    monkeypatch.setattr(clientaddr, "caches", {"default": Hung()})
    limiter = clientaddr.RateLimitCache()
    assert limiter.add("allauth-lock-1", 1, timeout=10)  # the cache times out once: breaker opens
    assert calls == ["add"]
    for n in range(5):  # the rest of this sign-in and the next ones, during the outage
        limiter.delete(f"allauth-lock-{n}")
        limiter.add(f"allauth-lock-{n + 10}", 1, timeout=10)
    assert calls == ["add"], "no further call waits on the hung cache"
