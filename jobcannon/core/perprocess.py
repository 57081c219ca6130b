"""One shared object per process and key: a Redis client, a SQLite connection.

Thousands of integrations (outbound buckets, integrations/services/ratelimit.py) or requests
(inbound budgets, integrations/services/inbound_limits.py) must not mean thousands of
connection pools or file handles. A forked worker makes its own: the key carries the pid."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

_objects: dict[tuple[int, str], Any] = {}
_lock = threading.Lock()


def per_process(key: str, make: Callable[[], Any]) -> Any:
    cache_key = (os.getpid(), key)
    found = _objects.get(cache_key)
    if found is None:
        with _lock:
            found = _objects.get(cache_key)
            if found is None:
                found = _objects[cache_key] = make()
    return found
