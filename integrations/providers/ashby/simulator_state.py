"""State of the built-in Ashby simulator, in SimulatorObject rows (so runserver and the worker
see one sandbox), plus the two things the simulator sends out over real HTTP: partner API calls
(as Ashby calls partners) and signed webhooks (as Ashby signs them).

Dev/test only (ATS_SIMULATORS_ENABLED). Credentials the simulator accepts are stored hashed;
webhook secret tokens and partner keys are kept as given, because the simulator, like Ashby, must
use them to sign and to authenticate. (JobCannon itself keeps only a hash of the partner key: the
simulator receives the key when it is issued for it, never by reading it back from us.)

Reading and writing the rows is simulator_store.py (simulator_sync_data.py builds on it too);
webhooks out, with Ashby's retries, are simulator_webhooks.py. This module re-exports those
functions, which the other simulator modules and tests call as `state.get(...)`,
`state.webhook_send(...)` etc."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from .simulator_store import USER_AGENT
from .simulator_store import P as P
from .simulator_store import account_get as account_get
from .simulator_store import account_update as account_update
from .simulator_store import get as get
from .simulator_store import list_for as list_for
from .simulator_store import now_iso as now_iso
from .simulator_store import put as put
from .simulator_sync_data import records_for_candidate, sync_seed
from .simulator_webhooks import webhook_retries_due as webhook_retries_due
from .simulator_webhooks import webhook_send as webhook_send
from .simulator_webhooks import webhooks_fire as webhooks_fire

logger = logging.getLogger(__name__)
# A key made in the simulator gets every permission JobCannon's calls need (constants.
# ENDPOINT_PERMISSIONS, from Ashby's OpenAPI); tests make keys without some to see the 403s.
ALL_PERMISSIONS = [p for p, _ in constants.PERMISSION_PURPOSES]


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


def account_ensure(account_id: str, name: str) -> SimulatorObject:
    obj = account_get(account_id)
    if obj is None:
        obj = put(
            "account",
            account_id,
            {
                "name": name,
                "plan": "Enterprise",
                "unavailable_scopes": [],
                "signature_header": constants.SIGNATURE_HEADER,
                "partner": {},
            },
        )
    return obj


def api_key_create(
    account: str,
    *,
    title: str = "JobCannon",
    key: str | None = None,
    permissions: list[str] | None = None,
    scopes_listed: bool = True,
) -> str:
    key = key or "ashby_sim_" + secrets.token_urlsafe(24)
    put(
        "api_key",
        digest(key),
        {
            "account": account,
            "title": title,
            "active": True,
            "created_at": now_iso(),
            "permissions": list(ALL_PERMISSIONS if permissions is None else permissions),
            # apiKey.info lists them as `scopes` (False: an older key that does not).
            "scopes_listed": scopes_listed,
            "hint": key[-4:],
        },
    )
    return key


def api_key_permissions_set(account: str, key_id: str, permissions: list[str]) -> SimulatorObject | None:
    """An Ashby Admin editing an existing key's permissions in the Ashby web app
    (developers.ashbyhq.com/reference/authentication, "Managing API Key Permissions"): the next
    call with the key is judged by them. `key_id` is the row's key (the key's hash); None if this
    account has no such key."""
    with transaction.atomic():
        obj = (
            SimulatorObject.objects.select_for_update().filter(provider=P, kind="api_key", key=key_id).first()
        )
        if obj is None or obj.data.get("account") != account:
            return None
        obj.data = {**obj.data, "permissions": [p for p in ALL_PERMISSIONS if p in permissions]}
        obj.save(update_fields=["data", "updated_at"])
    return obj


def oauth_client_create(
    account: str,
    *,
    name: str = "JobCannon Assessments",
    client_id: str | None = None,
    client_secret: str | None = None,
) -> tuple[str, str]:
    client_id = client_id or "ashby-sim-client-" + secrets.token_hex(8)
    client_secret = client_secret or secrets.token_urlsafe(32)
    put(
        "oauth_client",
        client_id,
        {"account": account, "name": name, "secret_sha256": digest(client_secret), "created_at": now_iso()},
    )
    return client_id, client_secret


def demo_register(*, provider: Any, integration: Any) -> dict[str, Any]:
    """demo_seed, before any server runs: no HTTP. An Ashby sandbox account for this integration
    that accepts an API key and an OAuth app, knows our partner base URL and key, and the
    integration's credentials to match. Idempotent: existing keys are kept."""
    from .services import partner_key_issue, partner_key_matches

    account = f"demo-{integration.public_id.hex[:12]}"
    sim_account = account_ensure(account, f"{integration.workspace.name} (Ashby sandbox)")
    creds = dict(integration.credentials or {})
    if not creds.get("api_key") or get("api_key", digest(creds["api_key"])) is None:
        creds["api_key"] = api_key_create(account, title="JobCannon demo key")
    if not creds.get("client_id") or get("oauth_client", creds["client_id"]) is None:
        creds["client_id"], creds["client_secret"] = oauth_client_create(account)
    integration.credentials = creds
    integration.provider_settings = {**(integration.provider_settings or {}), "use_simulator": True}
    integration.save(update_fields=["credentials", "provider_settings", "updated_at"])
    # We keep only the key's hash: the simulated Ashby holds the key itself, given to it when it
    # is issued (as a customer pastes it into Ashby). A key it holds that still matches is kept.
    held = (sim_account.data.get("partner") or {}).get("api_key", "")
    partner_key = held if held and partner_key_matches(integration, held) else ""
    partner_key = partner_key or partner_key_issue(integration=integration)
    integration.refresh_from_db()
    partner_path = f"/partners/{provider.key}/{integration.public_id}"
    account_update(account, partner={"base_url": partner_path, "api_key": partner_key})
    if not SimulatorObject.objects.filter(provider=P, kind="job", data__account=account).exists():
        sync_seed(account)  # jobs, stages, candidates and applications for the data sync to copy
    return {
        "partner_base_url": settings.JOBCANNON_BASE_URL + partner_path,
        "partner_api_key": partner_key,
        "simulator_url": f"{provider.simulator_base_url()}/a/{account}/",
        "simulator_account": account,
    }


