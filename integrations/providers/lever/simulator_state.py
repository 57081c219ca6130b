"""State of the built-in Lever sandbox (SimulatorObject rows, provider "lever"), shared by the
web server and the workers, plus the two things that act on it outside a request: sending
signed webhooks the way Lever does, and `demo_setup`.

Kinds: stage, posting, user, api_key, oauth_client, oauth_code, access_token, refresh_token,
opportunity, webhook, feedback_template, feedback, note, delivery, config."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
import uuid
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from integrations.base import hmac_sha256_hex
from integrations.models import SimulatorObject

from . import constants

logger = logging.getLogger(__name__)
P = "lever"
STAGES = (
    "New lead",
    "Reached out",
    "New applicant",
    "Recruiter screen",
    "Phone interview",
    "On-site interview",
    "Offer",
)
POSTINGS = ("Senior Backend Engineer", "Account Executive")
USERS = (
    ("Sam Admin", "sam.admin@example.com", "super admin"),
    ("Riley Recruiter", "riley@example.com", "team member"),
)
SIMULATED_TRIGGERS = {
    constants.EVENT_APPLICATION_CREATED_SEED,
    constants.EVENT_OPPORTUNITY_CREATED_SEED,
    constants.EVENT_APPLICATION_CREATED,
    constants.EVENT_CANDIDATE_STAGE_CHANGE,
    constants.EVENT_CANDIDATE_ARCHIVE_CHANGE,
    constants.EVENT_CANDIDATE_HIRED,
    constants.EVENT_CANDIDATE_DELETED,
}


def now_ms() -> int:
    return int(time.time() * 1000)


def stable_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://sandbox-lever.example.com/{kind}/{name}"))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def get(kind: str, key: str) -> dict[str, Any] | None:
    row = SimulatorObject.objects.filter(provider=P, kind=kind, key=key).first()
    return row.data if row else None


def put(kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    SimulatorObject.objects.update_or_create(provider=P, kind=kind, key=key, defaults={"data": data})
    return data


def rows(kind: str, **match: Any) -> list[dict[str, Any]]:
    items = [
        o.data for o in SimulatorObject.objects.filter(provider=P, kind=kind).order_by("created_at", "id")
    ]
    return [d for d in items if all(d.get(k) == v for k, v in match.items())]


def ensure_seeded() -> None:
    """The sandbox account Lever gives every customer: default stages, two postings, two users."""
    if get("config", "seeded"):
        return
    for name in STAGES:
        put("stage", stable_id("stage", name), {"id": stable_id("stage", name), "text": name})
    for name in POSTINGS:
        put(
            "posting",
            stable_id("posting", name),
            {"id": stable_id("posting", name), "text": name, "state": "published"},
        )
    for name, email, role in USERS:
        put(
            "user",
            stable_id("user", email),
            {
                "id": stable_id("user", email),
                "name": name,
                "email": email,
                "accessRole": role,
                "deactivatedAt": None,
            },
        )
    put("config", "seeded", {"at": now_ms()})


def stage_id_by_name(name: str) -> str:
    return stable_id("stage", name)


def api_key_register(
    *,
    scopes: tuple[str, ...] | list[str] = constants.SEED_SCOPES,
    label: str = "JobCannon Assessments",
    created_ms: int | None = None,
) -> str:
    """Seed 004 Step 1, "Create New Credential": returns the token (shown once)."""
    key = "lvr_sim_" + secrets.token_urlsafe(24)
    put(
        "api_key",
        digest(key),
        {
            "label": label,
            "scopes": list(scopes),
            "createdAt": created_ms or now_ms(),
            "last4": key[-4:],
            "revoked": False,
        },
    )
    return key


def rate_limit() -> tuple[float, int, str]:
    config = get("config", "rate_limit") or {}
    return float(config.get("per_second", 10)), int(config.get("burst", 100)), str(config.get("v", ""))


def rate_limit_set(*, per_second: float, burst: int) -> None:
    """Change the sandbox's limits; every bucket starts full again."""
    put("config", "rate_limit", {"per_second": per_second, "burst": burst, "v": uuid.uuid4().hex})


_buckets: dict[str, tuple[float, float]] = {}
_buckets_lock = threading.Lock()


