"""Who is acting, for the audit log: set per request by AuditContextMiddleware, so services deep
in the integrations code record the actor without passing a user through every signature."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any = None  # a User, or None for the system / an ATS
    label: str = "system"
    ip: str | None = None


_actor: ContextVar[Actor | None] = ContextVar("jobcannon_audit_actor", default=None)


def current_actor() -> Actor:
    return _actor.get() or Actor()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def actor_for_request(request: Any) -> Actor:
    from jobcannon.core.clientaddr import client_address  # the one rule behind proxies

    user = getattr(request, "user", None)
    ip = client_address(request)
    if user is not None and user.is_authenticated:
        return Actor(user=user, label=getattr(user, "email", "") or user.get_username(), ip=ip)
    return Actor(user=None, label="anonymous", ip=ip)