# --- outbound HTTP: partner calls (webhooks: simulator_webhooks.py) ----------------------------------------------


def partner_url(account: SimulatorObject, endpoint: str) -> str:
    base = (account.data.get("partner") or {}).get("base_url", "")
    if base.startswith("/"):
        base = settings.JOBCANNON_BASE_URL + base  # computed at call time, never stored absolute
    return f"{base.rstrip('/')}/{endpoint}"


def partner_call(account: SimulatorObject, endpoint: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST <partner base>/<endpoint> exactly as Ashby does: Basic base64("<key>:"), JSON body.
    Returns (status, parsed body) or (0, error text) when the partner could not be reached."""
    partner = account.data.get("partner") or {}
    if not partner.get("base_url") or not partner.get("api_key"):
        return 0, "No partner base URL / API key configured for this Ashby account."
    try:
        response = requests.post(
            partner_url(account, endpoint),
            json=body,
            auth=(partner["api_key"], ""),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=(5, 30),
        )
    except requests.RequestException as exc:
        return 0, f"Could not reach the partner: {type(exc).__name__}"
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text[:500]


def candidate_payload(candidate: SimulatorObject) -> dict[str, Any]:
    d = candidate.data
    return {
        "id": candidate.key,
        "name": d["name"],
        "primaryEmailAddress": {"value": d["email"], "type": "Work", "isPrimary": True}
        if d.get("email")
        else None,
    }


def application_payload(candidate: SimulatorObject) -> dict[str, Any]:
    d = candidate.data
    return {
        "id": d["application_id"],
        "createdAt": d["created_at"],
        "updatedAt": d["created_at"],
        "status": "Active",
        "candidate": candidate_payload(candidate),
        "currentInterviewStage": {
            "id": d["stage_id"],
            "title": "Assessment",
            "type": "Active",
            "orderInInterviewPlan": 2,
            "interviewPlanId": d["plan_id"],
        },
        "job": {
            "id": d["job"]["id"],
            "title": d["job"]["name"],
            "locationId": d["job"]["location_id"],
            "departmentId": d["job"]["department_id"],
        },
        "hiringTeam": [d["hiring_manager"]],
    }


def candidate_create(
    account_id: str, *, first_name: str, last_name: str, email: str, job_name: str
) -> SimulatorObject:
    candidate_id = str(uuid.uuid4())
    job_id = str(uuid.uuid4())
    candidate = put(
        "candidate",
        candidate_id,
        {
            "account": account_id,
            "name": f"{first_name} {last_name}".strip(),
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "created_at": now_iso(),
            "application_id": str(uuid.uuid4()),
            "stage_id": str(uuid.uuid4()),
            "plan_id": str(uuid.uuid4()),
            "job": {
                "id": job_id,
                "name": job_name,
                "req_id": f"R-{secrets.randbelow(900) + 100}",
                "location_id": str(uuid.uuid4()),
                "department_id": str(uuid.uuid4()),
            },
            "hiring_manager": {
                "userId": str(uuid.uuid4()),
                "firstName": "Harper",
                "lastName": "Manager",
                "email": "harper.manager@example.com",
                "role": "Hiring Manager",
            },
        },
    )
    records_for_candidate(candidate)  # the job, plan and application candidate.list etc. serve
    # Ashby has no candidate-created webhook type (seed 000's candidate.created): applicationSubmit.
    webhooks_fire(
        account_id, constants.EVENT_APPLICATION_SUBMIT, {"application": application_payload(candidate)}
    )
    return candidate


def account_for_integration(integration: Any) -> SimulatorObject | None:
    """The simulated Ashby account an integration talks to: found by its API key or OAuth app."""
    key = integration.credential("api_key", "")
    owner = get("api_key", digest(key)) if key else None
    if owner is None and integration.credential("client_id"):
        owner = get("oauth_client", integration.credential("client_id"))
    return account_get(owner.data["account"]) if owner is not None else None
