"""Readiness checks behind /readyz and the system status page.

Each check answers "ok" or a one-word failure; the reason goes to the log (exception class
only), never to the response. Checks are bounded in time by the connection timeouts set in
production settings (database connect_timeout, Redis socket timeouts) and the short-timeout
Redis client used here, so a dead dependency makes readyz answer 503 quickly, not hang."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

OK = "ok"
FAIL = "fail"
SKIPPED = "skipped"

# Once every migration is applied this process never checks again (a deploy starts new
# processes); until then it re-reads the migration graph at most every few seconds.
_migrations_state: dict[str, float | bool] = {"ok": False, "checked_at": -1e9}
MIGRATIONS_RECHECK_SECONDS = 5.0


def reset_cache() -> None:
    _migrations_state.update(ok=False, checked_at=-1e9)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_cache() -> str:
    from django.core.cache import cache

    value = uuid.uuid4().hex
    cache.set("jobcannon:readyz", value, 10)
    return OK if cache.get("jobcannon:readyz") == value else FAIL


def check_broker() -> str:
    if not settings.REDIS_URL:
        # ORM broker: the queue is a table in the database checked above.
        return check_database()
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        return OK if client.ping() else FAIL
    finally:
        client.close()


def check_migrations() -> str:
    if _migrations_state["ok"]:
        return OK
    now = time.monotonic()
    if now - float(_migrations_state["checked_at"]) < MIGRATIONS_RECHECK_SECONDS:
        return "pending"
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrations_state.update(ok=not pending, checked_at=now)
    return OK if not pending else "pending"


def check_workers() -> str:
    from jobcannon.core.workers import workers_alive

    return OK if workers_alive() else "stale"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "migrations": check_migrations,
    "workers": check_workers,
}


# Only the workers check may be skipped (by the load balancer's probe, see readyz).
SKIPPABLE = frozenset({"workers"})


def readiness(*, skip: Iterable[str] = ()) -> dict[str, str]:
    skipped = set(skip)
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in skipped:
            results[name] = SKIPPED
            continue
        if name == "migrations" and results.get("database") not in (None, OK):
            results[name] = FAIL  # no database, no answer: do not wait for a second timeout
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is "not ready", details in the log
            logger.warning("readyz.check_failed", extra={"check": name, "error_class": type(exc).__name__})
            results[name] = FAIL
    return results


def is_ready(results: dict[str, str]) -> bool:
    return all(v in (OK, SKIPPED) for v in results.values())
