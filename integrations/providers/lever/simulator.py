"""The built-in Lever sandbox API (dev and tests only), at /sim/lever/v1/...

Behaves like Lever on the wire for the endpoints our client uses: Basic (key as username) or
Bearer auth, 401/403 with Lever's `{"code", "message"}` body, `hasNext`/`next` paging, 429 over
10 rps with bursts up to 20 (LD "Rate Limits"), 403 from /webhooks on a plan without the Webhooks
Subscription API (simulator_webhooks.plan_set), feedback templates that must have exactly one
score-system field, feedback that needs `perform_as` and an opportunity with an active
application."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import constants, simulator_pages
from . import simulator_state as state
from . import simulator_webhooks as outbound

API_KEY_LIFETIME_MS = int(constants.API_KEY_LIFETIME.total_seconds() * 1000)


def error(status: int, code: str, message: str) -> JsonResponse:
    # LD "Responses and Errors" [F] shows one error body, {"code": "ResourceNotFound", "message": ...},
    # and per status only a sentence (403: "Your Lever account settings don't authorize you to
    # perform the requested operation. Talk to a Super Admin on your Lever account to update your
    # API settings."). The other `code` values here ("Forbidden", "TooManyRequests", ...) are ours [I];
    # our client classifies an error by its status and shows the message, never by these codes.
    return JsonResponse({"code": code, "message": message}, status=status)


def _credential(request: HttpRequest) -> tuple[str, dict[str, Any]] | JsonResponse:
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() == "basic":
        try:
            secret = base64.b64decode(value).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            secret = ""
    elif kind.lower() == "bearer":
        secret = value.strip()
    else:
        return error(
            401, "Unauthorized", f"{constants.INVALID_KEY_TITLE}: send the API key (Basic or Bearer)."
        )
    key = state.get("api_key", state.digest(secret)) if secret else None
    if key is not None:
        if key.get("revoked") or state.now_ms() - int(key["createdAt"]) > API_KEY_LIFETIME_MS:
            return error(
                401, "Unauthorized", f"{constants.INVALID_KEY_TITLE}: the API key is expired or revoked."
            )
        return state.digest(secret), key
    token = state.get("access_token", state.digest(secret)) if secret and kind.lower() == "bearer" else None
    if token is not None and token["expiresAt"] > state.now_ms():
        return state.digest(secret), token
    return error(401, "Unauthorized", constants.INVALID_KEY_TITLE)


def lever_api(operation: str) -> Callable:
    """Auth, scope, rate limit and JSON errors around one endpoint."""
    seed_scope, oauth_scope = constants.OPERATION_SCOPES.get(operation, ("", ""))

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            found = _credential(request)
            if isinstance(found, JsonResponse):
                return found
            credential, grant = found
            if not state.rate_limit_take(credential):
                per_second, burst, _ = state.rate_limit()
                return error(
                    429,
                    "TooManyRequests",
                    f"Rate limit exceeded: {per_second:g} requests/second (bursts up to {burst}).",
                )
            scopes = set(grant.get("scopes") or [])
            if seed_scope and not scopes & {seed_scope, oauth_scope}:
                return error(
                    403, "Forbidden", f"{constants.INVALID_KEY_TITLE}: missing {seed_scope} ({oauth_scope})."
                )
            state.ensure_seeded()
            body: dict[str, Any] = {}
            if request.method in ("POST", "PUT"):
                try:
                    body = json.loads(request.body or b"{}")
                except ValueError:
                    return error(400, "BadRequest", "Body is not valid JSON.")
                if not isinstance(body, dict):
                    return error(400, "BadRequest", "Body must be a JSON object.")
            return view(request, body, *args, **kwargs)

        return inner

    return wrap


def page(request: HttpRequest, items: list[dict[str, Any]]) -> JsonResponse:
    try:
        limit = max(1, min(100, int(request.GET.get("limit", 100))))
        start = int(request.GET.get("offset", "0.0").split(".")[-1] or 0)
    except ValueError:
        return error(400, "BadRequest", "limit must be 1-100 and offset a value from `next`.")
    chunk = items[start : start + limit]
    has_next = start + limit < len(items)
    out: dict[str, Any] = {"data": chunk, "hasNext": has_next}
    if has_next:
        out["next"] = f"{secrets.token_hex(4)}.{start + limit}"  # opaque to clients, as Lever's is
    return JsonResponse(out)


def public_opportunity(opp: dict[str, Any], expand: str = "") -> dict[str, Any]:
    out = {k: v for k, v in opp.items() if not k.startswith("_")}
    if "applications" not in expand.split(","):
        out["applications"] = [a["id"] for a in opp.get("applications", [])]
    return out


@lever_api("opportunities.list")
def opportunities(request, body):
    items = state.rows("opportunity")
    if request.GET.get("stage_id"):
        items = [o for o in items if o["stage"] == request.GET["stage_id"]]
    if request.GET.get("email"):
        items = [o for o in items if request.GET["email"] in o.get("emails", [])]
    return page(request, [public_opportunity(o, request.GET.get("expand", "")) for o in items])


@lever_api("opportunities.get")
def opportunity(request, body, opportunity_id):
    opp = state.get("opportunity", opportunity_id)
    if opp is None:
        return error(404, "ResourceNotFound", f"Opportunity {opportunity_id} not found.")
    return JsonResponse({"data": public_opportunity(opp, request.GET.get("expand", ""))})


def _list(kind: str, operation: str) -> Callable:
    @lever_api(operation)
    def view(request, body):
        return page(request, state.rows(kind))

    return view


# LD 403: "Your Lever account settings don't authorize you to perform the requested operation."
PLAN_WITHOUT_WEBHOOKS_API = (
    "Your Lever account settings don't authorize you to perform the requested operation. Talk to a Super "
    "Admin on your Lever account to update your API settings."
)


@lever_api("webhooks.create")
def webhooks(request, body):
    """LD "Webhooks via the API", "Create a Webhook" (https://hire.lever.co/developer/documentation):
    `POST /webhooks` takes {"url", "event", "configuration"?}, one event per webhook, `event` one
    of Lever's triggers; the 201 carries the webhook's own configuration.signatureToken. Seed
    004's {"url", "triggers": [...]} is refused as Lever refuses it. The webhook sends nothing
    until its group is switched on in the settings (simulator_webhooks.webhook_groups_set)."""
    if not outbound.webhooks_api_enabled():  # the Webhooks Subscription API is not on this plan
        return error(403, "Forbidden", PLAN_WITHOUT_WEBHOOKS_API)
    if request.method == "GET":
        return page(request, state.rows("webhook"))  # LD: "Lists all existing webhooks"
    triggers = ", ".join(constants.LEVER_WEBHOOK_EVENTS)
    if "triggers" in body or not body.get("event"):
        return error(
            400,
            "BadRequest",
            f"event is required: one of the available webhook triggers ({triggers}); one webhook per "
            "event (`triggers` is not a parameter).",
        )
    event = body["event"]
    if event not in constants.LEVER_WEBHOOK_EVENTS:
        return error(400, "BadRequest", f"Unknown webhook event {event!r}: one of {triggers}.")
    if not str(body.get("url", "")).startswith(("https://", "http://")):
        return error(400, "BadRequest", "url must be an absolute https URL.")
    configuration = body.get("configuration") or {}
    conditions = configuration.get("conditions") if isinstance(configuration, dict) else None
    if conditions and event not in constants.CONFIGURABLE_EVENTS:
        return error(400, "BadRequest", f"{event} cannot be configured with conditions.")
    hook = outbound.webhook_add(url=body["url"], event=event, conditions=conditions or {})
    return JsonResponse({"data": {k: v for k, v in hook.items() if k != "byHand"}}, status=201)


@lever_api("feedback_templates.create")
def feedback_templates(request, body):
    if request.method == "GET":
        return page(request, state.rows("feedback_template"))
    fields = body.get("fields") or []
    if not body.get("text") or not isinstance(fields, list):
        return error(400, "BadRequest", "text and fields are required.")
    if sum(1 for f in fields if f.get("type") == "score-system") != 1:
        return error(
            400,
            "BadRequest",
            "A feedback template is required to have exactly one field of type score-system.",
        )
    template = {
        "id": str(uuid.uuid4()),
        "text": body["text"],
        "instructions": body.get("instructions", ""),
        "group": None,
        "stage": None,
        "createdAt": state.now_ms(),
        "updatedAt": state.now_ms(),
        "fields": [{**f, "id": str(uuid.uuid4())} for f in fields],
    }
    state.put("feedback_template", template["id"], template)
    return JsonResponse({"data": template}, status=201)


def _active_opportunity(opportunity_id: str) -> dict[str, Any] | JsonResponse:
    opp = state.get("opportunity", opportunity_id)
    if opp is None:
        return error(404, "ResourceNotFound", f"Opportunity {opportunity_id} not found.")
    if opp.get("archived") or not any(a.get("status") == "active" for a in opp.get("applications", [])):
        return error(
            404, "ResourceNotFound", "Opportunity has no active application (archived, rejected or spam)."
        )
    return opp


@lever_api("feedback.create")
def feedback(request, body, opportunity_id):
    if request.method == "GET":
        if state.get("opportunity", opportunity_id) is None:
            return error(404, "ResourceNotFound", f"Opportunity {opportunity_id} not found.")
        return page(request, state.rows("feedback", opportunity=opportunity_id))
    opp = _active_opportunity(opportunity_id)
    if isinstance(opp, JsonResponse):
        return opp
    user = state.get("user", request.GET.get("perform_as", ""))
    if user is None:
        return error(400, "BadRequest", "perform_as is required and must be an active user id.")
    template = state.get("feedback_template", str(body.get("baseTemplateId", "")))
    if template is None:
        return error(400, "BadRequest", "baseTemplateId is required and must be an active feedback template.")
    values = {str(v.get("id")): v.get("value") for v in body.get("fieldValues") or []}
    by_id = {f["id"]: f for f in template["fields"]}
    if set(values) - set(by_id):
        return error(
            400, "BadRequest", f"fieldValues ids not in the template: {sorted(set(values) - set(by_id))}."
        )
    for field_id, value in values.items():
        options = [o["text"] for o in by_id[field_id].get("options") or []]
        if options and value not in options:
            return error(
                400, "BadRequest", f"{value!r} is not an option of field {by_id[field_id]['text']!r}."
            )
    now = state.now_ms()
    item = {
        "id": str(uuid.uuid4()),
        "opportunity": opportunity_id,
        "type": "interview",
        "text": template["text"],
        "instructions": template.get("instructions", ""),
        "baseTemplateId": template["id"],
        "user": user["id"],
        "panel": None,
        "interview": None,
        "createdAt": body.get("createdAt") or now,
        "updatedAt": now,
        "completedAt": body.get("completedAt") or now,
        "deletedAt": None,
        "fields": [{**f, "value": values.get(f["id"])} for f in template["fields"]],
    }
    state.put("feedback", item["id"], item)
    return JsonResponse({"data": item}, status=201)


@lever_api("feedback.get")
def feedback_item(request, body, opportunity_id, feedback_id):
    item = state.get("feedback", feedback_id)
    if item is None or item["opportunity"] != opportunity_id:
        return error(404, "ResourceNotFound", f"Feedback {feedback_id} not found.")
    return JsonResponse({"data": item})


@lever_api("notes.create")
def notes(request, body, opportunity_id):
    opp = _active_opportunity(opportunity_id)
    if isinstance(opp, JsonResponse):
        return opp
    if not body.get("value"):
        return error(400, "BadRequest", "value is required.")
    note = {
        "id": str(uuid.uuid4()),
        "opportunity": opportunity_id,
        "value": body["value"],
        "score": body.get("score"),
        "user": request.GET.get("perform_as") or None,
        "createdAt": state.now_ms(),
    }
    state.put("note", note["id"], note)
    return JsonResponse({"data": {"noteId": note["id"]}}, status=201)


urlpatterns = [
    path("v1/opportunities", opportunities, name="api-opportunities"),
    path("v1/opportunities/<str:opportunity_id>", opportunity, name="api-opportunity"),
    path("v1/opportunities/<str:opportunity_id>/feedback", feedback, name="api-feedback"),
    path(
        "v1/opportunities/<str:opportunity_id>/feedback/<str:feedback_id>",
        feedback_item,
        name="api-feedback-item",
    ),
    path("v1/opportunities/<str:opportunity_id>/notes", notes, name="api-notes"),
    path("v1/stages", _list("stage", "stages.list"), name="api-stages"),
    path("v1/postings", _list("posting", "postings.list"), name="api-postings"),
    path("v1/users", _list("user", "users.list"), name="api-users"),
    path("v1/webhooks", webhooks, name="api-webhooks"),
    path("v1/feedback_templates", feedback_templates, name="api-feedback-templates"),
    *simulator_pages.urlpatterns,
]
