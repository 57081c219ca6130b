"""SmartRecruiters: OAuth 2.0 connect, webhook subscriptions, assessment orders in, results out.

Where seed 001 and the real vendor differ we support both (README.md in this folder):
- webhooks: the real Webhooks API (subscription, X-Hook-Secret handshake, generated secret key,
  `smartrecruiters-signature` v1) by default; provider_settings["webhook_api"] = "seed" uses the
  seed's `POST /v1/webhooks/subscriptions` with targetUrl + custom headers. Both signatures verify.
- orders: SR's Assessment API (2021) calls our partner endpoints (apis.py), or a webhook order.
- scopes: the seed's colon scopes; provider_settings["oauth_scopes"] for a real SR app.
- rate limit: the seed's 100 rps by default, the real 10 rps configurable (constants.py).
- region: US or EU per integration picks the API host results go to; sandbox and production use
  different hosts, apps, tokens and rate-limit buckets."""

from __future__ import annotations

import os
from typing import Any

from django.urls import path

from assessments.services.runs import run_result
from integrations.base import (
    ATSProvider,
    ATSValidationError,
    ChecklistCheck,
    CredentialCheck,
    CredentialField,
    DeliveryResult,
    HealthWarning,
    InboundRequest,
    OAuth2Config,
    ParsedWebhook,
    RateLimit,
    RegisteredWebhook,
    SetupStep,
    Verification,
)
from integrations.models import ActivityLevel, Environment
from integrations.plugins import simulator_module  # simulators are dev/test plug-ins (README "Layout")
from integrations.services.activity import activity_log
from integrations.services.oauth import redirect_uri_for

from . import console, constants, guide, mappers, selectors, services, setup, webhooks
from .client import SmartRecruitersClient

KIND_RESULT = "assessment.result"
KIND_STATUS = "assessment.status"


