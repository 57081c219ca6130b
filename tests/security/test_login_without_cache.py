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
