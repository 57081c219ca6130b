"""A small but complete ATS with a built-in simulator, for testing the console generically:
API key and OAuth sign-in, webhook registration through the API, signed webhooks, an
assessment request event, and result write-back. It implements every console hook of the
provider contract, so the console's tests do not depend on any real provider's progress.

Registered only by the `consolesim` fixture (settings.ATS_PROVIDERS + a test ROOT_URLCONF)."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from assessments.services.runs import ATSRefs, CandidateInfo, assessment_run_create
from integrations.base import (
    ATSProvider,
    BaseClient,
    CommonError,
    CredentialCheck,
    DeliveryResult,
    InboundRequest,
    OAuth2Config,
    ParsedWebhook,
    RateLimit,
    SetupStep,
    Verification,
    WebhookContext,
    hmac_sha256_hex,
    verify_hmac_hex,
)
from integrations.services.activity import activity_log
from integrations.simulator_plugins.models import SimulatorObject

KEY = "consolesim"
SIGNATURE_HEADER = "X-Sim-Signature"
SCOPES = ("candidates:read", "results:write")


# --- simulator state -------------------------------------------------------------------------


def _obj(kind: str, key: str) -> SimulatorObject | None:
    return SimulatorObject.objects.filter(provider=KEY, kind=kind, key=key).first()


def api_key_register() -> str:
    key = "sim_key_" + secrets.token_hex(8)
    SimulatorObject.objects.create(provider=KEY, kind="api_key", key=key, data={"revoked": False})
    return key


def api_key_revoke(key: str) -> None:
    SimulatorObject.objects.filter(provider=KEY, kind="api_key", key=key).update(data={"revoked": True})


def oauth_client_register() -> tuple[str, str]:
    client_id, secret = "sim_client_" + secrets.token_hex(4), "sim_secret_" + secrets.token_hex(8)
    SimulatorObject.objects.create(provider=KEY, kind="client", key=client_id, data={"secret": secret})
    return client_id, secret


def tokens_revoke() -> None:
    for kind in ("token", "refresh"):
        SimulatorObject.objects.filter(provider=KEY, kind=kind).update(data={"revoked": True})


def results() -> list[dict[str, Any]]:
    return [o.data for o in SimulatorObject.objects.filter(provider=KEY, kind="result").order_by("id")]


def _bearer_ok(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    value = header[7:]
    for kind in ("api_key", "token"):
        found = _obj(kind, value)
        if found is not None and not found.data.get("revoked"):
            return True
    return False


def _unauthorized() -> JsonResponse:
    return JsonResponse({"message": "Invalid API key or token (revoked or unknown)."}, status=401)


@csrf_exempt
def sim_me(request: HttpRequest) -> HttpResponse:
    if not _bearer_ok(request):
        return _unauthorized()
    return JsonResponse({"name": "Sim Company"})


@csrf_exempt
def sim_webhooks(request: HttpRequest) -> HttpResponse:
    if not _bearer_ok(request):
        return _unauthorized()
    body = json.loads(request.body or b"{}")
    hook_id = "wh_" + secrets.token_hex(4)
    SimulatorObject.objects.create(provider=KEY, kind="webhook", key=hook_id, data=body)
    return JsonResponse({"id": hook_id, **body}, status=201)


@csrf_exempt
def sim_results(request: HttpRequest, application: str) -> HttpResponse:
    if not _bearer_ok(request):
        return _unauthorized()
    body = json.loads(request.body or b"{}")
    result_id = "res_" + secrets.token_hex(4)
    SimulatorObject.objects.create(provider=KEY, kind="result", key=result_id, data=body)
    return JsonResponse({"id": result_id}, status=201)


CONSENT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console Sim ATS</title>
<link rel="icon" href="data:,"></head><body><main><h1>Allow JobCannon to access Console Sim ATS?</h1>
<p>Scopes: {scope}</p><form method="post"><input type="hidden" name="q" value="{q}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button></form></main></body></html>"""


