"""Partner-key authentication with the cache gone (no cache table, Redis down): the cache only
folds repeated failures into one log line, so a wrong key is still refused (logged on its own
line) and the right key still works; never a 500."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationActivity

from .helpers import ashby_integration, partner_post, start_body, with_partner_key

BROKEN_CACHES = {
    "no cache table": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "no_such_cache_table",
    },
    "redis down": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.2},
    },
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_kind", list(BROKEN_CACHES))
def test_partner_key_auth_refuses_or_works_with_the_cache_down(client, settings, cache_kind):
    integration = ashby_integration()
    key = with_partner_key(integration)
    settings.CACHES = {"default": BROKEN_CACHES[cache_kind]}
    for _ in range(2):  # the second failure is the one that would be folded into the first's line
        wrong = partner_post(client, integration, "assessment-list", {}, "jcash_000000000000_wrong")
        assert wrong.status_code == 200, wrong.content
        assert wrong.json()["errorInfo"]["code"] == "unauthenticated"
    assert IntegrationActivity.objects.filter(integration=integration, kind="partner.auth_failed").exists()
    assert partner_post(client, integration, "assessment-list", {}, key).status_code == 200
    started = partner_post(client, integration, "assessment-start", start_body(), key, by_key=True)
    assert started.status_code in (200, 201), started.content
