"""Ashby: OAuth 2.0 or API-key connect, the partner API Ashby calls, verified webhooks and the
assessment.update + scorecard write-back. Seed vs real API differences: README.md here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from integrations.base import (
    ATSPermissionError,
    ATSProvider,
    ChecklistCheck,
    CredentialCheck,
    DeliveryResult,
    HealthWarning,
    InboundRequest,
    OAuth2Config,
    ParsedWebhook,
    RateLimit,
    RegisteredWebhook,
    SetupStep,
    SyncPage,
    Verification,
)
from integrations.models import AuthKind, Environment, Integration, WritebackMessage, WritebackStatus
from integrations.plugins import plugin_for  # the sandbox is a dev/test plug-in (README "Layout")

from . import constants, guide, mappers, partner_errors, permissions, sync, webhooks
from .client import AshbyClient
from .selectors import refresh_token_warning, run_update_request

LATER_EVENTS = {"started": ("completed", "cancelled", "expired")}


class AshbyProvider(ATSProvider):
    key = "ashby"
    name = "Ashby"
    # The real API authenticates with API keys (reference §3.1); seed 000 describes OAuth. Both work;
    # the API key comes first so a demo sandbox connects with one click.
    auth_kinds = ("api_key", "oauth2")
    connect_note = (
        "The API key is the way Ashby documents publicly (developers.ashbyhq.com/reference/authentication: "
        "Basic auth, key as username). OAuth 2.0 follows the JobCannon setup guide; Ashby publishes no "
        "OAuth flow for partners, so choose it only if Ashby has set one up for your workspace."
    )
    # Seed 000: 100 requests/second, bursts up to 1000.
    rate_limit = RateLimit(per_second=100, burst=1000)
    client_class = AshbyClient
    event_handlers = webhooks.EVENT_HANDLERS
    ignored_events = webhooks.IGNORED_EVENTS
    # Linked as the "setup guide" on the connect page: Ashby's authentication page says how the
    # API key is sent and lists each module's permissions (the ones our guide step asks for).
    docs_url = "https://developers.ashbyhq.com/reference/authentication"
    detail_template = "integrations/providers/ashby/detail.html"
    webhook_registration = "api"
    common_errors = guide.COMMON_ERRORS
    refresh_token_warn_after_days = constants.REFRESH_TOKEN_WARN_DAYS

    # -- configuration --
    def api_base_url(self, integration: Integration) -> str:
        if self.uses_simulator(integration):
            return self.simulator_base_url()
        return (integration.provider_settings or {}).get("api_base_url") or constants.API_BASE

    def client(self, integration: Integration) -> AshbyClient:
        return AshbyClient(integration, self)

    def uses_simulator(self, integration: Integration) -> bool:
        return integration.environment == Environment.SANDBOX and super().uses_simulator(integration)

    def oauth_config(self, integration: Integration) -> OAuth2Config:
        if self.uses_simulator(integration):
            if self.simulator_base_url().startswith("http://"):
                # The simulator is served by this server over plain http in dev and tests; oauthlib
                # refuses http unless told (never reached in production: simulators are off there).
                os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
            authorize, token = (
                self.simulator_base_url() + "/oauth/authorize",
                self.simulator_base_url() + "/oauth/token",
            )
        else:
            host = constants.OAUTH_HOSTS.get(
                integration.environment, constants.OAUTH_HOSTS[Environment.PRODUCTION]
            )
            authorize, token = host + constants.AUTHORIZE_PATH, constants.TOKEN_URL
        return OAuth2Config(
            authorize_url=authorize,
            token_url=token,
            scopes=constants.SCOPES,
            refresh_token_lifetime_days=constants.REFRESH_TOKEN_LIFETIME_DAYS,
        )

    # -- connect --
    def validate_credentials(self, integration: Integration) -> CredentialCheck:
        client = self.client(integration)
        try:
            info = client.api_key_info().get("results") or {}
        except ATSPermissionError as exc:
            if exc.vendor_code != constants.CODE_MISSING_PERMISSION:
                raise  # a wrong or deactivated key
            # The key authenticated (a wrong key is a 403 without this code) but may not call
            # apiKey.info, which requires apiKeysRead (Ashby's OpenAPI): say so, carry on.
            permission = client.missing_permission(exc) or constants.PERMISSION_API_KEYS_READ
            permissions.permission_missing_record(
                integration=integration,
                permission=permission,
                endpoint=constants.EP_API_KEY_INFO,
                missing=True,
                message=exc.message,
            )
            permissions.writebacks_held_resume(integration=integration)  # cannot tell: try them
            return CredentialCheck(
                ok=True,
                message="Ashby accepted the credentials, but "
                + permissions.fix_text(integration, permission, constants.EP_API_KEY_INFO),
                details={"missing_permission": permission},
            )
        permissions.permission_missing_record(
            integration=integration,
            permission=constants.PERMISSION_API_KEYS_READ,
            endpoint=constants.EP_API_KEY_INFO,
            missing=False,
        )
        title = info.get("title") or info.get("name") or ""
        what = f"API key “{title}”" if title and integration.auth_kind == AuthKind.API_KEY else "OAuth token"
        # The spec, /apiKey.info: `results.scopes`, "List of permission scopes that this API key is
        # authorized for". Read when present: a key without candidatesWrite is named now, not at
        # the first write-back. Absent (older keys, the seed's OAuth token): judged by the calls.
        scopes = info.get("scopes")
        lacking = (
            permissions.permissions_record_from_scopes(integration=integration, scopes=scopes)
            if isinstance(scopes, list)
            else []
        )
        if constants.PERMISSION_CANDIDATES_WRITE not in lacking:
            permissions.writebacks_held_resume(integration=integration)
        message = f"Ashby accepted the {what} (apiKey.info)."
        if lacking:
            message += " It lacks " + "; ".join(
                permissions.fix_text(
                    integration, p, permissions.permissions_missing(integration)[p]["endpoint"]
                )
                for p in lacking
            )
        return CredentialCheck(
            ok=True, message=message, details={"title": title, "missing_permissions": lacking}
        )

    def on_connected(self, integration: Integration) -> None:
        """Register the webhooks via webhook.create: real webhookTypes only (seed 000's
        candidate.created is applicationSubmit; its assessment.completed does not exist)."""
        webhooks.register(client=self.client(integration), integration=integration)

    def connected_reason(self, integration: Integration) -> str:
        """status_reason when the connect ends connected: the Ashby permissions still missing
        (a 403 missing_endpoint_permission on apiKey.info or webhook.create, or absent from the
        key's scopes), by name, in one line; "" when none. Kept in step afterwards by
        permissions.permission_missing_record."""
        return permissions.status_line(integration)

    def explain_oauth_error(self, error: str, description: str, integration: Integration) -> str:
        if error == "invalid_scope" or "scope" in description.lower():
            named = [s for s in constants.SCOPES if s in description] or list(constants.SCOPES)
            return (
                f"Invalid OAuth scope: Ashby refused {', '.join(named)}. Cause: one or more requested scopes are "
                "not available on your Ashby workspace tier. Fix: 1. check your Ashby workspace plan (some "
                "scopes require the Enterprise tier); 2. verify the app's scope list in Ashby (Settings → "
                f"Integrations → Connected Apps) is exactly {' '.join(constants.SCOPES)}; 3. contact support if "
                "a scope is missing, then click Re-authorize."
            )
        if error == "access_denied":
            return (
                "The Ashby admin declined the authorization. Click Re-authorize and approve all four scopes."
            )
        return f"Ashby refused the authorization ({error}): {description or 'no details given'}."

    # -- webhooks in --
    def verify_webhook(
        self, integration: Integration, request: InboundRequest, secrets: list[str]
    ) -> Verification:
        return webhooks.verify(integration, request, secrets)

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        return webhooks.parse(request)

    # -- write-back --
    def on_run_event(self, integration: Integration, run: Any, event: str) -> list[str]:
        if not run.external_assessment_id:
            return []  # not started by Ashby: nothing in Ashby to update
        if event == "completed":
            return [constants.KIND_SCORECARD, constants.KIND_ASSESSMENT_UPDATE]
        if event in ("started", "cancelled", "expired"):
            return [constants.KIND_ASSESSMENT_UPDATE]
        return []

    def deliver(self, integration: Integration, message: Any) -> DeliveryResult:
        client = self.client(integration)
        try:
            result = self._deliver(integration, message, client)
        except ATSPermissionError as exc:
            if (
                exc.vendor_code != constants.CODE_MISSING_PERMISSION
                or integration.auth_kind == AuthKind.OAUTH2
            ):
                raise  # a wrong or deactivated key; for an OAuth grant, re-authorizing is the fix
            # The key works but lacks the permission (as a rule candidatesWrite), which only an
            # Ashby admin can grant: recorded for the Ashby panel, the write held (not re-auth).
            raise permissions.permission_missing_on_write(
                integration=integration,
                endpoint=client.operation or constants.EP_ASSESSMENT_UPDATE,
                permission=client.missing_permission(exc) or constants.PERMISSION_CANDIDATES_WRITE,
                error=exc,
            ) from exc
        granted = constants.ENDPOINT_PERMISSIONS.get(client.operation, "")
        if granted in permissions.permissions_missing(integration):
            permissions.permission_missing_record(
                integration=integration, permission=granted, endpoint=client.operation, missing=False
            )
        return result

    def _deliver(self, integration: Integration, message: Any, client: AshbyClient) -> DeliveryResult:
        from assessments.catalog import instrument_get
        from assessments.services.runs import run_result

        run = message.run
        if message.kind == constants.KIND_SCORECARD:
            # Sub-scores on each dimension's own range, from the instrument the run was taken with.
            scales = mappers.dimension_scales(instrument_get(run.instrument, run.instrument_version))
            data = client.candidate_create_note(
                candidate_id=run.external_candidate_id,
                html=mappers.scorecard_html(result=run_result(run=run), scales=scales),
            )
            return DeliveryResult(external_ref=str((data.get("results") or {}).get("id", "")))
        aid = run.external_assessment_id
        if message.event == "started" and self._superseded(message):
            return DeliveryResult(external_ref=aid, note="superseded by a later update")
        # The same body assessment.start/cancel answer inline for this state (selectors.run_update_request).
        body = run_update_request(run=run, event=message.event, default_reason="Cancelled in JobCannon")
        client.assessment_update(body)
        return DeliveryResult(external_ref=aid)

    def _superseded(self, message: Any) -> bool:
        """A late 'Started' must not overwrite a result Ashby already has."""
        return WritebackMessage.objects.filter(
            run_id=message.run_id,
            integration_id=message.integration_id,
            kind=constants.KIND_ASSESSMENT_UPDATE,
            event__in=LATER_EVENTS.get(message.event, ()),
            status__in=[WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED],
        ).exists()

    # -- data sync (integrations/sync): seed 002 §4, paging in sync.py --
    sync_resources = sync.RESOURCES

    def sync_page(self, integration: Integration, resource: str, cursor: str, sync_token: str) -> SyncPage:
        return sync.sync_page(self.client(integration), resource, cursor, sync_token)

    def sync_fetch(self, integration: Integration, resource: str, external_id: str) -> SyncPage:
        return sync.sync_fetch(self.client(integration), resource, external_id)

    # -- URLs --
    def urls(self) -> list:
        from .apis import urlpatterns

        return urlpatterns

    def partner_refusal(
        self,
        request: HttpRequest,
        *,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        # Ashby's partner OpenAPI lists 200/409/422 for assessment.start and 200 for the others,
        # with its error envelope: the guard's 400/413/415/429 become that operation's refusal.
        return partner_errors.guard_refusal(
            request, code=code, message=message, details=details, headers=headers
        )

    def integration_urls(self) -> list:
        from .views import integration_urlpatterns

        return integration_urlpatterns(self)

    def partner_base_url(self, integration: Integration) -> str:
        return f"{settings.JOBCANNON_BASE_URL}/partners/{self.key}/{integration.public_id}"

    def detail_context(self, integration: Integration) -> dict[str, Any]:
        return {
            "ashby": {
                "webhooks": (integration.provider_settings or {}).get("webhooks", []),
                "sync_webhooks": (integration.provider_settings or {}).get("sync_webhooks", []),
                "missing_permissions": [
                    {
                        "permission": p,
                        "endpoint": seen["endpoint"],
                        "fix": permissions.fix_text(integration, p, seen["endpoint"]),
                    }
                    for p, seen in sorted(permissions.permissions_missing(integration).items())
                ],
                "partner_base_url": self.partner_base_url(integration),
                "partner_shared_base_url": f"{settings.JOBCANNON_BASE_URL}/partners/{self.key}",
                "partner_key_issued_at": (integration.provider_settings or {}).get(
                    "partner_key_issued_at", ""
                ),
                "refresh_token_warning": refresh_token_warning(integration),
                "simulator_url": (self.simulator_base_url() + "/")
                if self.uses_simulator(integration)
                else "",
            }
        }

    # -- the customer console --
    def setup_steps(self, integration: Integration) -> list[SetupStep]:
        return guide.setup_steps(auth_kind=integration.auth_kind)

    def registered_webhooks(self, integration: Integration) -> list[RegisteredWebhook] | None:
        return [
            RegisteredWebhook(
                event=w["event"], url=w.get("url", ""), id=w["id"], active=w.get("status") == "enabled"
            )
            for w in (integration.provider_settings or {}).get("webhooks", [])
            if w.get("id")
        ]

    def health_warnings(self, integration: Integration) -> list[HealthWarning]:
        return permissions.health_warnings(integration)

    def checklist_checks(self, integration: Integration) -> list[ChecklistCheck]:
        issued = bool((integration.provider_settings or {}).get("partner_key_issued_at"))
        return [
            permissions.checklist_check(integration),
            ChecklistCheck(
                key="ashby_partner_key",
                title="Partner API key issued for Ashby",
                ok=issued or None,
                detail=""
                if issued
                else "Ashby needs a JobCannon partner API key to list and start assessments.",
                fix=()
                if issued
                else (
                    "Open Issue the partner API key on this integration's page and paste the key "
                    "and base URL into Ashby's JobCannon settings.",
                ),
            ),
        ]

    def send_test_webhook(self, integration: Integration) -> str:
        return plugin_for(self.key).send_test_webhook(self, integration)

    def send_test_assessment(self, integration: Integration) -> str:
        return plugin_for(self.key).send_test_assessment(self, integration)

    def demo_setup(self, integration: Integration) -> dict[str, Any]:
        return plugin_for(self.key).demo_setup(self, integration)
