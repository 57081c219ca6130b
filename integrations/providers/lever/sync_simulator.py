"""The built-in Lever sandbox's opportunity list, as the data sync uses it (dev and tests only):
the simulator's own filters (stage_id, email) plus Lever's `updated_at_start` (ms), repeated
`expand` values (applications, stage), `hasNext`/`next` paging, and a test lever: a failure
injected on page N (`integrations.sync.simulator.fault_set("lever", "opportunities.list",
page=N)`). Mounted ahead of simulator.py's `v1/opportunities[/<id>]` by LeverProvider.simulator_urls
(same answers, plus the above)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path

from integrations.sync import simulator as faults

from . import simulator_state as state
from .simulator import error, lever_api, page, public_opportunity


def _expanded(opp: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    out = public_opportunity(opp, ",".join(expand))
    if "stage" in expand:
        stage = state.get("stage", opp["stage"]) or {"id": opp["stage"], "text": ""}
        out["stage"] = {"id": stage["id"], "text": stage.get("text", "")}
    return out


@lever_api("opportunities.list")
def opportunities(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    items = state.rows("opportunity")
    if request.GET.get("stage_id"):
        items = [o for o in items if o["stage"] == request.GET["stage_id"]]
    if request.GET.get("email"):
        items = [o for o in items if request.GET["email"] in o.get("emails", [])]
    try:
        since = int(request.GET.get("updated_at_start", "0") or 0)
        limit = max(1, min(100, int(request.GET.get("limit", 100))))
        start = int(request.GET.get("offset", "0.0").split(".")[-1] or 0)
    except ValueError:
        return error(400, "BadRequest", "updated_at_start must be a timestamp in ms.")
    if since:
        items = [o for o in items if int(o.get("updatedAt") or 0) >= since]
    status = faults.fault_take(state.P, "opportunities.list", start // limit + 1)
    if status:
        return error(status, "ServiceUnavailable", "Lever is temporarily unavailable (simulated).")
    return page(request, [_expanded(o, _expand(request)) for o in items])


@lever_api("opportunities.get")
def opportunity(request: HttpRequest, body: dict[str, Any], opportunity_id: str) -> JsonResponse:
    opp = state.get("opportunity", opportunity_id)
    if opp is None:
        return error(404, "ResourceNotFound", f"Opportunity {opportunity_id} not found.")
    return JsonResponse({"data": _expanded(opp, _expand(request))})


def _expand(request: HttpRequest) -> list[str]:
    """Lever takes `expand` repeated (expand=applications&expand=stage)."""
    return [e for value in request.GET.getlist("expand") for e in value.split(",") if e]


def urlpatterns() -> list:
    return [
        path("v1/opportunities", opportunities, name="api-opportunities-sync"),
        path("v1/opportunities/<str:opportunity_id>", opportunity, name="api-opportunity-sync"),
    ]
