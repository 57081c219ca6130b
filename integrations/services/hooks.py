"""Announcements integrations makes to the apps above it, without importing them: the audit
log (jobcannon.audit) subscribes from its AppConfig.ready. A plain list of callables (house
style §7: explicit registration, not Django signals), called in order inside the caller's
transaction; errors propagate like any other write."""

from __future__ import annotations

from typing import Any, Protocol


class ActivitySubscriber(Protocol):
    def __call__(self, *, activity: Any) -> Any: ...


class ReplaySubscriber(Protocol):
    def __call__(self, *, target: Any) -> Any: ...


_activity_subscribers: list[ActivitySubscriber] = []
_replay_subscribers: list[ReplaySubscriber] = []


def activity_subscribe(subscriber: ActivitySubscriber) -> None:
    """`subscriber(activity=...)` after every integration activity line. Twice is a no-op."""
    if subscriber not in _activity_subscribers:
        _activity_subscribers.append(subscriber)


def activity_announce(*, activity: Any) -> None:
    for subscriber in _activity_subscribers:
        subscriber(activity=activity)


def replay_subscribe(subscriber: ReplaySubscriber) -> None:
    """`subscriber(target=...)` when a webhook event is reprocessed or a write-back replayed."""
    if subscriber not in _replay_subscribers:
        _replay_subscribers.append(subscriber)


def replay_announce(*, target: Any) -> None:
    for subscriber in _replay_subscribers:
        subscriber(target=target)
