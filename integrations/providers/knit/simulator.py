"""The built-in Knit: the Knit API our client calls (the Ashby side, which turns assessment.start /
assessment.cancel into signed `record.new` / `record.deleted` webhooks, is in simulator_ashby.py).

Behaves like Knit on the wire as far as Knit publishes it (README.md lists the sources): Bearer API
key + X-Knit-Integration-Id on every call, `{"success": true, "data"}` / `{"success": false,
"error": {"msg"}}` envelopes, an X-Knit-Execution-Id header on every answer, a Knit-style 404 for
any API it does not have (e.g. the undocumented `ats.jobs`, or `ats.assessment.secrets.revoke`:
Knit documents no revoke call, so a secret stays valid at Knit until Knit support revokes it), the
passthrough taking the app's body as a JSON string and answering the app's own answer wrapped in data.response exactly as Knit's
published example shows it (no status field of the app's own), the candidate assessment update checked
against Knit's published Candidate Assessment model, injectable 429/5xx, and an account whose Ashby key
lacks a permission (account data `ashby_missing_permission`: Ashby's 403 through the passthrough).
State is in SimulatorObject rows so the web server and the worker share one sandbox. Dev and tests
only: it keeps sandbox API keys in plain JSON on purpose (it has to sign with them)."""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from .reference import candidate_assessment_model

# The sandbox's object kinds (SimulatorObject.kind): its own vocabulary, not Knit's.
SIM_ACCOUNT = "account"
SIM_SECRET = "assessment_secret"
SIM_ASSESSMENT = "assessment"
SIM_SUBMISSION = "submission"
SIM_DELIVERY = "delivery"

P = "knit"

# The category of a sandbox account's integration (Knit groups its integrations by category: ATS,
# HRIS, CRM, ...). Only an ATS integration has Knit's ATS APIs; the dashboard can switch an account to
# another category so that the explained 404 of the credential check (provider.validate_credentials)
# happens in the sandbox too. [I] the 404 and its wording: Knit's reference in our sources does not
# say what its ATS APIs answer for an integration of another category (README "still unverifiable").
CATEGORY_ATS = "ats"
CATEGORIES = (
    (CATEGORY_ATS, "ATS (Ashby)"),
    ("hris", "HRIS (another category: no ATS APIs)"),
    ("crm", "CRM (another category: no ATS APIs)"),
)

# --- state -----------------------------------------------------------------------------------


def sim_get(kind: str, key: str) -> SimulatorObject | None:
    return SimulatorObject.objects.filter(provider=P, kind=kind, key=key).first()


def sim_put(kind: str, key: str, data: dict[str, Any]) -> SimulatorObject:
    obj, _ = SimulatorObject.objects.update_or_create(provider=P, kind=kind, key=key, defaults={"data": data})
    return obj


def sim_list(kind: str) -> list[SimulatorObject]:
    return list(SimulatorObject.objects.filter(provider=P, kind=kind).order_by("-created_at", "-id"))


def sim_account_register(
    *, api_key: str, integration_id: str, webhook_url: str = "", label: str = ""
) -> dict:
    """A Knit account with one Ashby integration. webhook_url may be a path on this server
    (resolved against JOBCANNON_BASE_URL when sending, never stored absolute)."""
    existing = sim_get(SIM_ACCOUNT, integration_id)
    data = {
        **(existing.data if existing else {}),
        "api_key": api_key,
        "integration_id": integration_id,
        "webhook_url": webhook_url or (existing.data.get("webhook_url", "") if existing else ""),
        "label": label or "Sandbox account",
        "sign_mode": "raw",
        "fail_next": [],
        "category": CATEGORY_ATS,
    }
    return sim_put(SIM_ACCOUNT, integration_id, data).data


def sim_account_create(label: str = "") -> dict:
    return sim_account_register(
        api_key=f"knit_sandbox_{secrets.token_urlsafe(24)}",
        integration_id=f"int_{secrets.token_hex(8)}",
        label=label,
    )


def sim_account_update(integration_id: str, **changes: Any) -> None:
    account = sim_get(SIM_ACCOUNT, integration_id)
    if account is not None:
        account.data = {**account.data, **changes}
        account.save(update_fields=["data", "updated_at"])


# --- the Knit API (/sim/knit/v1.0/...) --------------------------------------------------------