class SmartRecruitersProvider(ATSProvider):
    key = constants.KEY
    name = "SmartRecruiters"
    auth_kinds = ("oauth2",)
    regions = ("us", "eu")
    client_class = SmartRecruitersClient
    event_handlers = webhooks.EVENT_HANDLERS
    ignored_events = webhooks.IGNORED_EVENTS
    # Seed 001: 100 requests/second, "no stated burst limit". The shared limiter's one-second
    # window is a little longer than nominal (network margin), so the burst is 5 % above 100 to
    # keep the same density. Real SR allows 10/s: settings.ATS_RATE_LIMITS["smartrecruiters"] or
    # provider_settings["rate_limit"] (see constants.py).
    rate_limit = RateLimit(per_second=constants.RATE_LIMIT_PER_SECOND, burst=constants.RATE_LIMIT_BURST)
    webhook_ack_status = 202  # SRD /docs/webhooks-security: acknowledge with 202
    docs_url = "https://developers.smartrecruiters.com/reference"
    detail_template = "integrations/providers/smartrecruiters/_detail.html"
    # The console: seed 001's Common Errors, a 2-year refresh token, subscriptions made by API.
    common_errors = guide.COMMON_ERRORS
    refresh_token_warn_after_days = constants.REFRESH_TOKEN_WARN_DAYS
    webhook_registration = "api"

    def client(self, integration) -> SmartRecruitersClient:
        return SmartRecruitersClient(integration, self)

    # -- configuration --
    def uses_simulator(self, integration) -> bool:
        return integration.environment == Environment.SANDBOX and super().uses_simulator(integration)

    def api_base_url(self, integration) -> str:
        override = selectors.provider_settings(integration).get("api_base_url")
        if override:
            return str(override).rstrip("/")
        region = integration.region if integration.region in self.regions else "us"
        if self.uses_simulator(integration):
            return f"{self.simulator_base_url()}/api/{region}"
        return constants.API_BASES[(integration.environment, region)]

    def oauth_config(self, integration) -> OAuth2Config:
        if self.uses_simulator(integration):
            host = self.simulator_base_url()
            if host.startswith("http://"):
                # The simulator is served by this server over plain http in dev and tests; oauthlib
                # refuses http unless told (never reached in production: simulators are off there).
                os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        else:
            host = (
                selectors.provider_settings(integration).get("oauth_base_url")
                or constants.OAUTH_HOSTS[integration.environment]
            )
        scopes = tuple(selectors.provider_settings(integration).get("oauth_scopes") or constants.SCOPES)
        # passport-smartrecruiters sends no PKCE; SR documents none.
        return OAuth2Config(
            authorize_url=host + constants.AUTHORIZE_PATH,
            token_url=host + constants.TOKEN_PATH,
            scopes=scopes,
            use_pkce=False,
            access_token_lifetime_default=constants.ACCESS_TOKEN_SECONDS,
            refresh_token_lifetime_days=constants.REFRESH_TOKEN_DAYS,
        )

    # -- connect --
    def validate_credentials(self, integration) -> CredentialCheck:
        company = self.client(integration).company()
        services.settings_update(
            integration=integration, changes={"company_id": company.id, "company_name": company.name}
        )
        message = f"Connected to {company.name} (company {company.id}, {integration.region.upper()} region)."
        if constants.SCOPE_RESULTS_WRITE in selectors.missing_scopes(integration):
            message += " Warning: " + constants.SCOPE_MISSING_WARNING
        return CredentialCheck(ok=True, message=message, details={"company_id": company.id})

    def on_connected(self, integration) -> None:
        client = self.client(integration)
        setup.partner_register(integration, client)
        setup.webhooks_subscribe(integration, client)
        if constants.SCOPE_RESULTS_WRITE in selectors.missing_scopes(integration):
            # Flagged now, before the first result delivery fails with 403.
            activity_log(
                integration=integration,
                kind="smartrecruiters.scope_missing",
                level=ActivityLevel.WARNING,
                message=constants.SCOPE_MISSING_WARNING,
                data={"missing": [constants.SCOPE_RESULTS_WRITE]},
            )

    def explain_oauth_error(self, error: str, description: str, integration) -> str:
        uri = redirect_uri_for(self.key)
        text = f"{error} {description}".lower()
        if "redirect" in text:
            slash = "ends with a slash" if uri.endswith("/") else "has no trailing slash"
            return (
                f'SmartRecruiters says "{constants.REDIRECT_URI_ERROR}": the Redirect URI registered on your '
                f"SmartRecruiters app must be exactly {uri} (it {slash}). Check for typos, http vs https and "
                "trailing slashes under Settings → Integrations → Connected Applications, regenerate the "
                "integration if needed, then re-authorize."
            )
        if error == "access_denied":
            return (
                "The SmartRecruiters admin declined the authorization. Re-authorize and approve all required "
                f"scopes: {', '.join(constants.SCOPES)}."
            )
        if error in ("invalid_client", "unauthorized_client"):
            return (
                "SmartRecruiters does not recognise this Client ID / Client Secret. Sandbox and production "
                "apps have different credentials: enter the ones of this environment's app."
            )
        if error == "invalid_scope":
            return f"SmartRecruiters refused the requested scopes ({description}). Enable {', '.join(constants.SCOPES)} on the app."
        return description or error

    # -- webhooks in --
    def verify_webhook(self, integration, request: InboundRequest, secrets: list[str]) -> Verification:
        return webhooks.verify(integration, request, secrets)

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        return webhooks.parse(request)

    def webhook_response(self, request: InboundRequest, parsed: ParsedWebhook | None):
        if parsed is not None and parsed.event_type == constants.EVENT_HANDSHAKE:
            # SR waits for 200 with the same X-Hook-Secret header (SRD /reference/subscriptionsactivate-1).
            secret = request.header(constants.HOOK_SECRET_HEADER)
            return 200, {"status": "activated"}, {constants.HOOK_SECRET_HEADER: secret}
        return None

    # -- write-back --
    def on_run_event(self, integration, run, event: str) -> list[str]:
        if event == "completed":
            return [KIND_RESULT]
        if event in ("cancelled", "expired"):
            return [KIND_STATUS]
        return []

    def deliver(self, integration, message) -> DeliveryResult:
        run = message.run
        order_id = run.external_assessment_id
        if not order_id:
            raise ATSValidationError(
                f"Run {run.pk} has no SmartRecruiters order id: there is nothing to write to."
            )
        client = self.client(integration)
        if message.kind == KIND_STATUS:
            client.order_results_update(order_id=order_id, body=mappers.status_body(message.event))
            return DeliveryResult(external_ref=order_id, confirmed=True)
        result = run_result(run=run)
        client.order_results_update(order_id=order_id, body=mappers.result_body(result))
        filled = mappers.scorecard_values(result, selectors.scorecard_map(integration))
        for property_id, value in filled:  # custom scorecard fields, where mapped
            client.property_set(
                candidate_id=run.external_candidate_id,
                job_id=run.external_job_id,
                property_id=property_id,
                value=value,
            )
        return DeliveryResult(
            external_ref=order_id,
            confirmed=True,
            note=f"result {mappers.score_label(result)}, {len(filled)} scorecard field(s)",
        )

    # -- URLs --
    def urls(self) -> list:
        from . import apis

        return [
            path("oauth/token", apis.SmartRecruitersTokenApi.as_view(), name="oauth-token"),
            path("packages", apis.SmartRecruitersPackageListApi.as_view(), name="packages"),
            path("packages/orders", apis.SmartRecruitersOrderCreateApi.as_view(), name="orders"),
            path("packages/<str:package_id>", apis.SmartRecruitersPackageDetailApi.as_view(), name="package"),
            path(
                "integrations/companies/<str:company_id>",
                apis.SmartRecruitersIntegrationDeleteApi.as_view(),
                name="integration-delete",
            ),
        ]

    def simulator_urls(self) -> list:
        sync_simulator = simulator_module(__package__, "sync_simulator")
        simulator_urls = simulator_module(__package__, "simulator").simulator_urls

        return [*sync_simulator.urlpatterns(), *simulator_urls()]

    # -- data sync (integrations/sync): paging and mapping in sync.py --
    sync_resources = ("jobs", "candidates")

    def sync_page(self, integration, resource: str, cursor: str, sync_token: str):
        from .sync import sync_page

        return sync_page(self.client(integration), resource, cursor, sync_token)

    def sync_fetch(self, integration, resource: str, external_id: str):
        from .sync import sync_fetch

        return sync_fetch(self.client(integration), resource, external_id)

    def integration_urls(self) -> list:
        from . import views

        return list(views.urlpatterns)

    def detail_context(self, integration) -> dict[str, Any]:
        from .views import detail_context

        return detail_context(self, integration)

    # -- the customer console (console.py, guide.py) --
    def setup_steps(self, integration) -> list[SetupStep]:
        return guide.setup_steps(scopes=self.required_scopes(integration))

    def credential_fields(self, integration) -> tuple[CredentialField, ...]:
        # OAuth only: what the admin copies out of the SR app (Step 1).
        return (
            CredentialField(name="client_id", label="SmartRecruiters Client ID", secret=False),
            CredentialField(name="client_secret", label="SmartRecruiters Client Secret"),
        )

    def required_scopes(self, integration) -> tuple[str, ...]:
        return tuple(selectors.provider_settings(integration).get("oauth_scopes") or constants.SCOPES)

    def registered_webhooks(self, integration) -> list[RegisteredWebhook]:
        return console.registered_webhooks(integration)

    def checklist_checks(self, integration) -> list[ChecklistCheck]:
        return [console.partner_check(integration)]

    def health_warnings(self, integration) -> list[HealthWarning]:
        return console.health_warnings(integration)

    def send_test_webhook(self, integration) -> str:
        return console.send_test_webhook(integration)

    def send_test_assessment(self, integration) -> str:
        return console.send_test_assessment(integration)

    def simulator_credentials(self, integration) -> dict[str, str]:
        """Register the SR app for this integration in the sandbox (no HTTP) and hand back what
        an admin copies out of SmartRecruiters: the Client ID and Client Secret."""
        setup.demo_setup(self, integration)
        integration.refresh_from_db()
        return {k: str(integration.credential(k)) for k in ("client_id", "client_secret")}

    def demo_setup(self, integration) -> dict[str, Any]:
        return setup.demo_setup(self, integration)
