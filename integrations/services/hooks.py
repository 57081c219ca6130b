"""Announcements integrations makes to the apps above it, without importing them: the audit
log (jobcannon.audit) subscribes from its AppConfig.ready, and the data sync (integrations.sync,
which builds on these services) wraps the webhook drain's batches from its own. A plain list of callables (house
style §7: explicit registration, not Django signals), called in order inside the caller's
transaction; errors propagate like any other write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any, Protocol


class ActivitySubscriber(Protocol):
    def __call__(self, *, activity: Any) -> Any: ...


class ReplaySubscriber(Protocol):
    def __call__(self, *, target: Any) -> Any: ...


_activity_subscribers: list[ActivitySubscriber] = []
_replay_subscribers: list[ReplaySubscriber] = []
_webhook_batch_wrappers: list[Callable[[], AbstractContextManager[Any]]] = []


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


def webhook_batch_register(wrapper: Callable[[], AbstractContextManager[Any]]) -> None:
    """`wrapper()` is a context manager the webhook drain enters around each batch of events it
    handles in one transaction (integrations.sync: the records they carry are written once, when
    the batch ends). Twice is a no-op."""
    if wrapper not in _webhook_batch_wrappers:
        _webhook_batch_wrappers.append(wrapper)


@contextmanager
def webhook_batch() -> Iterator[None]:
    with ExitStack() as stack:
        for wrapper in _webhook_batch_wrappers:
            stack.enter_context(wrapper())
        yield
