"""The sandbox's webhook subscription endpoints: the seed's `POST /v1/webhooks/subscriptions`
and the real Webhooks API v201907 (create inactive, activate with the X-Hook-Secret handshake,
generate secret keys; reference §2.4)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.http import HttpResponse, JsonResponse

from . import constants
from . import simulator_calls as calls
from . import simulator_state as state
from .simulator_http import _json, api, sr_error


@api()
def seed_subscriptions(request, company):
    if request.method != "POST":
        found = [s for s in state.items("subscription", company=company["id"]) if s.get("style") == "seed"]
        return JsonResponse({"content": found})
    body = _json(request)
    if not body.get("event") or not str(body.get("targetUrl", "")).startswith(("http://", "https://")):
        return sr_error(400, "VALIDATION", "event and an absolute targetUrl are required.")
    sub = {
        "id": state.new_id("sub-"),
        "company": company["id"],
        "style": constants.WEBHOOK_API_SEED,
        "events": [body["event"]],
        "targetUrl": body["targetUrl"],
        "headers": body.get("headers") or {},
        "status": "active",
        "created": state.now_iso(),
    }
    state.put("subscription", sub["id"], sub)
    return JsonResponse(
        {k: sub[k] for k in ("id", "targetUrl", "headers", "status")} | {"event": body["event"]}, status=201
    )


def _sub_public(sub: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": sub["id"],
        "callbackUrl": sub.get("callbackUrl"),
        "status": sub["status"],
        "events": [{"name": e, "version": constants.EVENT_VERSION} for e in sub.get("events", [])],
    }


@api()
def subscriptions(request, company):
    if request.method != "POST":
        found = [
            _sub_public(s)
            for s in state.items("subscription", company=company["id"])
            if s.get("style") != constants.WEBHOOK_API_SEED
        ]
        return JsonResponse({"content": found})
    body = _json(request)
    events = [str(e.get("name")) for e in body.get("events") or [] if isinstance(e, dict) and e.get("name")]
    if not str(body.get("callbackUrl", "")).startswith(("http://", "https://")) or not events:
        return sr_error(400, "VALIDATION", "callbackUrl and at least one event are required.")
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


def _own_subscription(company, subscription_id):
    sub = state.get("subscription", subscription_id)
    return sub if sub and sub["company"] == company["id"] else None


@api()
def subscription_detail(request, company, subscription_id):
    sub = _own_subscription(company, subscription_id)
    if sub is None:
        return sr_error(404, "NOT_FOUND", "Subscription not found.")
    if request.method == "DELETE":
        state.put("subscription", subscription_id, {**sub, "status": "deleted"})
        return HttpResponse(status=204)
    return JsonResponse(_sub_public(sub))


@api()
def subscription_activation(request, company, subscription_id):
    sub = _own_subscription(company, subscription_id)
    if sub is None or request.method != "PUT":
        return sr_error(404, "NOT_FOUND", "Subscription not found.")
    ok, reason = calls.handshake(sub)
    if not ok:
        return sr_error(400, "ACTIVATION_FAILED", f"Subscription not activated: {reason}")
    state.put("subscription", subscription_id, {**sub, "status": "active", "activated": state.now_iso()})
    return HttpResponse(status=204)


@api()
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
