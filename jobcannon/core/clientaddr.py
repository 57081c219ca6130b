"""The client's address: one rule for the login throttle (allauth), our inbound rate limits, the
webhook log and the audit log.

Behind a load balancer every request arrives from the balancer, so REMOTE_ADDR alone would make
one bucket of the whole internet (anyone could lock every user out of signing in) and record the
balancer in the audit log. Two settings, from the environment (docs/deployment.md §3):

- TRUSTED_CLIENT_IP_HEADER (e.g. `X-Real-IP`, `CF-Connecting-IP`): a header that our own proxy
  sets to the client's address, overwriting whatever the client sent. When set, it is used.
- TRUSTED_PROXY_COUNT: how many proxies of ours append to X-Forwarded-For. Each appends the address
  it saw, so the entry that many places from the right was written by our outermost proxy and is
  the client's; anything left of it is the client's own claim and ignored. With fewer entries
  than that (a request that skipped the outer proxy) the leftmost entry is still ours.

With neither (the default: nothing in front, or a proxy we do not trust) it is REMOTE_ADDR.
A value that is not an IP address falls back to REMOTE_ADDR. The same two settings are given to
allauth (ALLAUTH_TRUSTED_PROXY_COUNT, ALLAUTH_TRUSTED_CLIENT_IP_HEADER), and its adapter asks
this module anyway (AccountAdapter below), so the two cannot drift apart."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied
from django.db import connections, router, transaction
from django.http import HttpRequest

from jobcannon.core.perprocess import per_process

logger = logging.getLogger(__name__)


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1 and "." in value:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address_from_meta(meta: Mapping[str, Any]) -> str | None:
    """The client's address from a WSGI environ / request.META (see the module docstring)."""
    remote = _clean(meta.get("REMOTE_ADDR"))
    header = getattr(settings, "TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return _clean(meta.get("HTTP_" + header.upper().replace("-", "_"))) or remote
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count > 0:
        hops = [h for h in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
        if hops:
            return _clean(hops[-min(count, len(hops))]) or remote
    return remote


def client_address(request: HttpRequest) -> str | None:
    return client_address_from_meta(request.META)


def client_bucket(address: str | None) -> str:
    """The rate-limit identity of an address: IPv6 clients get a /64 each (an ISP hands a whole
    /64 to one customer, who could otherwise pick a fresh address per request), as allauth does."""
    if not address:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6 and not parsed.ipv4_mapped:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped or parsed) if parsed.version == 6 else str(parsed)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with the client address (its login throttle, user sessions) from the
    one rule above, and a login throttle that outlives the cache (RateLimitCache below)."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        ratelimit_cache_install()

    def get_client_ip(self, request: HttpRequest) -> str:
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address


# --- allauth's throttle when the cache is down ---------------------------------------------------
#
# allauth keeps every rate limit (the login view's, failed logins per address and per email,
# signup, password reset...) as hit histories in the default cache, through the module global
# `cache` of allauth/core/internal/ratelimit.py (cache_lock, _consume_single_rate, rollback,
# clear; django-allauth 65.x), and no adapter method stands between them: with the cache table
# missing or Redis down every sign-in POST was a 500. That global is replaced (once, from the
# adapter, which allauth builds before it takes from a limit) by the default cache behind a
# fallback: while the cache raises, the histories live in this process's memory, so the
# throttle still bites (per process, as integrations/services/inbound_limits.py's budgets do
# without Redis), and the cache is tried again every RATELIMIT_CACHE_RETRY_SECONDS.

RATELIMIT_CACHE_RETRY_SECONDS = 5.0


class _FallbackState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.warned = False
        # Keys whose `add` (allauth's lock) went to the cache: their delete must reach the cache
        # even if it failed in between (see RateLimitCache.delete).
        self.taken_in_cache: set[str] = set()


_state = _FallbackState()


def _memory() -> LocMemCache:
    return per_process("allauth-ratelimit-memory", lambda: LocMemCache("allauth-ratelimit", {}))


@contextlib.contextmanager
def _savepoint_if_database_cache(backend: BaseCache) -> Iterator[None]:
    """A failing query of the database cache inside a transaction would leave the transaction
    unusable on PostgreSQL (the sign-in's own queries after it would fail): give it a savepoint."""
    if isinstance(backend, BaseDatabaseCache):
        using = router.db_for_write(backend.cache_model_class)
        if connections[using].in_atomic_block:
            with transaction.atomic(using=using):
                yield
            return
    yield


class RateLimitCache:
    """The cache allauth's rate limiter talks to: the default cache, or memory while it raises."""

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._call_where(method, *args, **kwargs)[0]

    def _call_where(self, method: str, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
        """(result, whether the cache answered it rather than memory)."""
        if _state.down_until <= time.monotonic():
            backend = caches[DEFAULT_CACHE_ALIAS]  # what allauth's own `cache` proxy resolves to
            try:
                with _savepoint_if_database_cache(backend):
                    result = getattr(backend, method)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any cache failure: no table, Redis down, timeout
                with _state.lock:
                    _state.down_until = time.monotonic() + RATELIMIT_CACHE_RETRY_SECONDS
                    first = not _state.warned
                    _state.warned = True
                if first:  # once per outage, not once per sign-in
                    logger.warning("ratelimit.cache_unavailable", extra={"error_class": type(exc).__name__})
            else:
                _state.warned = False
                return result, True
        return getattr(_memory(), method)(*args, **kwargs), False

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> bool:
        added, in_cache = self._call_where("add", key, value, timeout=timeout)
        if added and in_cache:
            with _state.lock:
                if len(_state.taken_in_cache) > 10_000:  # locks are deleted at once; a bound anyway
                    _state.taken_in_cache.clear()
                _state.taken_in_cache.add(key)
        return bool(added)

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> None:
        self._call("set", key, value, timeout=timeout)

    def delete(self, key: str) -> None:
        with _state.lock:
            taken_in_cache = key in _state.taken_in_cache
            _state.taken_in_cache.discard(key)
        if taken_in_cache and _state.down_until > time.monotonic():
            # allauth deletes its lock in a `finally`: a lock taken in the cache just before it
            # failed would otherwise stay there (10 s) once it is back, refusing right passwords.
            # Only such a key is tried while the cache is down, so a hung cache costs one timeout
            # per lock it held, not one per sign-in for the whole outage.
            with contextlib.suppress(Exception):
                backend = caches[DEFAULT_CACHE_ALIAS]
                with _savepoint_if_database_cache(backend):
                    backend.delete(key)
        else:
            self._call("delete", key)
        _memory().delete(key)


def ratelimit_cache_install() -> None:
    if not isinstance(allauth_ratelimit.cache, RateLimitCache):
        allauth_ratelimit.cache = RateLimitCache()  # type: ignore[assignment]


def ratelimit_cache_reset() -> None:
    """Forget the outage and the histories kept in memory (tests: a fresh process)."""
    with _state.lock:
        _state.down_until, _state.warned = 0.0, False
        _state.taken_in_cache.clear()
    _memory().clear()
