"""The sandbox's webhook subscription endpoints: the Webhooks API v201907 as SR's OpenAPI (SRO,
constants.py) describes it (the seed's `POST /v1/webhooks/subscriptions` is not published by SR,
so the sandbox has no such route and answers 404 like any unknown path):
webhooks_manage (403 NO_PERMISSION_TO_MANAGE_WEBHOOKS without it); POST {callbackUrl, events:
[event names]} creates an inactive subscription and answers its events as [{"name", "version"}]
with the version SR assigns (400 for a malformed body, 422 for an event name the API does not
list, 403 SUBSCRIPTIONS_LIMIT_EXCEEDED past SR's 20); GET answers a JSON array, `limit` of them
(default 10, at most 100); DELETE answers 204 and the subscription is gone (404 after);
activation runs the X-Hook-Secret handshake (424 when it fails, 409 when already active);
secret keys (reference §2.4)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.http import HttpResponse, JsonResponse

from integrations.simulator_faults import sim_faults

from . import constants, reference
from . import simulator_calls as calls
from . import simulator_state as state
from .simulator_http import _json, api, sr_error


def _sub_public(sub: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": sub["id"],
        "callbackUrl": sub.get("callbackUrl"),
        "status": sub["status"],
        # SRO Event {name, version}: SR reports a version for every event; the sandbox's is the
        # published one, else its [I] placeholder (calls.event_version), the one its callbacks send.
        "events": [{"name": e, "version": calls.event_version(e)} for e in sub.get("events", [])],
    }


def _events_problem(raw: Any) -> tuple[list[str], int, str]:
    """The requested event names, or SR's refusal (status, reason): SubscriptionRequest.events is
    a non-empty array of unique EventName strings (400 otherwise); a name outside SRO's EventName
    enum, read from the vendor file (never our constants.KNOWN_EVENTS), is 422 ("event name is not
    found")."""
    if not isinstance(raw, list) or not raw:
        return [], 400, "events: at least one event name is required."
    if not all(isinstance(e, str) for e in raw):
        return [], 400, 'events: each event is an event name (a string), e.g. "application.created".'
    if len(set(raw)) != len(raw):
        return [], 400, "events: event names must be unique."
    published = reference.webhook_event_names()
    unknown = [e for e in raw if e not in published]
    if unknown:
        return [], 422, f"Event name not found: {', '.join(unknown)}."
    return list(raw), 0, ""


def _live(company) -> list[dict[str, Any]]:
    return [s for s in state.items("subscription", company=company["id"]) if s.get("status") != "deleted"]


def _list(request, company):
    """SRO GET /subscriptions: a JSON array (Subscriptions), `limit` items (1-100, default 10);
    the `page_id` paging is not modelled [I: the sandbox answers the first page only]."""
    try:
        limit = int(request.GET.get("limit", 10))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        return sr_error(400, "VALIDATION", "limit: an integer from 1 to 100.")
    return JsonResponse([_sub_public(s) for s in _live(company)[:limit]], safe=False)


def _subscriptions(request, company):
    if request.method != "POST":
        return _list(request, company)
    # SRO: "OAuth application can register up to 20 subscriptions on behalf of a single user".
    # A sandbox company has one OAuth app and one user, so its live subscriptions are the count.
    if len(_live(company)) >= constants.SUBSCRIPTIONS_LIMIT:
        return sr_error(
            403,
            constants.SUBSCRIPTIONS_LIMIT_EXCEEDED,
            f"Subscription limit for subscriber is exceeded ({constants.SUBSCRIPTIONS_LIMIT}).",
        )
    body = _json(request)
    if not str(body.get("callbackUrl", "")).startswith(("http://", "https://")):
        return sr_error(422, "INVALID_CALLBACK_URL", "Provided callback URL is invalid.")
    events, status, problem = _events_problem(body.get("events"))
    if problem:
        return sr_error(status, "VALIDATION" if status == 400 else "EVENT_NOT_FOUND", problem)
    sub = {
        "id": state.new_id("sub-"),
        "company": company["id"],
        "style": constants.WEBHOOK_API_VENDOR,
        "callbackUrl": body["callbackUrl"],
        "events": events,
        "status": "inactive",
        "keys": [],
        "created": state.now_iso(),
    }
    state.put("subscription", sub["id"], sub)
    return JsonResponse(_sub_public(sub), status=201)


# Faults can be queued for it (integrations.simulator_faults): a 5xx or 429 must be retried, not
# taken for a refusal.
subscriptions = api(constants.SCOPE_WEBHOOKS_MANAGE, grants=("oauth",))(
    sim_faults(constants.KEY)(_subscriptions)
)


def _own_subscription(company, subscription_id):
    """The company's subscription, or None (404 SubscriptionNotFound): a deleted one is gone."""
    sub = state.get("subscription", subscription_id)
    if not sub or sub["company"] != company["id"] or sub.get("status") == "deleted":
        return None
    return sub


def _detail(request, company, subscription_id):
    """SRO GET / DELETE /subscriptions/{id}: the Subscription; 204 once deleted (no more
    deliveries, no longer counted against the limit); 404 SubscriptionNotFound."""
    sub = _own_subscription(company, subscription_id)
    if sub is None:
        return sr_error(404, "NOT_FOUND", "Subscription not found.")
    if request.method == "DELETE":
        state.put("subscription", subscription_id, {**sub, "status": "deleted", "deleted": state.now_iso()})
        return HttpResponse(status=204)
    return JsonResponse(_sub_public(sub))


# Faults can be queued for it too: a failed DELETE must be explained, never block a disconnect.
subscription_detail = api(constants.SCOPE_WEBHOOKS_MANAGE, grants=("oauth",))(
    sim_faults(constants.KEY)(_detail)
)


@api(constants.SCOPE_WEBHOOKS_MANAGE, grants=("oauth",))
def subscription_activation(request, company, subscription_id):
    sub = _own_subscription(company, subscription_id)
    if sub is None or request.method != "PUT":
        return sr_error(404, "NOT_FOUND", "Subscription not found.")
    if sub["status"] == "active":
        return sr_error(409, "ALREADY_ACTIVE", "Subscription already activated.")
    ok, reason = calls.handshake(sub)
    if not ok:
        return sr_error(424, "HANDSHAKE_FAILED", f"Webhook activation handshake failed: {reason}")
    state.put("subscription", subscription_id, {**sub, "status": "active", "activated": state.now_iso()})
    return HttpResponse(status=204)


@api(constants.SCOPE_WEBHOOKS_MANAGE, grants=("oauth",))
def subscription_secret_key(request, company, subscription_id):
    sub = _own_subscription(company, subscription_id)
    if sub is None:
        return sr_error(404, "NOT_FOUND", "Subscription not found.")
    if request.method == "POST":
        # A new key; older ones stay valid for 24 h; at most 16 live keys (SRD secret-key).
        keys = [{**k, "expires": k.get("expires") or time.time() + 86400} for k in sub.get("keys", [])]
        key = secrets.token_urlsafe(24)
        sub["keys"] = [{"key": key, "created": state.now_iso(), "expires": None}, *keys][:16]
        state.put("subscription", subscription_id, sub)
        return JsonResponse({"secretKey": key}, status=201)
    live = calls.live_keys(sub)
    return JsonResponse({"secretKey": live[0] if live else None})
