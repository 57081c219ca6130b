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

import ipaddress
from collections.abc import Mapping
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


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
    one rule above."""

    def get_client_ip(self, request: HttpRequest) -> str:
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address