@csrf_exempt
def sim_authorize(request: HttpRequest) -> HttpResponse:
    from urllib.parse import parse_qs

    if request.method == "GET":
        return HttpResponse(
            CONSENT.format(scope=escape(request.GET.get("scope", "")), q=escape(request.GET.urlencode()))
        )
    params = {k: v[0] for k, v in parse_qs(request.POST.get("q", "")).items()}
    redirect_uri = params.get("redirect_uri", "")
    if request.POST.get("decision") != "approve":
        query = urlencode({"error": "access_denied", "state": params.get("state", "")})
        return HttpResponse(status=302, headers={"Location": f"{redirect_uri}?{query}"})
    code = "code_" + secrets.token_hex(8)
    SimulatorObject.objects.create(
        provider=KEY, kind="code", key=code, data={"scope": params.get("scope", "")}
    )
    query = urlencode({"code": code, "state": params.get("state", "")})
    return HttpResponse(status=302, headers={"Location": f"{redirect_uri}?{query}"})


@csrf_exempt
def sim_token(request: HttpRequest) -> HttpResponse:
    client = _obj("client", request.POST.get("client_id", ""))
    if client is None or client.data.get("secret") != request.POST.get("client_secret"):
        return JsonResponse({"error": "invalid_client"}, status=401)
    grant = request.POST.get("grant_type")
    if grant == "authorization_code":
        code = _obj("code", request.POST.get("code", ""))
        if code is None:
            return JsonResponse({"error": "invalid_grant"}, status=400)
        scope = code.data.get("scope", "")
        code.delete()
    elif grant == "refresh_token":
        refresh = _obj("refresh", request.POST.get("refresh_token", ""))
        if refresh is None or refresh.data.get("revoked"):
            return JsonResponse({"error": "invalid_grant"}, status=400)
        scope = refresh.data.get("scope", "")
    else:
        return JsonResponse({"error": "unsupported_grant_type"}, status=400)
    access, new_refresh = "at_" + secrets.token_hex(8), "rt_" + secrets.token_hex(8)
    SimulatorObject.objects.create(provider=KEY, kind="token", key=access, data={"revoked": False})
    SimulatorObject.objects.create(provider=KEY, kind="refresh", key=new_refresh, data={"scope": scope})
    return JsonResponse(
        {
            "access_token": access,
            "refresh_token": new_refresh,
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": scope,
        }
    )


# --- the provider ------------------------------------------------------------------------------


class ConsoleSimClient(BaseClient):
    def auth(self):
        from integrations.services.oauth import token_get_access

        token = (
            token_get_access(integration=self.integration)
            if self.integration.auth_kind == "oauth2"
            else self.integration.credential("api_key", "")
        )

        def _apply(r):
            r.headers["Authorization"] = f"Bearer {token}"
            return r

        return _apply


def handle_assessment_requested(ctx: WebhookContext) -> None:
    data = ctx.payload.get("data") or {}
    run, created = assessment_run_create(
        workspace=ctx.integration.workspace,
        instrument=str(data.get("instrument", "big5")),
        candidate=CandidateInfo(
            email=str(data.get("email", "")),
            first_name=str(data.get("first_name", "")),
            last_name=str(data.get("last_name", "")),
        ),
        integration=ctx.integration,
        refs=ATSRefs(
            candidate_id=str(data.get("candidate_id", "")),
            application_id=str(data.get("application_id", "")),
            request_key=ctx.event.external_id,
            context={"sim_event_id": ctx.event.external_id},
        ),
    )
    activity_log(
        integration=ctx.integration,
        kind="consolesim.assessment_requested",
        message=f"Console Sim ATS requested {run.instrument} for {run.candidate_email}.",
        data={"run": run.pk},
    )