def rate_limit_take(credential: str) -> bool:
    """Token bucket per credential (seed 004: 10 rps, burst 100). False = answer 429.

    Kept in this process's memory, not in the database: a worker that calls the sandbox while
    holding a write transaction (a webhook handler reading the opportunity) must not wait on a
    write the sandbox makes on SQLite. Each web process has its own buckets; that is close
    enough for a sandbox."""
    per_second, burst, version = rate_limit()
    key = f"{version}:{credential}"
    now = time.monotonic()
    with _buckets_lock:
        tokens, last = _buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * per_second)
        allowed = tokens >= 1
        _buckets[key] = (tokens - 1 if allowed else tokens, now)
    return allowed


# -- webhooks out ------------------------------------------------------------------------------


def account_signature_token() -> str:
    """One signing token for the account (a Lever admin can generate it in settings; the API also
    returns it as configuration.signatureToken on each webhook)."""
    config = get("config", "signature_token")
    if not config:
        config = put("config", "signature_token", {"token": secrets.token_hex(24)})
    return config["token"]


def webhook_events(hook: dict[str, Any]) -> list[str]:
    return list(hook.get("triggers") or ([hook["event"]] if hook.get("event") else []))


def send_event(
    event: str, data: dict[str, Any], *, opportunity_id: str = "", only_url: str = ""
) -> list[dict[str, Any]]:
    """POST the event to every webhook subscribed to it, signed as Lever signs: real (camelCase)
    webhooks carry token/triggeredAt/signature in the body; seed (dotted) ones get
    X-Lever-Signature over the raw body. Called after the state change is committed."""
    results = []
    for hook in rows("webhook"):
        if event not in webhook_events(hook) or (only_url and hook["url"] != only_url):
            continue
        token = hook["configuration"]["signatureToken"]
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "triggeredAt": now_ms(),
            "event": event,
            "data": data,
        }
        headers = {"Content-Type": "application/json", "User-Agent": "Lever-Webhooks"}
        if hook.get("event"):
            body["token"] = secrets.token_hex(24)  # LD: "a random 48-character string"
            body["signature"] = hmac_sha256_hex(token, (body["token"] + str(body["triggeredAt"])).encode())
            raw = json.dumps(body).encode()
        else:
            raw = json.dumps(body).encode()
            headers[constants.SIGNATURE_HEADER] = hmac_sha256_hex(token, raw)
        delivery = {
            "id": body["id"],
            "webhook": hook["id"],
            "event": event,
            "url": hook["url"],
            "at": body["triggeredAt"],
            "opportunity": opportunity_id,
            "status": None,
            "error": "",
        }
        try:
            response = requests.post(hook["url"], data=raw, headers=headers, timeout=(3, 15))
            delivery["status"] = response.status_code
            if response.status_code >= 300:  # LD: any non-2xx, 3xx included, is a failure
                delivery["error"] = response.text[:300]
        except requests.RequestException as exc:
            delivery["error"] = type(exc).__name__
        put("delivery", delivery["id"], delivery)
        results.append(delivery)
        logger.info("lever_sim.webhook_sent", extra={"lever_event": event, "status": delivery["status"]})
    return results


# -- demo ----------------------------------------------------------------------------------------


def demo_setup(integration) -> dict[str, Any]:
    """No HTTP: register an API key in the sandbox, give it to the integration, add one
    auto-send stage rule. "Test credentials now" then connects through real calls."""
    from .setup import api_key_fingerprint

    ensure_seeded()
    key = api_key_register()
    integration.credentials = {**(integration.credentials or {}), "api_key": key}
    integration.auth_kind = "api_key"
    current = dict(integration.provider_settings or {})
    current.update(
        use_simulator=True,
        api_key_scheme="bearer",
        api_key_fingerprint=api_key_fingerprint(key),
        api_key_created_at=timezone.now().isoformat(),
        api_key_expiry_warned="",
    )
    if not current.get("stage_rules"):
        current["stage_rules"] = [
            {
                "id": "demo-phone",
                "stage_id": stage_id_by_name("Phone interview"),
                "stage_name": "Phone interview",
                "posting_id": "",
                "posting_name": "",
                "instrument": "disc",
                "mode": "auto",
                "due_days": constants.DEFAULT_DUE_DAYS,
                "required": True,
            }
        ]
    integration.provider_settings = current
    integration.save(update_fields=["credentials", "auth_kind", "provider_settings", "updated_at"])
    return {"api_key": key, "simulator_url": f"{settings.JOBCANNON_BASE_URL}/sim/lever/"}
