"""The built-in Lever sandbox's webhooks out, as Lever documents them
(https://hire.lever.co/developer/documentation#webhooks):

- signed in the body: `signature` = hex HMAC-SHA256(signature token, token + triggeredAt), with a
  fresh random 48-character `token` per event; the signature token is the webhook's own: every
  webhook, made through the API or by hand, gets one (LH "UI Changes": "A Webhook signature token
  for each created Webhook"). Seed 004's X-Lever-Signature header is never sent: Lever has none;
- a webhook sends only while its webhook group (its event) is switched on in the settings (LD
  "Create a Webhook": "A Super Admin will need to toggle-on the webhook group (ie: 'Candidate
  Stage Change') on the webhooks page in their account settings for the data to begin sending").
  Groups start off; adding a webhook by hand switches its group on (the Super Admin is on that
  page), one made through `POST /webhooks` leaves it as it is;
- "Any response code outside the 2xx range, including 3xx codes" is a failure, and "Lever will
  continue trying to send the webhook five times, waiting longer and longer in between tries":
  each retry re-sends the very same request, original `token` and `triggeredAt` included;
- "Webhook requests can also be rerun manually" from the delivery history (the past two weeks).

Lever publishes no retry intervals: RETRY_DELAYS_MS is our guess (growing, five of them). A
sandbox has no clock of its own, so due retries go out when the sandbox is used
(`deliveries_retry_due` runs before each new event and on the sandbox home page) or on demand.

Plans: Lever enables the Webhooks Subscription API (GET/POST/PUT/DELETE /webhooks) on select
packages only (https://help.lever.co/hc/en-us/articles/4402565460237); `plan_set(webhooks_api=
False)` makes the sandbox answer those endpoints 403, and webhooks are then added by hand on the
sandbox's webhooks settings page, as a Super Admin does in Lever."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from typing import Any

import requests

from integrations.base import hmac_sha256_hex

from . import simulator_state as state
from .simulator_state import signature_token_new

logger = logging.getLogger(__name__)

# Our guess at "waiting longer and longer": 1 min, 5 min, 30 min, 2 h, 12 h (five retries).
RETRY_DELAYS_MS = (60_000, 300_000, 1_800_000, 7_200_000, 43_200_000)


def webhooks_api_enabled() -> bool:
    return bool((state.get("config", "plan") or {}).get("webhooks_api", True))


def plan_set(*, webhooks_api: bool) -> None:
    state.put("config", "plan", {"webhooks_api": webhooks_api})


def webhook_events(hook: dict[str, Any]) -> list[str]:
    # `triggers`: rows an older sandbox stored for seed 004's body, which it no longer accepts.
    return list(hook.get("triggers") or ([hook["event"]] if hook.get("event") else []))


def webhook_groups_on() -> set[str]:
    """The events whose webhook group is switched on (a fresh account: none)."""
    return set((state.get("config", "webhook_groups") or {}).get("on") or [])


def webhook_groups_set(on: set[str] | list[str] | tuple[str, ...]) -> None:
    known = {event for _, event in state.WEBHOOK_GROUPS}
    state.put("config", "webhook_groups", {"on": sorted(set(on) & known)})


def webhook_sending(hook: dict[str, Any]) -> bool:
    return bool(set(webhook_events(hook)) & webhook_groups_on())


def webhook_add(
    *, url: str, event: str, by_hand: bool = False, conditions: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A webhook (one event), created through the API or by hand in the settings. By hand also
    switches its group on, as the Super Admin adding it does on the same page."""
    hook_id = str(uuid.uuid4())
    hook: dict[str, Any] = {
        "id": hook_id,
        "url": url,
        "event": event,
        "createdAt": state.now_ms(),
        "updatedAt": state.now_ms(),
        "configuration": {"signatureToken": signature_token_new(), "conditions": conditions or {}},
        "byHand": by_hand,
    }
    state.put("webhook", hook_id, hook)
    if by_hand:
        webhook_groups_set(webhook_groups_on() | {event})
    return hook


def send_event(
    event: str, data: dict[str, Any], *, opportunity_id: str = "", only_url: str = ""
) -> list[dict[str, Any]]:
    """POST the event to every webhook subscribed to it, signed as Lever signs. Called after the
    state change is committed. Returns the deliveries (first attempts)."""
    deliveries_retry_due()
    results: list[dict[str, Any]] = []
    if event not in webhook_groups_on():  # its webhook group is switched off: Lever sends nothing
        return results
    for hook in state.rows("webhook"):
        if event not in webhook_events(hook) or (only_url and hook["url"] != only_url):
            continue
        signing_token = hook["configuration"]["signatureToken"]
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "triggeredAt": state.now_ms(),
            "event": event,
            "data": data,
        }
        headers = {"Content-Type": "application/json", "User-Agent": "Lever-Webhooks"}
        body["token"] = secrets.token_hex(24)  # LD: "Randomly generated string with length of 48"
        body["signature"] = hmac_sha256_hex(
            signing_token, (body["token"] + str(body["triggeredAt"])).encode()
        )
        raw = json.dumps(body)
        delivery = {
            "id": body["id"],
            "webhook": hook["id"],
            "event": event,
            "url": hook["url"],
            "at": body["triggeredAt"],
            "opportunity": opportunity_id,
            "body": raw,  # the exact request: retries and reruns send these bytes again
            "headers": headers,
            "attempts": 0,
            "status": None,
            "error": "",
            "next_attempt_at": None,
        }
        results.append(_attempt(delivery, retry=True, now=body["triggeredAt"]))
    return results


def _attempt(delivery: dict[str, Any], *, retry: bool, now: int) -> dict[str, Any]:
    """One POST of the stored request; a failure schedules the next retry from `now`."""
    delivery["attempts"] += 1
    try:
        response = requests.post(
            delivery["url"], data=delivery["body"].encode(), headers=delivery["headers"], timeout=(3, 15)
        )
        delivery["status"] = response.status_code
        delivery["error"] = "" if 200 <= response.status_code < 300 else response.text[:300]
    except requests.RequestException as exc:
        delivery["status"], delivery["error"] = None, type(exc).__name__
    failed = not (delivery["status"] and 200 <= delivery["status"] < 300)
    retries_made = delivery["attempts"] - 1
    if not failed:
        delivery["next_attempt_at"] = None
    elif retry:
        more = retries_made < len(RETRY_DELAYS_MS)
        delivery["next_attempt_at"] = now + RETRY_DELAYS_MS[retries_made] if more else None
    state.put("delivery", delivery["id"], delivery)
    logger.info(
        "lever_sim.webhook_sent",
        extra={
            "lever_event": delivery["event"],
            "status": delivery["status"],
            "attempt": delivery["attempts"],
        },
    )
    return delivery


def deliveries_retry_due(*, now_ms: int | None = None) -> list[dict[str, Any]]:
    """Re-send every failed delivery whose next retry is due (`now_ms` lets a test move time)."""
    now = state.now_ms() if now_ms is None else now_ms
    due = [d for d in state.rows("delivery") if d.get("next_attempt_at") and d["next_attempt_at"] <= now]
    return [_attempt(d, retry=True, now=now) for d in due]


def delivery_rerun(delivery_id: str) -> dict[str, Any] | None:
    """The delivery history's "Rerun" button: the same request again, now."""
    delivery = state.get("delivery", delivery_id)
    if delivery is None or "body" not in delivery:
        return None
    return _attempt(delivery, retry=False, now=state.now_ms())
