"""On-demand fault injection for the built-in ATS simulators (dev and tests only).

Queue faults for a provider's simulator, then its views answer them in order, one per call:

    sim_fault_inject(provider="ashby", faults=["429", "429:30", "503", "401", "timeout"])

A simulator view opts in with one decorator, `@sim_faults("ashby")`:

- "429" / "429:<seconds>": Too Many Requests, without / with Retry-After;
- "5xx", "4xx" (any status, e.g. "503", "401", "403", "404"): that status with a JSON message;
- "timeout": the request never gets an answer and nothing is applied;
- "timeout_after": the view runs (the write is applied) and then no answer comes: the
  ambiguous case the outbox must resolve by reading back.

A timeout is raised as requests.ReadTimeout when the simulator runs in-process (the `simulators`
test fixture routes requests into the Django test client), and is a real wait past the client's
read timeout on a live server. The queue lives in SimulatorObject rows, so the web server and the
workers see the same faults."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.simulator_plugins.models import SimulatorObject

KIND = "faults"


def sim_fault_inject(*, provider: str, faults: Sequence[str], path_prefix: str = "") -> None:
    """Append faults to the provider's queue (optionally only for paths starting with a prefix)."""
    with transaction.atomic():
        row, _ = SimulatorObject.objects.select_for_update().get_or_create(
            provider=provider, kind=KIND, key="queue", defaults={"data": {"faults": []}}
        )
        queued = list(row.data.get("faults", []))
        queued.extend({"fault": str(f), "path": path_prefix} for f in faults)
        row.data = {"faults": queued}
        row.save(update_fields=["data", "updated_at"])


def sim_fault_clear(*, provider: str) -> None:
    SimulatorObject.objects.filter(provider=provider, kind=KIND).delete()


def sim_fault_take(*, provider: str, path: str) -> str | None:
    """The next queued fault that applies to `path`, removed from the queue."""
    if not SimulatorObject.objects.filter(provider=provider, kind=KIND).exists():
        return None  # the common case costs one indexed read and no transaction
    with transaction.atomic():
        row = (
            SimulatorObject.objects.select_for_update()
            .filter(provider=provider, kind=KIND, key="queue")
            .first()
        )
        if row is None:
            return None
        queued = list(row.data.get("faults", []))
        for i, item in enumerate(queued):
            if path.startswith(item.get("path", "")):
                del queued[i]
                row.data = {"faults": queued}
                row.save(update_fields=["data", "updated_at"])
                return str(item["fault"])
    return None


def _no_answer(request: HttpRequest) -> HttpResponse:
    import requests

    if request.META.get("SERVER_NAME") == "testserver":
        raise requests.ReadTimeout("simulated: the ATS did not answer in time")
    _connect, read = settings.OUTBOUND_TIMEOUT_SECONDS
    time.sleep(float(read) + 1)
    return JsonResponse({"message": "simulated timeout"}, status=504)


def sim_fault_response(fault: str, request: HttpRequest) -> HttpResponse:
    if fault in ("timeout", "timeout_after"):
        return _no_answer(request)
    status, _, retry_after = fault.partition(":")
    response = JsonResponse(
        {"message": f"simulated {status}", "code": f"simulated_{status}"}, status=int(status)
    )
    if retry_after:
        response["Retry-After"] = retry_after
    return response


def sim_faults(provider: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a simulator view: it answers the next queued fault for its provider first."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = sim_fault_take(provider=provider, path=request.path)
            if fault is None:
                return view(request, *args, **kwargs)
            if fault == "timeout_after":
                view(request, *args, **kwargs)  # applied, then the answer is lost
            return sim_fault_response(fault, request)

        return wrapped

    return decorate
