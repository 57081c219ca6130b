"""State of the built-in Lever sandbox (SimulatorObject rows, provider "lever"), shared by the
web server and the workers, plus the two things that act on it outside a request: sending
signed webhooks (simulator_webhooks.py), and `demo_setup`.

Kinds: stage, posting, user, api_key, oauth_client, oauth_code, access_token, refresh_token,
opportunity, webhook, feedback_template, feedback, note, delivery, config."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.simulator_plugins.models import SimulatorObject

from . import constants

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
# The webhook groups of Lever's settings page (LD "Event payloads" names), one per event. A
# webhook sends only while its group is switched on (LD "Create a Webhook": "A Super Admin will
# need to toggle-on the webhook group ... for the data to begin sending"); a fresh account has
# them all off.
WEBHOOK_GROUPS = (
    ("Application created", constants.EVENT_APPLICATION_CREATED),
    ("Candidate hired", constants.EVENT_CANDIDATE_HIRED),
    ("Candidate stage change", constants.EVENT_CANDIDATE_STAGE_CHANGE),
    ("Candidate archive state change", constants.EVENT_CANDIDATE_ARCHIVE_CHANGE),
    ("Candidate deleted", constants.EVENT_CANDIDATE_DELETED),
    ("Interview created", "interviewCreated"),
    ("Interview updated", "interviewUpdated"),
    ("Interview deleted", "interviewDeleted"),
    ("Contact created", "contactCreated"),
    ("Contact updated", "contactUpdated"),
)


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


def oauth_client_register() -> tuple[str, str]:
    """An OAuth app as Lever's partner program issues one (https://hire.lever.co/developer/oauth:
    a client id and secret for the app, used at auth.lever.co's /authorize and /oauth/token).
    The sandbox's token endpoint then holds the client to this secret (simulator_oauth)."""
    client_id = "lvr_sim_client_" + secrets.token_urlsafe(12)
    client_secret = secrets.token_urlsafe(32)
    put("oauth_client", client_id, {"secret_digest": digest(client_secret)})
    return client_id, client_secret


def rate_limit() -> tuple[float, int, str]:
    """Lever's documented default (LD "Rate Limits"): 10 requests/second steady, bursts up to 20."""
    config = get("config", "rate_limit") or {}
    return float(config.get("per_second", 10)), int(config.get("burst", 20)), str(config.get("v", ""))


def rate_limit_set(*, per_second: float, burst: int) -> None:
    """Change the sandbox's limits; every bucket starts full again."""
    put("config", "rate_limit", {"per_second": per_second, "burst": burst, "v": uuid.uuid4().hex})


_buckets: dict[str, tuple[float, float]] = {}
_clock = time.monotonic  # the buckets' clock (tests hold it still)
_buckets_lock = threading.Lock()


def rate_limit_take(credential: str) -> bool:
    """Token bucket per credential (LD: 10 rps, bursts up to 20). False = answer 429.

    Kept in this process's memory, not in the database: a worker that calls the sandbox while
    holding a write transaction (a webhook handler reading the opportunity) must not wait on a
    write the sandbox makes on SQLite. Each web process has its own buckets; that is close
    enough for a sandbox."""
    per_second, burst, version = rate_limit()
    key = f"{version}:{credential}"
    now = _clock()
    with _buckets_lock:
        tokens, last = _buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * per_second)
        allowed = tokens >= 1
        _buckets[key] = (tokens - 1 if allowed else tokens, now)
    return allowed


# -- demo ----------------------------------------------------------------------------------------


def demo_setup(integration) -> dict[str, Any]:
    """No HTTP: register credentials in the sandbox, give them to the integration, add one
    auto-send stage rule. An API-key integration gets a key ("Test credentials now" then connects
    through real calls); one set up for OAuth keeps its auth kind and gets an OAuth client (the
    admin then authorizes on the sandbox's consent page)."""
    from .setup import api_key_fingerprint

    ensure_seeded()
    current = dict(integration.provider_settings or {})
    current.update(use_simulator=True)
    if integration.auth_kind == "oauth2":
        client_id, client_secret = oauth_client_register()
        out: dict[str, Any] = {"client_id": client_id, "client_secret": client_secret}
    else:
        key = api_key_register()
        integration.auth_kind = "api_key"
        current.update(
            api_key_scheme="bearer",
            api_key_fingerprint=api_key_fingerprint(key),
            api_key_created_at=timezone.now().isoformat(),
            api_key_expiry_warned="",
        )
        out = {"api_key": key}
    integration.credentials = {**(integration.credentials or {}), **out}
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
    # No signature token yet: each sandbox webhook has its own, stored when "Test credentials
    # now" registers the webhooks (POST /webhooks returns it). Until then `demo_seed --json`
    # gives the integration's own webhook secret, which verifies Lever's in-body signature too.
    return {**out, "simulator_url": f"{settings.JOBCANNON_BASE_URL}/sim/lever/"}


def signature_token_new() -> str:
    """A webhook's own signature token. Lever's help centre (LH, "UI Changes"): "Before: A single
    Webhook signature token to all Webhooks. After: A Webhook signature token for each created
    Webhook"; LD's `POST /webhooks` 201 returns it as configuration.signatureToken."""
    return secrets.token_hex(24)