class ConsoleSimProvider(ATSProvider):
    key = KEY
    name = "Console Sim ATS"
    auth_kinds = ("api_key", "oauth2")
    rate_limit = RateLimit(per_second=50, burst=50)
    client_class = ConsoleSimClient
    event_handlers = {"assessment.requested": handle_assessment_requested}
    ignored_events = frozenset({"ping"})
    webhook_registration = "api"
    api_key_lifetime_days = 365
    common_errors = (
        CommonError(
            title="Invalid API key or insufficient scopes",
            cause="The API key was regenerated, revoked or lacks a scope.",
            fix=("Regenerate the API key in Console Sim settings.", "Paste the new key into JobCannon."),
            match=("invalid api key",),
            checks=("credentials", "writeback"),
        ),
    )

    def api_base_url(self, integration) -> str:
        if self.uses_simulator(integration):
            return self.simulator_base_url() + "/api"
        return "https://consolesim.example.com/api"

    def oauth_config(self, integration) -> OAuth2Config:
        base = "https://consolesim.example.com"
        if self.uses_simulator(integration):
            import os

            base = self.simulator_base_url()
            if base.startswith("http://"):  # the simulator on the test server speaks plain HTTP
                os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        return OAuth2Config(
            authorize_url=f"{base}/authorize", token_url=f"{base}/token", scopes=SCOPES, use_pkce=False
        )

    def validate_credentials(self, integration) -> CredentialCheck:
        me = self.client(integration).request("GET", "/me", operation="me").json()
        return CredentialCheck(ok=True, message=f"Connected as {me.get('name')}.")

    def on_connected(self, integration) -> None:
        from integrations.selectors import webhook_url_for

        url = settings.JOBCANNON_BASE_URL + webhook_url_for(integration)
        data = (
            self.client(integration)
            .request(
                "POST",
                "/webhooks",
                json={"url": url, "event": "assessment.requested"},
                operation="webhooks.create",
            )
            .json()
        )
        integration.provider_settings = {
            **(integration.provider_settings or {}),
            "webhooks": [{"id": data["id"], "url": url, "event": "assessment.requested"}],
        }
        integration.save(update_fields=["provider_settings", "updated_at"])

    def verify_webhook(self, integration, request: InboundRequest, secrets: list[str]) -> Verification:
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            return Verification(ok=False, reason=f"Missing {SIGNATURE_HEADER} header.")
        if not verify_hmac_hex(body=request.body, signature=signature, secrets=secrets, prefix="sha256="):
            return Verification(
                ok=False,
                scheme="sim-hmac",
                reason="Signature does not match: wrong secret, or the body changed after signing.",
            )
        return Verification(ok=True, scheme="sim-hmac")

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        payload = json.loads(request.body)
        return ParsedWebhook(event_type=str(payload["type"]), external_id=str(payload["id"]))

    def on_run_event(self, integration, run, event: str) -> list[str]:
        return ["result"] if event == "completed" else []

    def deliver(self, integration, message) -> DeliveryResult:
        data = (
            self.client(integration)
            .request(
                "POST",
                f"/applications/{message.run.external_application_id}/results",
                json={
                    "application": message.run.external_application_id,
                    "run": message.run_id,
                    "event": message.event,
                },
                operation="results.create",
            )
            .json()
        )
        return DeliveryResult(external_ref=str(data.get("id", "")), confirmed=True)

    def simulator_urls(self):
        return [
            path("authorize", sim_authorize, name="authorize"),
            path("token", sim_token, name="token"),
            path("api/me", sim_me, name="me"),
            path("api/webhooks", sim_webhooks, name="webhooks"),
            path("api/applications/<str:application>/results", sim_results, name="results"),
        ]

    def setup_steps(self, integration) -> list[SetupStep]:
        return [
            SetupStep(
                title="Create an app in Console Sim", items=("Name: JobCannon",), show=("redirect_uri",)
            ),
            SetupStep(title="Order a test assessment", body="From a test candidate.", phase="after"),
        ]

    def simulator_credentials(self, integration) -> dict[str, str]:
        if integration.auth_kind == "oauth2":
            client_id, secret = oauth_client_register()
            return {"client_id": client_id, "client_secret": secret}
        return {"api_key": api_key_register()}

    def _send(self, integration, payload: dict[str, Any]) -> requests.Response:
        from integrations.selectors import webhook_url_for

        body = json.dumps(payload).encode()
        secret = integration.secrets_for_verification()[0]
        return requests.post(
            settings.JOBCANNON_BASE_URL + webhook_url_for(integration),
            data=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: "sha256=" + hmac_sha256_hex(secret, body),
            },
            timeout=10,
        )

    def send_test_webhook(self, integration) -> str:
        response = self._send(integration, {"type": "ping", "id": "ping_" + uuid.uuid4().hex[:8]})
        return f"Console Sim sent a signed ping; JobCannon answered {response.status_code}."

    def send_test_assessment(self, integration) -> str:
        n = uuid.uuid4().hex[:6]
        response = self._send(
            integration,
            {
                "type": "assessment.requested",
                "id": f"evt_{n}",
                "data": {
                    "instrument": "big5",
                    "email": f"sim.candidate.{n}@example.com",
                    "first_name": "Sim",
                    "last_name": "Candidate",
                    "candidate_id": f"cand_{n}",
                    "application_id": f"app_{n}",
                },
            },
        )
        return f"Console Sim ordered a test assessment; JobCannon answered {response.status_code}."
