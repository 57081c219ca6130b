"""A test-only provider wired to the fault-injecting fake ATS (fakeats.py). Registered by the
reliability fixtures (settings.ATS_PROVIDERS) and by the worker subprocesses.

It is deliberately plain: the point is the generic machinery (BaseClient, limiter, outbox,
reconciler, webhook processing), not vendor quirks. Its ATS stores one result per
Idempotency-Key but counts every POST, so a duplicate send shows. provider_settings: "base_url"
(the fake ATS), "readable" (False: confirm() cannot read back)."""

from __future__ import annotations

import json
from typing import Any

import requests

from integrations.base import (
    ATSNotFound,
    ATSProvider,
    BaseClient,
    CredentialCheck,
    DeliveryResult,
    InboundRequest,
    OAuth2Config,
    ParsedWebhook,
    RateLimit,
    Verification,
    WebhookContext,
    verify_hmac_hex,
)

SIGNATURE_HEADER = "X-FaultSim-Signature"
PATH = "tests.integrations.reliability.faultsim.FaultSimProvider"


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class FaultSimClient(BaseClient):
    request_id_header = "X-Request-Id"
    idempotency_header = "Idempotency-Key"

    def auth(self) -> requests.auth.AuthBase | None:
        from integrations.services.oauth import token_get_access

        if self.integration.auth_kind == "oauth2":
            return _Bearer(token_get_access(integration=self.integration))
        return _Bearer(self.integration.credential("api_key", ""))

    def ping(self) -> dict[str, Any]:
        return self.request("GET", "/ping", operation="ping").json()

    def post_result(self, body: dict[str, Any]) -> DeliveryResult:
        data = self.request("POST", "/results", json=body, operation="results.create").json()
        return DeliveryResult(external_ref=str(data.get("id", "")))

    def find_result(self, key: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", f"/results/{key}", operation="results.get").json()
        except ATSNotFound:
            return None


def handle_result_requested(ctx: WebhookContext) -> None:
    """Asks for the write-back of a run, as an ATS event that leads to one would."""
    from assessments.models import AssessmentRun
    from integrations.services.activity import activity_log
    from integrations.services.writeback import writeback_enqueue

    run = AssessmentRun.objects.get(pk=int(ctx.payload["data"]["run_id"]))
    activity_log(
        integration=ctx.integration,
        kind="faultsim.handled",
        message=f"Event {ctx.event.external_id} handled.",
        data={"event": ctx.event.external_id},
    )
    writeback_enqueue(run=run, event="completed")


class FaultSimProvider(ATSProvider):
    key = "faultsim"
    name = "FaultSim ATS"
    hidden = True
    auth_kinds = ("oauth2", "api_key")
    rate_limit = RateLimit(per_second=1000, burst=1000)
    client_class = FaultSimClient
    event_handlers = {"result.requested": handle_result_requested}
    ignored_events = frozenset({"ping"})

    def api_base_url(self, integration) -> str:
        return str((integration.provider_settings or {})["base_url"])

    def oauth_config(self, integration) -> OAuth2Config:
        base = self.api_base_url(integration)
        return OAuth2Config(
            authorize_url=base + "/oauth/authorize",
            token_url=base + "/oauth/token",
            scopes=("results:write",),
            use_pkce=False,
        )

    def client(self, integration) -> FaultSimClient:
        return FaultSimClient(integration, self)

    def validate_credentials(self, integration) -> CredentialCheck:
        self.client(integration).ping()
        return CredentialCheck(ok=True, message="ok")

    def verify_webhook(self, integration, request: InboundRequest, secrets: list[str]) -> Verification:
        signature = request.header(SIGNATURE_HEADER)
        if signature and verify_hmac_hex(
            body=request.body, signature=signature, secrets=secrets, prefix="sha256="
        ):
            return Verification(ok=True, scheme="faultsim-hmac")
        return Verification(ok=False, scheme="faultsim-hmac", reason="Signature does not match.")

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        payload = json.loads(request.body)
        return ParsedWebhook(event_type=str(payload["type"]), external_id=str(payload["id"]))

    def on_run_event(self, integration, run, event: str) -> list[str]:
        return ["result"] if event == "completed" else []

    def deliver(self, integration, message) -> DeliveryResult:
        return self.client(integration).post_result({"run": message.run_id, "kind": message.kind})

    def confirm(self, integration, message) -> bool | None:
        if not (integration.provider_settings or {}).get("readable", True):
            return None
        return self.client(integration).find_result(message.idempotency_key) is not None