def execution_id() -> str:
    return f"exe_{uuid.uuid4().hex}"


def knit_json(
    payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> JsonResponse:
    """Every Knit answer carries X-Knit-Execution-Id ("Mandatory", Knit's API Response Structure page)."""
    response = JsonResponse(payload, status=status)
    response[constants.EXECUTION_ID_HEADER] = execution_id()
    for k, v in (headers or {}).items():
        response[k] = v
    return response


def _error(status: int, msg: str, headers: dict[str, str] | None = None) -> JsonResponse:
    return knit_json({"success": False, "error": {"msg": msg}}, status=status, headers=headers)


def _authenticate(request: HttpRequest) -> SimulatorObject | JsonResponse:
    """The account, or the error response Knit would give."""
    header = request.headers.get("Authorization", "")
    integration_id = request.headers.get(constants.AUTH_HEADER_INTEGRATION, "")
    if not header.startswith("Bearer ") or not integration_id:
        return _error(401, "Missing Authorization: Bearer <API key> or X-Knit-Integration-Id header.")
    account = sim_get(SIM_ACCOUNT, integration_id)
    if account is None or not hmac.compare_digest(
        account.data["api_key"].encode(), header[7:].strip().encode()
    ):
        return _error(401, "Invalid API key or integration id.")
    injected = account.data.get("fail_next") or []
    if injected:  # fault injection from the simulator dashboard: the next calls fail as configured
        status = int(injected[0])
        sim_account_update(integration_id, fail_next=injected[1:])
        return _error(
            status, f"Simulated failure {status}.", {"Retry-After": "30"} if status == 429 else None
        )
    return account


def ats_only(account: SimulatorObject, operation: str) -> JsonResponse | None:
    """Knit's 404 when the authenticated integration is not in the ATS category ([I], see CATEGORIES)."""
    category = account.data.get("category") or CATEGORY_ATS
    if category == CATEGORY_ATS:
        return None
    return _error(
        404,
        f"{operation} is not available for integration {account.key}: it is an integration of the "
        f"{category.upper()} category, not ATS.",
    )


def json_body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_http_methods(["POST"])
def api_secrets_create(request: HttpRequest) -> JsonResponse:
    account = _authenticate(request)
    if isinstance(account, JsonResponse):
        return account
    refused = ats_only(account, constants.PATH_SECRETS_CREATE)
    if refused is not None:
        return refused
    return knit_json({"success": True, "data": sim_secret_create(account.key)})


def workflow_base_url() -> str:
    """The sandbox's stand-in for Knit's Ashby partner base URL (constants.ASHBY_WORKFLOW_BASE_URL)."""
    return settings.JOBCANNON_BASE_URL + reverse("integrations:sim-knit:workflow-base")


def sim_secret_create(integration_id: str) -> dict[str, str]:
    """Knit's Create ATS Assessment Secrets for an account: the pair Ashby is given."""
    secret_key = f"knit_ashby_{secrets.token_urlsafe(24)}"
    sim_put(
        SIM_SECRET,
        secret_key,
        {"integration_id": integration_id, "created_at": timezone.now().isoformat()},
    )
    return {"secretKey": secret_key, "baseUrl": workflow_base_url()}


def _passthrough_status(inner: dict[str, Any]) -> str:
    """Knit's status for an Ashby assessment.update seen through the passthrough. Ashby has no expiry,
    so an expired run closes its assessment with a cancelled_reason labelled "Expired"
    (updates.update_expired): that is Knit's EXPIRED, not CANCELLED."""
    if "assessment_result" in inner:
        return constants.STATUS_COMPLETED
    reason = inner.get("cancelled_reason")
    if reason is not None:
        label = reason.get("label") if isinstance(reason, dict) else None
        expired = label == constants.CANCELLED_REASON_EXPIRED_LABEL
        return constants.STATUS_EXPIRED if expired else constants.STATUS_CANCELLED
    return constants.STATUS_STARTED


def _record_submission(
    account: SimulatorObject,
    mode: str,
    assessment_id: str,
    body: dict[str, Any],
    inner: dict[str, Any] | None = None,
) -> str:
    submission_id = f"sub_{uuid.uuid4().hex[:16]}"
    if inner is not None:  # passthrough: Ashby's own fields say what the update means
        status = _passthrough_status(inner)
    else:
        status = str(body.get("status", ""))  # the published model's field (validated before)
    sim_put(
        SIM_SUBMISSION,
        submission_id,
        {
            "integration_id": account.key,
            "mode": mode,
            "body": body,
            "assessment_id": assessment_id,
            "status": status,
            "received_at": timezone.now().isoformat(),
        },
    )
    assessment = sim_get(SIM_ASSESSMENT, assessment_id)
    if assessment is not None and assessment.data.get("status") != "CANCELLED":
        assessment.data = {**assessment.data, "status": status}
        assessment.save(update_fields=["data", "updated_at"])
    return submission_id


def sim_assessment_for(account: SimulatorObject, assessment_id: str) -> SimulatorObject | None:
    assessment = sim_get(SIM_ASSESSMENT, assessment_id)
    return assessment if assessment and assessment.data.get("integration_id") == account.key else None


# Knit's published Candidate Assessment model, as transcribed by hand from Knit's page
# (developers.getknit.dev/reference/assessments-apis) into vendor/ats_candidate_assessment.model.json,
# which ships with the package (reference.py). The simulator reads that transcription, never
# constants.UPDATE_BODY_FIELDS: the client's guess is checked against what Knit publishes, so a client
# body that drifts from the model is refused here and fails the tests.
# Knit's model types, as JSON: String → string, JsonObject and the nested models → object.
_JSON_TYPES: dict[str, type] = {
    "String": str,
    "JsonObject": dict,
    "AssessmentPackage": dict,
    "Candidate": dict,
}


def published_candidate_assessment_model() -> dict[str, Any]:
    """Knit's Candidate Assessment model: {"fields": {name: {"type", "description", ["enum"]}}}."""
    return candidate_assessment_model()


def candidate_assessment_errors(body: dict[str, Any]) -> list[str]:
    """Why a body is not a Candidate Assessment update as Knit's published model has it. Knit
    publishes no body for the update, so the simulator accepts exactly the model: only its fields,
    with their types, `id` and `status` present (an update names what and how), status one of the
    listed values. Stricter than Knit may be, on purpose: nothing outside what Knit publishes."""
    fields = published_candidate_assessment_model()["fields"]
    errors = []
    unknown = sorted(set(body) - set(fields))
    if unknown:
        errors.append(
            f"Unknown field(s) {', '.join(unknown)}: Knit's Candidate Assessment model has "
            f"{', '.join(fields)}."
        )
    for name, value in body.items():
        expected = _JSON_TYPES.get(fields.get(name, {}).get("type", ""))
        if name in fields and value is not None and expected is not None and not isinstance(value, expected):
            errors.append(f"{name} must be a {fields[name]['type']}.")
    if not isinstance(body.get("id"), str) or not body["id"]:
        errors.append("id (the candidate assessment id) is required.")
    statuses = fields["status"]["enum"]
    if body.get("status") not in statuses:
        errors.append(f"status must be one of {', '.join(statuses)}.")
    return errors


@csrf_exempt
@require_http_methods(["POST"])
def api_assessment_update(request: HttpRequest) -> JsonResponse:
    account = _authenticate(request)
    if isinstance(account, JsonResponse):
        return account
    refused = ats_only(account, constants.PATH_ASSESSMENT_UPDATE)
    if refused is not None:
        return refused
    body = json_body(request)
    if body is None:
        return _error(400, "The body must be a JSON object.")
    errors = candidate_assessment_errors(body)
    if errors:
        return _error(422, " ".join(errors))
    assessment_id = body["id"]
    if sim_assessment_for(account, assessment_id) is None:
        return _error(404, f"Unknown candidate assessment {assessment_id}.")
    submission_id = _record_submission(account, constants.RESULT_MODE_UPDATE, assessment_id, body)
    return knit_json({"success": True, "data": {"id": submission_id}})


def _ashby_answer(status: int, body: dict[str, Any]) -> JsonResponse:
    """Knit's passthrough answer in the shape of Knit's published example
    (developers.getknit.dev/docs/passthrough-requests-for-getting-the-job-related-fields):
    {"success": true, "data": {"response": {"body": "<the app's body as a string>", "headers": {...}}}},
    with no status field of the app's own. An app error travels as Knit's own HTTP status ([2nd] public
    passthrough clients read it that way), its body still wrapped."""
    wrapped = {
        "body": json.dumps(body),
        "headers": {"content-type": "application/json; charset=utf-8"},
    }
    return knit_json({"success": True, "data": {"response": wrapped}}, status=status)


def _sandbox_start_hint() -> str:
    """Added to Ashby's not-found refusal, in the sandbox only: like the real Ashby, the sandbox's
    Ashby knows only the assessments it started (assessment.start through Knit's workflow), so a
    record.new signed and posted by hand invites the candidate but its result has nowhere to go."""
    return (
        ". This sandbox's Ashby knows only assessments it started through the Knit simulator: use its "
        f"Play Ashby page ({settings.JOBCANNON_BASE_URL}{reverse('integrations:sim-knit:ashby')}), or POST "
        f"Ashby's assessment.start to {workflow_base_url()}assessment.start with the integration's Ashby "
        "secretKey as the Basic auth user name (`demo_seed --json` prints the two as ashby_workflow_url and "
        "ashby_secret_key)"
    )


def _ashby_refusal(message: str) -> JsonResponse:
    # Ashby refuses with HTTP 200 and success:false (shared/reference/ashby-api.md §3.3).
    return _ashby_answer(
        200,
        {
            "success": False,
            "errors": ["invalid_input"],
            "errorInfo": {"code": "invalid_input", "message": message},
        },
    )


@csrf_exempt
@require_http_methods(["POST"])
def api_passthrough(request: HttpRequest) -> JsonResponse:
    account = _authenticate(request)
    if isinstance(account, JsonResponse):
        return account
    body = json_body(request)
    if body is None or not body.get("path") or not body.get("method"):
        return _error(400, "method and path are required.")
    if body.get("method") != "POST" or body.get("path") != constants.ASHBY_UPDATE_PATH:
        return _error(422, "This simulator passes through only POST /assessment.update to Ashby.")
    raw = body.get("body")
    if not isinstance(raw, str):
        return _error(400, "body must be a string: the app's request body serialised as JSON.")
    content_type = body.get("contentType")
    if content_type is not None and str(content_type).split(";")[0].strip().lower() != "application/json":
        # Forwarded under another content type, Ashby (JSON-only) cannot read the body: its own
        # malformed-payload refusal, wrapped [I: how Knit forwards contentType is second-hand].
        return _ashby_refusal(f"Request payload is not JSON (Content-Type {content_type})")
    if body.get("headers") is not None and not isinstance(body.get("headers"), dict):
        return _error(400, "headers must be an object of header names to values.")
    try:
        inner = json.loads(raw)
    except ValueError:
        inner = None
    if not isinstance(inner, dict):
        return _ashby_refusal("Request payload is malformed")
    assessment_id = str(inner.get("assessment_id") or "")
    if not assessment_id or not isinstance(inner.get("timestamp"), int):
        return _ashby_refusal("assessment_id and timestamp are required")
    if "assessment_status" not in inner and "cancelled_reason" not in inner:
        return _ashby_refusal("assessment_status is required unless cancelled_reason is provided")
    if sim_assessment_for(account, assessment_id) is None:
        return _ashby_refusal(f"Assessment {assessment_id} not found{_sandbox_start_hint()}")
    missing = account.data.get("ashby_missing_permission")
    if missing:
        # The customer's Ashby key (held by Knit) lacks a permission: Ashby's 403
        # missing_endpoint_permission, {message, parameter} form (shared/reference/ashby-api.md §3.1, §3.3).
        return _ashby_answer(
            403,
            {"success": False, "errors": [{"message": "missing_endpoint_permission", "parameter": missing}]},
        )
    _record_submission(account, constants.RESULT_MODE_PASSTHROUGH, assessment_id, body, inner)
    return _ashby_answer(200, {"success": True})


@csrf_exempt
def api_unknown(request: HttpRequest, operation: str) -> JsonResponse:
    """What Knit answers for an API it does not have (e.g. the undocumented `ats.jobs` or
    `ats.assessment.secrets.revoke`), once it knows who is asking: like any authenticated API, the
    caller's key and integration id are checked first (an anonymous caller learns nothing of which
    APIs exist)."""
    account = _authenticate(request)
    if isinstance(account, JsonResponse):
        return account
    return _error(404, f"No such API: {operation}.")
