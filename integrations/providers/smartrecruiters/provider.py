"""SmartRecruiters: OAuth 2.0 connect (the customer's app) plus the Assessment API (2021)
partner integration, webhook subscriptions, assessment orders in, results out.

Built to SR's published reference (README.md in this folder: per call, the source and what is
still unverifiable); seed 001's spellings stay accepted aliases:
- scopes: SR's underscore scopes; the seed's colon scopes are accepted as aliases in
  provider_settings["oauth_scopes"] and requested under their real names;
- webhooks: the Webhooks API (subscription, X-Hook-Secret handshake, generated secret key,
  `smartrecruiters-signature` v1), always the default; provider_settings["webhook_api"] = "seed"
  tries the seed's `POST /v1/webhooks/subscriptions` (an unverified alias: no SR source publishes
  it). Both signatures verify;
- credentials (SRD /docs/integration-workflow: two levels): the partner (master) client
  credentials for the partner configuration and setUpIntegration; the company client credentials
  SR returns at consent for results and the Customer API reads (results wait until SR issued
  them: never sent with the OAuth token). The customer's own OAuth app is optional: only the
  Webhooks API subscriptions need it (and the Customer API calls the company token lacks the
  scope for). A company that consents in SR's Apps & Integrations is connected without it;
- rate limit: 10 requests/second and 8 concurrent requests per credential (1 for GET /candidates);
- hosts: one published API host; the region is the company's data residency, never a host.
"""

from __future__ import annotations

import os
from typing import Any

from django.urls import path

from assessments.scales import instrument_scales
from assessments.services.runs import run_report_pdf, run_result
from integrations.base import (
    ATSAuthError,
    ATSError,
    ATSPermissionError,
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
    TokenRefreshRefused,
    Verification,
)
from integrations.models import ActivityLevel, Environment, IntegrationStatus, WritebackMessage
from integrations.plugins import plugin_for  # the sandbox is a dev/test plug-in (README "Layout")
from integrations.services.activity import activity_log
from integrations.services.oauth import redirect_uri_for

from . import console, constants, guide, mappers, selectors, services, setup, webhooks
from .client import (
    CompanyCredentialsRefused,
    CompanyNotRegistered,
    ConsentMissing,
    SmartRecruitersClient,
    SmartRecruitersCompanyClient,
    SmartRecruitersPartnerClient,
)

KIND_RESULT = "assessment.result"
KIND_STATUS = "assessment.status"
# The candidate started: PATCH {"status": "IN_PROGRESS"} (SRO PackageResult.status) to the order's
# results endpoint, its own row so a late one is recognised and never overwrites a result.
KIND_STARTED = "assessment.started"
# The report PDF, uploaded to the order after the result (its own outbox row: a failed upload is
# retried on its own and never holds back or loses the result).
KIND_ATTACHMENT = "assessment.attachment"


