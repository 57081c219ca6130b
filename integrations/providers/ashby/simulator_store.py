"""The rows of the built-in Ashby simulator (SimulatorObject, provider "ashby"): reading and
writing them, the account row. Below simulator_state (accounts, keys, outbound HTTP) and
simulator_sync_data (the records the sync endpoints serve), which both build on it. Dev/test only."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.simulator_plugins.models import SimulatorObject

P = "ashby"
# Sent on every request the simulated Ashby makes (partner calls, webhooks).
USER_AGENT = "Ashby-Simulator/1.0 (JobCannon built-in sandbox)"


def now_iso() -> str:
    return timezone.now().isoformat()


def get(kind: str, key: str) -> SimulatorObject | None:
    return SimulatorObject.objects.filter(provider=P, kind=kind, key=key).first()


def put(kind: str, key: str, data: dict[str, Any]) -> SimulatorObject:
    obj, _ = SimulatorObject.objects.update_or_create(provider=P, kind=kind, key=key, defaults={"data": data})
    return obj


def list_for(kind: str, account: str) -> list[SimulatorObject]:
    return [
        o
        for o in SimulatorObject.objects.filter(provider=P, kind=kind).order_by("created_at", "id")
        if o.data.get("account") == account
    ]


def account_get(account_id: str) -> SimulatorObject | None:
    return get("account", account_id)


def account_update(account_id: str, **changes: Any) -> SimulatorObject:
    with transaction.atomic():
        obj = SimulatorObject.objects.select_for_update().get(provider=P, kind="account", key=account_id)
        obj.data = {**obj.data, **changes}
        obj.save(update_fields=["data", "updated_at"])
    return obj
