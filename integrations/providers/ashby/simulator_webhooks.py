"""The built-in Ashby sandbox's webhooks out, as Ashby sends them. Dev/test only.

- Envelope `{"webhookActionId", "action", "data"}`
  (https://developers.ashbyhq.com/docs/common-payload-data); webhookActionId "will be the same
  across retries for a single event and across webhook payloads if you have more than one webhook
  configured for the same event".
- Signed over the raw body (https://developers.ashbyhq.com/docs/authenticating-webhooks):
  `Ashby-Signature: sha256=<hex HMAC-SHA256 with the webhook's secretToken>`; an account set to
  seed 000's header sends `X-Ashby-Webhook-Signature: <hex>` instead.
- Retries (https://developers.ashbyhq.com/docs/retries): "Ashby will retry failed webhook requests
  using exponential backoff with a maximum of 10 attempts"; after a non-2xx answer "the next
  attempt is scheduled using: Delay = (2^attempt_number - 1) × 10 seconds" (10 s, 30 s, 70 s,
  150 s, …; an earlier version of the page: "seconds_until_next_attempt = (2^(num_attempts_so_far)
  - 1) * 10", "trying at most 10 times before giving up"). "Requests that return the following
  HTTP status codes will not be retried: 401 Unauthorized, 403 Forbidden, 404 Not Found, 405
  Method Not Allowed, 410 Gone. All other error responses (5xx, timeouts, etc.) will be retried."
  A retry sends the stored request again: the same bytes, so the same signature and
  webhookActionId.

Our choices where Ashby says nothing: the ping Ashby sends when a webhook is created is not
retried (its answer decides whether the webhook is created enabled); a delivery whose webhook has
since been deleted or disabled is retried no more. A sandbox has no clock of its own, so due
retries go out when the sandbox is used (before each new event of the account, and when its page
is opened) or with the page's "Send due retries now" button, as in the Lever sandbox.

Only a delivery whose first attempt failed is kept (a `delivery` row, with its exact body and
headers); every attempt also adds a line to its webhook's recent deliveries."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone

from integrations.base import hmac_sha256_hex
from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from .simulator_store import USER_AGENT, P, account_get, list_for, put

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # /docs/retries: "a maximum of 10 attempts"
NOT_RETRIED = frozenset({401, 403, 404, 405, 410})  # /docs/retries: "Non-Retryable Status Codes"
# A retry being sent holds its delivery this long, so a second caller does not send it too (a
# process that dies mid-send leaves it to be tried again after that).
CLAIM = timedelta(seconds=60)

RETRYING, DELIVERED, FAILED = "retrying", "delivered", "failed"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: (2^attempts - 1) × 10 s (/docs/retries)."""
    return timedelta(seconds=(2**attempts - 1) * 10)


def webhook_send(
    webhook: SimulatorObject,
    action: str,
    data: dict[str, Any],
    *,
    action_id: str | None = None,
    retry: bool = True,
) -> int:
    """Deliver one signed webhook; returns the HTTP status (0: no answer). `action_id`: the
    webhookActionId of the event it belongs to (a new one by default). A failure is retried on
    Ashby's schedule unless `retry` is False."""
    body = json.dumps(
        {"webhookActionId": action_id or str(uuid.uuid4()), "action": action, "data": data}
    ).encode()
    account = account_get(webhook.data["account"])
    header = (account.data if account else {}).get("signature_header", constants.SIGNATURE_HEADER)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    secret = webhook.data.get("secretToken") or ""
    if secret:
        signature = hmac_sha256_hex(secret, body)
        headers[header] = f"sha256={signature}" if header == constants.SIGNATURE_HEADER else signature
    delivery: dict[str, Any] = {
        "account": webhook.data["account"],
        "webhook": webhook.key,
        "action": action,
        "webhookActionId": json.loads(body)["webhookActionId"],
        "url": webhook.data["requestUrl"],
        "body": body.decode(),  # the exact request: a retry sends these bytes and headers again
        "headers": headers,
        "retry": retry,
        "attempts": 0,
        "history": [],
        "state": "",
        "next_attempt_at": None,
    }
    return int(_attempt(None, delivery, now=timezone.now())["status"])