class SmartRecruitersProvider(ATSProvider):
    key = constants.KEY
    name = "SmartRecruiters"
    # "oauth2" is the generic wizard's kind for this integration (its optional sign-in form); a company
    # connects by consent (connect_note, guide.py).
    auth_kinds = ("oauth2",)
    # Kept as the company's data-residency label (integration_create requires one of these); never a
    # host or a route: SR publishes one API host (api_base_url).
    regions = ("us", "eu")
    connect_note = (
        "Connects through SmartRecruiters' Apps & Integrations: JobCannon → Connect, then paste the "
        "company's client credentials (Settings → Apps & Integrations → Credentials) on JobCannon's consent "
        "page. The OAuth 2.0 sign-in is optional, only for live webhooks. The data region is only a label: "
        "SmartRecruiters has one API host for every region."
    )
    client_class = SmartRecruitersClient
    event_handlers = webhooks.EVENT_HANDLERS
    ignored_events = webhooks.IGNORED_EVENTS
    # SRD /docs/rate-limiting: 10 requests/second, 8 concurrent requests, per credential.
    rate_limit = RateLimit(
        per_second=constants.RATE_LIMIT_PER_SECOND,
        burst=constants.RATE_LIMIT_BURST,
        concurrent=constants.CONCURRENT_REQUESTS,
    )
    webhook_ack_status = 202  # SRD /docs/webhooks-security: acknowledge with 202
    docs_url = "https://developers.smartrecruiters.com/reference"
    detail_template = "integrations/providers/smartrecruiters/_detail.html"
    # The console: seed 001's Common Errors, SR's rotating 28-day refresh token, subscriptions made by API.
    common_errors = guide.COMMON_ERRORS
    refresh_token_warn_after_days = constants.REFRESH_TOKEN_WARN_DAYS
    # SR refresh tokens last 28 days and rotate at every refresh: warn only when none succeeded
    # for a few days (idle or failing), never merely because a 28-day token is within 30 days.
    credential_warn_before_days = constants.REFRESH_TOKEN_WARN_BEFORE_DAYS
    webhook_registration = "api"
    takes_our_webhook_secret = False  # SR signs with the secret key it generates (README "Signature")
    webhook_signing_note = (
        "SmartRecruiters signs with the secret key it generates for JobCannon's subscription (after the "
        "optional OAuth sign-in), which JobCannon stores: there is no JobCannon secret to copy."
    )

    def client(self, integration) -> SmartRecruitersClient:
        return SmartRecruitersClient(integration, self)

    # -- configuration --
    def uses_simulator(self, integration) -> bool:
        return integration.environment == Environment.SANDBOX and super().uses_simulator(integration)

    def concurrency_limits(self, integration, method: str, path: str) -> list[tuple[str, int]]:
        limits = super().concurrency_limits(integration, method, path)
        if method == "GET" and path.rstrip("/").endswith("/candidates"):
            # SRD /docs/rate-limiting: GET /candidates allows 1 concurrent request.
            limits.append(("candidates.list", constants.CONCURRENT_CANDIDATE_LISTS))
        return limits

    def api_base_url(self, integration) -> str:
        override = selectors.provider_settings(integration).get("api_base_url")
        if override:
            return str(override).rstrip("/")
        if self.uses_simulator(integration):
            # One API for every company, as SR publishes one API host: the region is a label.
            return f"{self.simulator_base_url()}/api"
        return constants.API_BASE

    def client_credentials_token_url(self, integration) -> str:
        """Where partner, company and the customer's self-serve client credentials get a token:
        SR's documented POST https://api.smartrecruiters.com/identity/oauth/token (SRD
        /docs/authentication-oauth-client-credential), or the built-in sandbox's. Never derived
        from provider_settings["api_base_url"]: one integration's setting must not decide where
        the master (partner) secret, shared by every integration, is sent."""
        if self.uses_simulator(integration):
            return self.simulator_base_url() + constants.TOKEN_PATH
        return constants.CLIENT_CREDENTIALS_TOKEN_URL

    def company_client(self, integration) -> SmartRecruitersCompanyClient:
        return SmartRecruitersCompanyClient(integration, self)

    def reads_client(
        self, integration, scope: str = constants.SCOPE_JOBS_READ
    ) -> SmartRecruitersCompanyClient | SmartRecruitersClient:
        """The credential a Customer API call goes with (SRD /docs/integration-workflow: the
        company credentials are for "your service to retrieve job and candidate information"):
        the company credentials once SR issued them, when their token carries `scope`
        (constants.COMPANY_TOKEN_SCOPES) or no OAuth token is held; else the customer's OAuth
        token (optional, e.g. configuration_read for the company's name and candidate fields)."""
        if selectors.has_company_credentials(integration) and (
            scope in constants.COMPANY_TOKEN_SCOPES or not selectors.has_oauth_token(integration)
        ):
            return self.company_client(integration)
        return self.client(integration)

    def partner_client(self, integration) -> SmartRecruitersPartnerClient:
        client = SmartRecruitersPartnerClient(
            integration, self, master=setup.master_credentials(self, integration)
        )
        # The master token goes to SR's published API host (or the sandbox) only, whatever an
        # integration's api_base_url override says (SRO servers: api.smartrecruiters.com).
        client.base_url = (
            f"{self.simulator_base_url()}/api" if self.uses_simulator(integration) else constants.API_BASE
        )
        return client

    def oauth_config(self, integration) -> OAuth2Config:
        if self.uses_simulator(integration):
            host = self.simulator_base_url()
            if host.startswith("http://"):
                # The simulator is served by this server over plain http in dev and tests; oauthlib
                # refuses http unless told (never reached in production: simulators are off there).
                os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
            token_url = host.rstrip("/") + constants.TOKEN_PATH
        else:
            override = selectors.provider_settings(integration).get("oauth_base_url")
            host = str(override or constants.OAUTH_HOST)
            # SRO's authorizationCode flow: allow on www, code exchange and refresh on the API host.
            token_url = (
                host.rstrip("/") + constants.TOKEN_PATH
                if override
                else constants.AUTHORIZATION_CODE_TOKEN_URL
            )
        # passport-smartrecruiters sends no PKCE; SR documents none.
        return OAuth2Config(
            authorize_url=host.rstrip("/") + constants.AUTHORIZE_PATH,
            token_url=token_url,
            scopes=selectors.requested_scopes(integration),
            use_pkce=False,
            access_token_lifetime_default=constants.ACCESS_TOKEN_SECONDS,
            refresh_token_lifetime_days=constants.REFRESH_TOKEN_DAYS,
        )

    # -- connect --
    def validate_credentials(self, integration) -> CredentialCheck:
        if not selectors.has_company_credentials(integration):
            return self._validate_oauth(integration)  # an OAuth-only integration: its one credential
        # SR issued company credentials at consent: they carry orders, results and the sync (SRD
        # /docs/integration-workflow), so a cheap read with them is the check. The company is the
        # one SR registered us for.
        company_id = selectors.bound_company_id(integration)
        self.company_client(integration).jobs(limit=1)
        connected = (
            f"Connected to SmartRecruiters company {company_id} with the company credentials "
            "SmartRecruiters issued at consent"
        )
        details = {"company_id": company_id}
        if not selectors.has_oauth_token(integration):
            return CredentialCheck(
                ok=True,
                message=f"{connected} (no OAuth sign-in: only webhook subscriptions need it).",
                details=details,
            )
        # The optional OAuth sign-in (webhook subscriptions): SR refusing its token or its refresh
        # (revoked app, 28-day refresh token run out) is a warning, never a re-authorization that
        # would hold results the company credentials send (services.oauth_sign_in_lapsed).
        try:
            oauth = self._validate_oauth(integration)
        except ATSAuthError as exc:
            reason = _lapse_reason(exc)
            services.oauth_sign_in_lapsed(integration=integration, reason=reason)
            return CredentialCheck(
                ok=True,
                message=f"{connected}. Warning: " + constants.OAUTH_LAPSED.format(reason=reason),
                details=details,
            )
        except ATSPermissionError as exc:  # the sign-in lacks a scope: webhooks may still work
            return CredentialCheck(
                ok=True,
                message=f"{connected}. Warning: the optional OAuth sign-in cannot read the company "
                f"({exc.message}); re-authorize with SmartRecruiters and approve every scope.",
                details=details,
            )
        return CredentialCheck(ok=True, message=f"{connected}; {oauth.message}", details=details)

    def _validate_oauth(self, integration) -> CredentialCheck:
        """GET /configuration/company with the customer's OAuth token (SRO CompanyConfiguration)."""
        company = self.client(integration).company()
        services.settings_update(
            integration=integration,
            changes={"company_id": company.id, "company_name": company.name, "oauth_lapsed": ""},
        )
        message = f"Connected to {company.name} (company {company.id})."
        warning = selectors.scope_warning(integration)
        if warning:
            message += " Warning: " + warning
        return CredentialCheck(ok=True, message=message, details={"company_id": company.id})

    def oauth_refresh_refused(self, integration, error: ATSAuthError) -> bool:
        # Company credentials carry orders, results and the sync: a refused refresh of the optional
        # sign-in (the scheduled refresh, a check) is the lapse warning, never a re-authorization
        # that would hold results (services.oauth_sign_in_lapsed).
        if not selectors.has_company_credentials(integration):
            return False
        services.oauth_sign_in_lapsed(integration=integration, reason=_lapse_reason(error))
        return True

    def connected_reason(self, integration) -> str:
        # Kept as status_reason while connected: the optional sign-in SR stopped taking.
        return selectors.connected_reason(integration)

    def on_connected(self, integration) -> None:
        registered = setup.partner_register(self, integration)
        if not registered and selectors.removal_unanswered(integration):
            # An OAuth reconnect ("Reconnect" on the disconnected banner) of an integration SR
            # removed: the sign-in is not the company's consent, and nothing can be ordered or
            # written back without it, so it is not connected (README "Removal").
            raise ConsentMissing(
                constants.REMOVED_RECONNECT_NEEDS_CONSENT.format(
                    company_id=selectors.bound_company_id(integration),
                    reason=selectors.provider_settings(integration).get("partner_error") or "?",
                )
            )
        if not selectors.has_oauth_token(integration):
            # Connected by consent alone: orders, results and the sync work; the Webhooks API
            # takes only an OAuth token (webhooks_manage), so no subscription until one is added.
            # Said when it connects, not again at every later check (nor after a lapse, whose
            # warning says it: services.oauth_sign_in_lapsed).
            if integration.status != IntegrationStatus.CONNECTED:
                activity_log(
                    integration=integration,
                    kind="smartrecruiters.webhooks_need_oauth",
                    message=constants.WEBHOOKS_NEED_OAUTH,
                )
            return
        setup.webhooks_subscribe(integration, self.client(integration))
        warning = selectors.scope_warning(integration)
        if warning:
            # Flagged now, before the first call that needs the scope fails with 403.
            activity_log(
                integration=integration,
                kind="smartrecruiters.scope_missing",
                level=ActivityLevel.WARNING,
                message=warning,
                data={"missing": selectors.missing_scopes(integration)},
            )

    def retry_step(self, step: str, integration) -> None:
        """The subscription retry a temporary failure scheduled (setup._subscription_error)."""
        if step == setup.SUBSCRIPTION_RETRY_STEP:
            setup.subscription_retry(integration=integration, provider=self)
        else:
            super().retry_step(step, integration)

    def on_disconnect(self, integration) -> None:
        """Delete our webhook subscriptions at SR (setup.webhooks_unsubscribe), best effort: a
        failure is explained in the activity log and never stops the disconnect."""
        if integration.status == IntegrationStatus.DISCONNECTED or not selectors.subscription_state(
            integration
        ):
            return
        try:
            setup.webhooks_unsubscribe(integration, self.client(integration))
        except ATSError as exc:  # e.g. no usable token: nothing can be deleted with it
            activity_log(
                integration=integration,
                kind="smartrecruiters.unsubscribe_failed",
                level=ActivityLevel.WARNING,
                message=f"JobCannon could not delete its SmartRecruiters webhook subscriptions ({exc.message}). "
                "They may keep sending events, which JobCannon refuses while disconnected; delete them in "
                "SmartRecruiters, or connect again (that replaces them).",
            )

    def disconnected_fix_steps(self, integration) -> tuple[str, ...]:
        """After SR's company removal the way back is the company's consent in SR's Apps &
        Integrations (a re-consent reconnects: apis_consent._register); "Reconnect" here is the
        optional OAuth sign-in, which SR's setUpIntegration does not take as consent."""
        if selectors.removed_in_smartrecruiters(integration):
            return constants.REMOVED_FIX_STEPS
        return super().disconnected_fix_steps(integration)

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
                f"scopes: {', '.join(selectors.requested_scopes(integration))}."
            )
        if error in ("invalid_client", "unauthorized_client"):
            return (
                "SmartRecruiters does not recognise this Client ID / Client Secret. Sandbox and production "
                "apps have different credentials: enter the ones of this environment's app."
            )
        if error == "invalid_scope":
            return (
                f"SmartRecruiters refused the requested scopes ({description}). Enable "
                f"{', '.join(selectors.requested_scopes(integration))} on the app."
            )
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
        if event == "started":
            # SRO PackageResult.status lists IN_PROGRESS: SR learns the candidate started from us.
            return [KIND_STARTED]
        if event == "completed":
            # SRO addAttachmentToOrder: "Adding attachment to inline assessment orders is not
            # supported": an in-line order gets the result (with the report link) only.
            inline = bool((run.ats_context or {}).get("inline"))
            return [KIND_RESULT] if inline else [KIND_RESULT, KIND_ATTACHMENT]
        if event in ("cancelled", "expired"):
            return [KIND_STATUS]
        return []

    def results_client(self, integration) -> SmartRecruitersCompanyClient:
        """Results go with the company credentials SR issued at setUpIntegration (SRD
        /docs/integration-workflow), never with the customer's OAuth token (SR refuses it, and
        its 403 would ask for a re-authorization that cannot help). Without them nothing is
        sent: CompanyNotRegistered keeps the write in the outbox, explained, until consent lands."""
        if not selectors.has_company_credentials(integration):
            raise CompanyNotRegistered(constants.COMPANY_NOT_REGISTERED)
        return self.company_client(integration)

    def deliver(self, integration, message) -> DeliveryResult:
        try:
            return self._deliver(integration, message)
        except CompanyCredentialsRefused as exc:
            # SR no longer takes the company credentials: forget them and explain; the outbox
            # holds the write (retryable) until consent issues new ones (services.results_resume).
            services.company_credentials_refused(integration=integration, reason=exc.message)
            raise

    def _deliver(self, integration, message) -> DeliveryResult:
        run = message.run
        order_id = run.external_assessment_id
        if not order_id:
            raise ATSValidationError(
                f"Run {run.pk} has no SmartRecruiters order id: there is nothing to write to."
            )
        client = self.results_client(integration)
        # The order's resultCallbackURL (checked to be on SR's API host when the order came in);
        # runs from before it was kept use SRO's path.
        url = str((run.ats_context or {}).get("assessment_result_url") or "") or (
            f"{constants.ASSESSMENT_API}/orders/{order_id}/results"
        )
        if message.kind == KIND_STARTED:
            if WritebackMessage.objects.filter(run=run, kind__in=(KIND_RESULT, KIND_STATUS)).exists():
                # The run already ended: its result or ending status is (or will be) the order's.
                return DeliveryResult(
                    external_ref=order_id, confirmed=True, note="superseded by the run's end"
                )
            client.order_results_update(url=url, body={"status": constants.RESULT_STATUS_STARTED})
            return DeliveryResult(external_ref=order_id, confirmed=True)
        if message.kind == KIND_STATUS:
            reason = run.cancelled_reason if message.event == "cancelled" else ""
            client.order_results_update(url=url, body=mappers.status_body(message.event, reason=reason))
            return DeliveryResult(external_ref=order_id, confirmed=True)
        if message.kind == KIND_ATTACHMENT:
            pdf = run_report_pdf(run=run)
            attached = client.order_attachment_add(
                results_url=url,
                name=f"jobcannon-{run.instrument}-report-{run.pk}.pdf",
                content=pdf,
                content_type="application/pdf",
            )
            return DeliveryResult(
                external_ref=attached or order_id,
                confirmed=True,
                note=f"report PDF attached ({len(pdf)} bytes)",
            )
        result = run_result(run=run)
        # Each dimension on the range of the instrument version the run was scored with.
        scales = instrument_scales(run.instrument, run.instrument_version)
        client.order_results_update(
            url=url,
            body=mappers.result_body(result, sent_at=run.invited_at or run.created_at, scales=scales),
        )
        filled = mappers.scorecard_values(result, selectors.scorecard_map(integration), scales)
        if not (run.external_candidate_id and run.external_job_id):
            filled = []  # an in-line order names no SR candidate: there is no profile to fill
        skipped = ""
        if filled and not selectors.can_write_properties(integration):
            # candidates_manage is not on the company token (constants.COMPANY_TOKEN_SCOPES [I]):
            # the scorecard fields need the optional OAuth sign-in; the result itself went out.
            skipped, filled = f", {len(filled)} scorecard field(s) skipped (need the OAuth sign-in)", []
        written, skipped = self._scorecard_write(integration, run, filled, skipped)
        return DeliveryResult(
            external_ref=order_id,
            confirmed=True,
            note=f"result {mappers.score_label(result)}, {written} scorecard field(s){skipped}",
        )

    def _scorecard_write(self, integration, run, filled: list, skipped: str) -> tuple[int, str]:
        """Fill the mapped custom scorecard fields (Customer API candidate properties), after the
        result itself went out. They go with the optional OAuth sign-in (candidates_manage): when
        SR no longer takes it (revoked app, dead 28-day refresh token), the result still went out
        with the company credentials, so the write is confirmed with the fields skipped, never a
        re-authorization that would hold it and send it again. A 403 (the sign-in works but lacks
        candidates_manage) stays seed 001's "Assessment delivery failed (403 Forbidden)": the
        re-authorization naming the scope, after which the write is sent again, fields included
        (test_reauth_retry.py)."""
        writer = self.reads_client(integration, constants.SCOPE_CANDIDATES_MANAGE)
        written = 0
        for property_id, value in filled:
            try:
                writer.property_set(
                    candidate_id=run.external_candidate_id,
                    job_id=run.external_job_id,
                    property_id=property_id,
                    value=value,
                )
            except ATSAuthError as exc:
                if not selectors.has_company_credentials(integration):
                    raise  # OAuth-only: the sign-in carries everything, re-authorization it is
                # Idempotent: a refused refresh got here first through oauth_refresh_refused.
                services.oauth_sign_in_lapsed(integration=integration, reason=_lapse_reason(exc))
                return (
                    written,
                    f"{skipped}, {len(filled) - written} scorecard field(s) skipped (the OAuth sign-in lapsed)",
                )
            written += 1
        return written, skipped

    # -- URLs --
    def urls(self) -> list:
        from . import apis, apis_consent, apis_inline, apis_token

        return [
            path("oauth/token", apis_token.SmartRecruitersTokenApi.as_view(), name="oauth-token"),
            path("packages", apis.SmartRecruitersPackageListApi.as_view(provider=self), name="packages"),
            path(
                "integration", apis_consent.SmartRecruitersConsentView.as_view(provider=self), name="consent"
            ),
            path("packages/orders", apis.SmartRecruitersOrderCreateApi.as_view(provider=self), name="orders"),
            path(
                "packages/inline/orders",
                apis_inline.SmartRecruitersInlineOrderCreateApi.as_view(provider=self),
                name="inline-orders",
            ),
            path(
                "packages/<str:package_id>",
                apis.SmartRecruitersPackageDetailApi.as_view(provider=self),
                name="package",
            ),
            path(
                "integrations/companies/<str:company_id>",
                apis.SmartRecruitersIntegrationDeleteApi.as_view(provider=self),
                name="integration-delete",
            ),
        ]

    # -- data sync (integrations/sync): paging and mapping in sync.py --
    sync_resources = ("jobs", "candidates")

    def sync_page(self, integration, resource: str, cursor: str, sync_token: str):
        from .sync import sync_page

        scope = constants.SCOPE_JOBS_READ if resource == "jobs" else constants.SCOPE_CANDIDATES_READ
        return sync_page(self.reads_client(integration, scope), resource, cursor, sync_token)

    def sync_fetch(self, integration, resource: str, external_id: str):
        from .sync import sync_fetch

        return sync_fetch(
            self.reads_client(integration, constants.SCOPE_CANDIDATES_READ), resource, external_id
        )

    def integration_urls(self) -> list:
        from . import views

        return views.integration_urlpatterns(self)

    def detail_context(self, integration) -> dict[str, Any]:
        from .views import detail_context

        return detail_context(self, integration)

    # -- the customer console (console.py, guide.py) --
    def setup_steps(self, integration) -> list[SetupStep]:
        return guide.setup_steps(scopes=self.required_scopes(integration))

    def credential_fields(self, integration) -> tuple[CredentialField, ...]:
        # First the company's self-serve client credentials (SR Credential Manager → OAuth client
        # ID, SRD /docs/authentication-oauth-client-credential): any SR administrator creates
        # them, and they are the consent page's proof of the company (apis_consent.py). Then the
        # optional OAuth app (existing integrations, webhook subscriptions): SR registers those
        # for partners, not customers. Neither `required` in the form: an integration SR
        # registered earlier keeps working and re-consents without them.
        oauth_help = constants.OAUTH_SIGN_IN_HELP
        return (
            CredentialField(
                name=constants.CUSTOMER_CLIENT_ID,
                label="SmartRecruiters Client ID (client credentials: needed to connect a company)",
                secret=False,
                required=False,
                help=constants.CUSTOMER_CREDENTIALS_HELP,
            ),
            CredentialField(
                name=constants.CUSTOMER_CLIENT_SECRET,
                label="SmartRecruiters Client secret (client credentials)",
                required=False,
                help=constants.CUSTOMER_CREDENTIALS_HELP,
            ),
            CredentialField(
                name="client_id",
                label="OAuth app Client ID (optional: live webhooks)",
                secret=False,
                required=False,
                help=oauth_help,
            ),
            CredentialField(
                name="client_secret",
                label="OAuth app Client Secret (optional: live webhooks)",
                required=False,
                help=oauth_help,
            ),
        )

    def required_scopes(self, integration) -> tuple[str, ...]:
        return selectors.requested_scopes(integration)

    def registered_webhooks(self, integration) -> list[RegisteredWebhook]:
        return console.registered_webhooks(integration)

    def checklist_checks(self, integration) -> list[ChecklistCheck]:
        checks = [console.partner_check(self, integration)]
        if selectors.consent_only(integration):
            checks += _consent_only_checks(integration)
        return checks

    def signs_with_our_secret(self, integration) -> bool:
        # The seed's webhook setup (X-SmartRecruiters-Signature) signs with our secret; SR's own
        # Webhooks API with the key it generates.
        return selectors.webhook_api(integration) == constants.WEBHOOK_API_SEED

    def optional_checklist_items(self, integration) -> frozenset[str]:
        # Connected by consent alone, SR sends no webhooks (its Webhooks API needs the optional
        # OAuth sign-in): orders arrive through the Assessment API, changes through the sync.
        return (
            frozenset({"webhooks", "webhook_received"})
            if selectors.consent_only(integration)
            else frozenset()
        )

    def health_warnings(self, integration) -> list[HealthWarning]:
        return console.health_warnings(integration)

    def settings_problems(self, provider_settings: Any) -> list[str]:
        # oauth_scopes / webhook_events names SR does not publish (vendor/), as services.settings_update
        # refuses them for customers; the admin's JSON field is checked the same way.
        return selectors.settings_problems(provider_settings)

    # The "test now" actions and the demo wiring are the sandbox's (simulator_console.py, part of
    # its plug-in).
    def send_test_webhook(self, integration) -> str:
        return plugin_for(self.key).send_test_webhook(self, integration)

    def send_test_assessment(self, integration) -> str:
        return plugin_for(self.key).send_test_assessment(self, integration)

    def simulator_credentials(self, integration) -> dict[str, str]:
        """What a sandbox company's administrator copies out of SmartRecruiters, as SR publishes
        it: self-serve client credentials from the Credential Manager (New Credential → OAuth
        client ID, SRD /docs/authentication-oauth-client-credential), not an authorization-code
        app (SR registers those for partners). The sandbox creates them (demo_setup, no HTTP);
        the consent page takes them as the proof of the company. The sandbox's OAuth app
        (client_id / client_secret, demo_setup) stands in for the partner-registered app of the
        optional sign-in, so the setup page's Authorize button still has one [I: a sandbox
        convenience, no company creates it]."""
        extra = self.demo_setup(integration)
        integration.refresh_from_db()
        return {
            constants.CUSTOMER_CLIENT_ID: str(extra[constants.CUSTOMER_CLIENT_ID]),
            constants.CUSTOMER_CLIENT_SECRET: str(extra[constants.CUSTOMER_CLIENT_SECRET]),
            **{k: str(integration.credential(k)) for k in ("client_id", "client_secret")},
        }

    def demo_setup(self, integration) -> dict[str, Any]:
        return plugin_for(self.key).demo_setup(self, integration)


