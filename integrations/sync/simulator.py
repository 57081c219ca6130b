"""What every built-in simulator's paged lists share (dev and tests only): injected failures, so a
test or a developer can break a sync run on page N and watch the next run continue it.

A fault is a SimulatorObject (provider, kind "sync_fault", key = the operation): {"page": N,
"status": 503, "times": 1}. The simulator asks `fault_take` before answering a page; while times
remain, page N of that operation answers with the status instead of data."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db import transaction

from integrations.simulator_plugins.models import SimulatorObject

KIND = "sync_fault"


def fault_set(provider: str, operation: str, *, page: int, status: int = 503, times: int = 1) -> None:
    SimulatorObject.objects.update_or_create(
        provider=provider,
        kind=KIND,
        key=operation[:120],
        defaults={"data": {"page": page, "status": status, "times": times}},
    )


def fault_clear(provider: str, operation: str = "") -> None:
    qs = SimulatorObject.objects.filter(provider=provider, kind=KIND)
    (qs.filter(key=operation[:120]) if operation else qs).delete()


def fault_take(provider: str, operation: str, page: int) -> int | None:
    """The status to answer instead of page `page`, consuming one use of the fault; None = none."""
    with transaction.atomic():
        fault = (
            SimulatorObject.objects.select_for_update()
            .filter(provider=provider, kind=KIND, key=operation[:120])
            .first()
        )
        if fault is None or int(fault.data.get("page", 0)) != page or int(fault.data.get("times", 0)) <= 0:
            return None
        fault.data = {**fault.data, "times": int(fault.data["times"]) - 1}
        fault.save(update_fields=["data", "updated_at"])
        return int(fault.data.get("status", 503))


def opaque(data: dict[str, Any]) -> str:
    """Cursors and tokens the simulators hand out: opaque to clients, as the vendors' are."""
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def unopaque(value: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None
