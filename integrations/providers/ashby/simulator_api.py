"""The simulator's API front door: Ashby's auth rules, rate limit and dispatch to the endpoints in
simulator_endpoints.py.

- Basic auth with an API key (username, blank password): missing → 401, unknown or deactivated →
  403, key without the module permission → 403 `missing_endpoint_permission` (reference §3.1). Its
  `errors` is the spec's shape by default: the shared error schema types `errors.items` as string,
  so `errors: ["missing_endpoint_permission"]` (tests/fixtures/ashby/openapi/, §3.3 [SPEC-new]);
  the permission is named only in `errorInfo.message`. An account whose data has
  `"permission_error_items": "objects"` sends instead `errors: [{message, parameter}]`: a [3P]
  shape (simstudioai/sim utils.ts, reference §3.3), not the spec's schema, which has string items;
  kept so the tests cover both shapes our client parses (client.ashby_errors).
- Bearer OAuth token: unknown/expired → 401; a token without the scope → 401 as seed 000 describes
  ("401 Unauthorized when updating candidate scorecard … insufficient scopes").
- Errors other than auth come back as HTTP 200 with `success: false`, as Ashby does.
- 100 requests/second with bursts to 1000 (seed 000), per credential, answered 429."""

from __future__ import annotations

import base64
import binascii

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from . import simulator_state as state
from .simulator_endpoints import ENDPOINTS, Caller, failure
from .simulator_sync import SYNC_ENDPOINTS

ALL_ENDPOINTS = {**ENDPOINTS, **SYNC_ENDPOINTS}

# --- API auth, rate limit ---------------------------------------------------------------------


def _authenticate(request: HttpRequest, scope: str, permission: str) -> Caller | JsonResponse:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = state.get("access_token", state.digest(header[7:].strip()))
        expires = parse_datetime(token.data["expires_at"]) if token else None
        if token is None or expires is None or expires < timezone.now():
            return failure("unauthenticated", "The access token is invalid or expired.", 401)
        if scope and scope not in token.data["scopes"]:
            return failure("unauthenticated", f"Insufficient scopes: this call needs {scope}.", 401)
        return Caller(token.data["account"], "oauth", token.data["scopes"], token.key)
    if header.lower().startswith("basic "):
        try:
            key = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
        stored = state.get("api_key", state.digest(key)) if key else None
        if not key:
            return failure("unauthenticated", "Missing API key: send it as the Basic-auth username.", 401)
        if stored is None or not stored.data.get("active"):
            return failure("invalid_api_key", "The API key is invalid or has been deactivated.", 403)
        if permission and permission not in stored.data.get("permissions", []):
            return failure(
                constants.CODE_MISSING_PERMISSION,
                f"The API key lacks the {permission} permission.",
                403,
                errors=_permission_error_items(stored.data["account"], permission),
            )
        return Caller(stored.data["account"], "api_key", stored.data.get("permissions", []), stored.key)
    return failure("unauthenticated", "Missing credentials.", 401)


# The `errors` of a 403 missing_endpoint_permission, by the account's "permission_error_items":
# "strings" (default) is the spec's shared error schema (`errors.items: {type: string}`, marked
# deprecated); "objects" is the [3P] shape `{message, parameter}` (simstudioai/sim utils.ts,
# reference §3.3), which is not in the spec's schema (that one has string items).
PERMISSION_ERROR_ITEMS = ("strings", "objects")


def _permission_error_items(account_id: str, permission: str) -> list[str] | list[dict[str, str]]:
    account = state.account_get(account_id)
    shape = (account.data if account else {}).get("permission_error_items", "strings")
    if shape == "objects":
        return [{"message": constants.CODE_MISSING_PERMISSION, "parameter": permission}]
    return [constants.CODE_MISSING_PERMISSION]


def _rate_limited(caller: Caller) -> bool:
    """At most 1000 requests in any second and 6000 (100/s sustained) in any minute, per credential."""
    now = timezone.now()
    second, minute = int(now.timestamp()), int(now.timestamp() // 60)
    with transaction.atomic():
        obj, _ = SimulatorObject.objects.select_for_update().get_or_create(
            provider=state.P, kind="ratelimit", key=caller.credential[:120], defaults={"data": {}}
        )
        d = obj.data
        per_second = d.get("count", 0) + 1 if d.get("second") == second else 1
        per_minute = d.get("mcount", 0) + 1 if d.get("minute") == minute else 1
        limits = d.get("limits") or {"second": 1000, "minute": 6000}
        obj.data = {**d, "second": second, "count": per_second, "minute": minute, "mcount": per_minute}
        obj.save(update_fields=["data", "updated_at"])
    return per_second > limits["second"] or per_minute > limits["minute"]


@csrf_exempt
def api(request: HttpRequest, endpoint: str) -> JsonResponse:
    import json

    if endpoint not in ALL_ENDPOINTS:
        return failure("invalid_endpoint", f"Unknown endpoint /{endpoint}.", 404)
    if request.method != "POST":
        return failure("invalid_input", "Ashby API endpoints take POST with a JSON body.", 405)
    handler, scope, permission = ALL_ENDPOINTS[endpoint]
    caller = _authenticate(request, scope, permission)
    if isinstance(caller, JsonResponse):
        return caller
    if _rate_limited(caller):
        return failure(
            constants.CODE_RATE_LIMITED[0],
            "Rate limit exceeded: 100 requests per second, bursts up to 1000.",
            429,
            Retry_After="1",
        )
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return failure("invalid_input", "Request payload is malformed")
    if not isinstance(body, dict):
        return failure("invalid_input", "Request payload is malformed")
    return handler(caller, body)