def _lapse_reason(exc: ATSAuthError) -> str:
    """Why SR stopped taking the optional sign-in, without the generic "Re-authorize the
    integration" (it is optional here: OAUTH_LAPSED says what it is still needed for)."""
    if isinstance(exc, TokenRefreshRefused):
        # services/oauth.py token_refresh: invalid_grant and friends, or no refresh token held.
        return (
            f"SmartRecruiters refused to refresh its token ({exc.vendor_code or 'refused'}): the app was "
            "revoked, or its 28-day refresh token ran out"
        )
    return f"SmartRecruiters refused its token: {exc.message}"


def _consent_only_checks(integration) -> list[ChecklistCheck]:
    """Connected by SR's consent alone (the default partner path): no OAuth token holds the
    scopes, the company credentials SR issued do (constants.COMPANY_TOKEN_SCOPES), and webhook
    subscriptions wait on the optional OAuth sign-in. These replace the checklist's generic
    scopes and webhooks items, which would say "authorize first" and "Failing"."""
    company = ", ".join(constants.COMPANY_TOKEN_SCOPES)
    oauth_only = [
        s for s in selectors.requested_scopes(integration) if s not in constants.COMPANY_TOKEN_SCOPES
    ]
    # The sign-in SR stopped taking (services.oauth_sign_in_lapsed): said where it matters, not failed.
    lapsed = selectors.oauth_lapsed_reason(integration)
    lapsed_note = (
        f" The optional OAuth sign-in no longer works ({lapsed}): sign in again for them." if lapsed else ""
    )
    checks = [
        ChecklistCheck(
            key="scopes",
            title="Required scopes granted",
            ok=True,
            detail=f"The company credentials SmartRecruiters issued at consent carry {company}: enough for "
            "orders, results and the data sync."
            + (
                f" {', '.join(oauth_only)} come only with the optional OAuth sign-in.{lapsed_note}"
                if oauth_only
                else ""
            ),
        )
    ]
    if selectors.subscription_state(integration).get("status") != "active":
        checks.append(
            ChecklistCheck(
                key="webhooks",
                title="Webhooks registered",
                ok=None,
                detail=(f"The optional OAuth sign-in no longer works ({lapsed}). " if lapsed else "")
                + "Not subscribed: SmartRecruiters' Webhooks API needs the optional OAuth sign-in "
                f"(scope {constants.SCOPE_WEBHOOKS_MANAGE}, with your own SmartRecruiters app). Orders, "
                "results and the data sync work without it; JobCannon reads candidate changes with the "
                "periodic sync meanwhile.",
            )
        )
    return checks
