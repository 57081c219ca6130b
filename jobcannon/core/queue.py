"""Enqueueing django-q2 tasks with one broker per process.

`django_q.tasks.async_task` builds a new broker, and with Redis a new connection, on every call
(measured: ~4 ms of a webhook intake's ~7 ms). We keep one broker per process and queue name;
redis-py's pool is thread-safe and re-creates connections after a fork."""

from __future__ import annotations

import threading
from typing import Any

from django_q.brokers import Broker, get_broker

_lock = threading.Lock()
_brokers: dict[str | None, Broker] = {}


def broker(cluster: str | None = None) -> Broker:
    cached = _brokers.get(cluster)
    if cached is None:
        with _lock:
            cached = _brokers.get(cluster) or get_broker(cluster)
            _brokers[cluster] = cached
    return cached


def enqueue(func: str, *args: Any, **kwargs: Any) -> str:
    from django_q.tasks import async_task

    return async_task(func, *args, broker=broker(kwargs.get("cluster")), **kwargs)