def _attempt(key: str | None, delivery: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """POST the stored request once; a failure schedules the next attempt from `now`."""
    try:
        response = requests.post(
            delivery["url"], data=delivery["body"].encode(), headers=delivery["headers"], timeout=(3, 10)
        )
        status, error = response.status_code, ""
    except requests.RequestException as exc:  # a timeout or no connection: retried like a 5xx
        status, error = 0, type(exc).__name__
    delivery["attempts"] += 1
    delivery["status"], delivery["error"] = status, error
    delivery["history"] = [*delivery["history"], {"at": now.isoformat(), "status": status, "error": error}]
    delivery["next_attempt_at"] = None
    if 200 <= status < 300:
        delivery["state"], delivery["outcome"] = DELIVERED, "delivered"
    elif not delivery["retry"]:
        delivery["state"], delivery["outcome"] = FAILED, "not retried (the ping of a new webhook)"
    elif status in NOT_RETRIED:
        delivery["state"], delivery["outcome"] = FAILED, f"not retried: Ashby does not retry a {status}"
    elif delivery["attempts"] >= MAX_ATTEMPTS:
        delivery["state"], delivery["outcome"] = FAILED, f"gave up after {MAX_ATTEMPTS} attempts"
    else:
        delivery["state"], delivery["outcome"] = RETRYING, "retry scheduled"
        delivery["next_attempt_at"] = (now + retry_delay(delivery["attempts"])).isoformat()
    if key is not None or delivery["state"] != DELIVERED:
        key = key or str(uuid.uuid4())
        put("delivery", key, delivery)
    delivery["id"] = key
    _log_on_webhook(delivery, now=now)
    logger.info(
        "ashby_sim.webhook_sent",
        extra={"ashby_action": delivery["action"], "status": status, "attempt": delivery["attempts"]},
    )
    return delivery


def _log_on_webhook(delivery: dict[str, Any], *, now: datetime) -> None:
    """The line the simulator page shows under the webhook (its last 20 attempts)."""
    with transaction.atomic():
        webhook = (
            SimulatorObject.objects.select_for_update()
            .filter(provider=P, kind="webhook", key=delivery["webhook"])
            .first()
        )
        if webhook is None:
            return
        line = {
            "at": now.isoformat(),
            "action": delivery["action"],
            "status": delivery["status"],
            "error": delivery["error"],
            "attempt": delivery["attempts"],
            "outcome": delivery["outcome"],
            "next_attempt_at": delivery["next_attempt_at"],
        }
        webhook.data = {**webhook.data, "deliveries": [line, *webhook.data.get("deliveries", [])][:20]}
        webhook.save(update_fields=["data", "updated_at"])


def _claim(pk: int, now: datetime) -> SimulatorObject | None:
    """The delivery, if its retry is due and no one else is sending it; marks it being sent."""
    with transaction.atomic():
        row = SimulatorObject.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.data.get("state") != RETRYING:
            return None
        if datetime.fromisoformat(row.data["next_attempt_at"]) > now:
            return None
        webhook = SimulatorObject.objects.filter(provider=P, kind="webhook", key=row.data["webhook"]).first()
        if webhook is None or not webhook.data.get("enabled"):
            gone = "deleted" if webhook is None else "disabled"
            row.data = {**row.data, "state": FAILED, "outcome": f"not retried: the webhook was {gone}"}
            row.data["next_attempt_at"] = None
            row.save(update_fields=["data", "updated_at"])
            return None
        row.data = {**row.data, "next_attempt_at": (now + CLAIM).isoformat()}
        row.save(update_fields=["data", "updated_at"])
        return row


def webhook_retries_due(now: datetime | None = None, *, account: str | None = None) -> list[dict[str, Any]]:
    """Send again every failed delivery (of `account`, or of every account) whose next attempt
    is due at `now` (a test moves time with it). Returns the deliveries after this attempt."""
    now = now or timezone.now()
    pending = SimulatorObject.objects.filter(provider=P, kind="delivery", data__state=RETRYING)
    sent = []
    for row in pending.order_by("created_at", "id"):
        if account is not None and row.data.get("account") != account:
            continue
        claimed = _claim(row.pk, now)
        if claimed is not None:
            sent.append(_attempt(claimed.key, dict(claimed.data), now=now))
    return sent


def deliveries_for(account: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The account's deliveries that failed at least once, newest first (the simulator page)."""
    rows = list_for("delivery", account)[-limit:]
    return [{**row.data, "id": row.key} for row in reversed(rows)]


def webhooks_fire(
    account_id: str, action: str, data: dict[str, Any], *, action_id: str | None = None
) -> None:
    """Send `action` to every enabled webhook of that type, all with one webhookActionId ("the
    same across webhook payloads if you have more than one webhook configured for the same
    event", /docs/common-payload-data); `action_id` shares it with an event's related webhooks.
    Retries that have come due go out first (the sandbox's clock: see the module docstring)."""
    webhook_retries_due(account=account_id)
    action_id = action_id or str(uuid.uuid4())
    for webhook in list_for("webhook", account_id):
        if webhook.data.get("webhookType") == action and webhook.data.get("enabled"):
            webhook_send(webhook, action, data, action_id=action_id)
