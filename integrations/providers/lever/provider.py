"""Lever: API key (seed 004 Bearer, or real Lever Basic) or OAuth, stage-triggered assessments,
results as feedback forms. Where seed 004 and the real API differ we do both; the list is in
README.md next to this file.

- Connect: the key is checked with two cheap reads (opportunities, feedback templates), trying
  Basic then Bearer and remembering what worked; its creation date is kept and a warning shown
  30 days before its first birthday. OAuth goes to auth.lever.co with `audience` (sandbox:
  sandbox-lever.auth0.com), `offline_access` for rotating refresh tokens.
- on_connected: registers `application.created` + `opportunity.created` (seed body with
  `triggers`; on a 400 the real one-event body with `applicationCreated`) and
  `candidateStageChange`, stores returned signature tokens as webhook secrets, creates the
  JobCannon feedback template.
- Sandbox (api.sandbox.lever.co / the built-in simulator) and production (US or EU) never share
  a URL, a credential, a secret or a rate-limit bucket."""

from __future__ import annotations

import os
from typing import Any, Literal

from django.urls import path
from django.utils import timezone

from integrations.base import (
    ATSAuthError,
    ATSProvider,
    ChecklistCheck,
    CredentialCheck,
    DeliveryResult,
    InboundRequest,
    OAuth2Config,
    ParsedWebhook,
    RateLimit,
    RegisteredWebhook,
    Verification,
)
from integrations.models import SIGNED_DELIVERY, WebhookEvent
from integrations.plugins import plugin_for  # the sandbox is a dev/test plug-in (README "Layout")

from . import constants, guide, setup, webhooks
from .client import LeverClient, scopes_granted


class LeverProvider(ATSProvider):
    key = "lever"
    name = "Lever"
    auth_kinds = ("api_key", "oauth2")
    regions = ("us", "eu")
    # LD "Rate Limits" (https://hire.lever.co/developer/documentation#rate-limits): a token bucket
    # per API key, "a steady state number of 10 requests/second", "bursts of requests up to 20
    # requests/second". Seed 004's "burst: 100/sec" is not what Lever allows: a burst of 100
    # would be answered 429 from the 21st call.
    rate_limit = RateLimit(per_second=10, burst=20)
    client_class = LeverClient
    event_handlers = webhooks.EVENT_HANDLERS
    ignored_events = webhooks.IGNORED_EVENTS
    docs_url = "https://hire.lever.co/developer/documentation"
    detail_template = "integrations/providers/lever/detail.html"
    # The console: seed 004's Common Errors, keys that last a year, webhooks registered by API.
    common_errors = guide.COMMON_ERRORS
    api_key_lifetime_days = 365
    webhook_registration = "api"
    takes_our_webhook_secret = False  # Lever signs with its own signatureTokens (README "Webhook signature")
    webhook_signing_note = (
        "Lever signs each webhook with a signature token of its own, which JobCannon stores when it "
        "registers the webhook (or you paste it on the Lever settings page when you add webhooks by "
        "hand): there is no JobCannon secret to copy."
    )

    # -- configuration --
    def uses_simulator(self, integration) -> bool:
        # Production never talks to the simulator, whatever provider_settings say.
        return integration.environment == "sandbox" and super().uses_simulator(integration)

    def api_base_url(self, integration) -> str:
        if self.uses_simulator(integration):
            return self.simulator_base_url() + "/v1"
        if integration.environment == "sandbox":
            return constants.API_BASE_SANDBOX
        return constants.API_BASE_EU if integration.region == "eu" else constants.API_BASE_US

    def oauth_config(self, integration) -> OAuth2Config:
        if self.uses_simulator(integration):
            base = self.simulator_base_url()
            if base.startswith("http://"):
                # The simulator is served over plain http in dev and tests and oauthlib refuses http
                # unless told. Simulators are off in production, so this is never reached there.
                os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
            authorize, token, audience = (
                f"{base}/oauth/authorize",
                f"{base}/oauth/token",
                constants.SANDBOX_AUDIENCE,
            )
        elif integration.environment == "sandbox":
            authorize, token, audience = (
                constants.SANDBOX_AUTHORIZE_URL,
                constants.SANDBOX_TOKEN_URL,
                constants.SANDBOX_AUDIENCE,
            )
        else:
            # LO: EU customers are redirected to their data centre by auth.lever.co itself.
            authorize, token, audience = constants.AUTHORIZE_URL, constants.TOKEN_URL, constants.AUDIENCE
        return OAuth2Config(
            authorize_url=authorize,
            token_url=token,
            scopes=constants.OAUTH_SCOPES,
            use_pkce=False,
            extra_authorize_params={"audience": audience},
            access_token_lifetime_default=3600,
            refresh_token_lifetime_days=365,
        )

    def explain_oauth_error(self, error: str, description: str, integration) -> str:
        if error == "access_denied":
            return (
                "Lever authorization was denied. Ask a Lever Super Admin to approve JobCannon and every requested "
                f"scope ({', '.join(constants.OAUTH_SCOPES)})."
            )
        return f"Lever refused the authorization ({error}): {description or 'no details'}."

    def client(self, integration) -> LeverClient:
        return LeverClient(integration, self)

    # -- connect --
    def validate_credentials(self, integration) -> CredentialCheck:
        client = self.client(integration)
        if integration.auth_kind == "api_key":
            client.scheme_override = self._api_key_scheme(integration, client)  # probes opportunities
        else:
            client.opportunities_probe()
        client.feedback_templates()
        setup.lever_api_key_track(integration=integration)
        setup.lever_api_key_expiry_check(integration=integration)
        how = {"basic": "API key (Basic)", "bearer": "API key (Bearer)"}.get(
            (integration.provider_settings or {}).get("api_key_scheme", ""), "OAuth"
        )
        return CredentialCheck(
            ok=True, message=f"Lever accepted the {how}: opportunities and feedback templates readable."
        )

    def _api_key_scheme(self, integration, client: LeverClient) -> str:
        """Real Lever takes the key as a Basic username; seed 004 sends it as a Bearer token.
        Try the remembered scheme first, then the other, and remember the one that worked."""
        remembered = (integration.provider_settings or {}).get("api_key_scheme", "basic")
        order = [remembered, "bearer" if remembered == "basic" else "basic"]
        for n, scheme in enumerate(order):
            client.scheme_override = scheme
            try:
                client.opportunities_probe()
            except ATSAuthError:
                if n == len(order) - 1:
                    raise
                continue
            if scheme != (integration.provider_settings or {}).get("api_key_scheme"):
                setup.lever_settings_update(integration=integration, api_key_scheme=scheme)
            return scheme
        raise AssertionError("unreachable")

    def on_connected(self, integration) -> None:
        client = self.client(integration)
        setup.lever_webhooks_register(integration=integration, client=client)
        setup.lever_feedback_template_ensure(integration=integration, client=client)

    def connected_reason(self, integration) -> str:
        """A plan without the Webhooks Subscription API (POST /webhooks answered 403): the connect
        flash and step 3 say why and that the webhooks are added by hand in Lever, with the
        tokens pasted on the Lever settings page; "" once a token is pasted, or when JobCannon
        registered the webhooks. Pasting tokens refreshes it (setup.lever_signature_tokens_add)."""
        return setup.lever_connected_reason(integration)

    def explained_refusals(self, integration) -> dict[str, str]:
        """The manual path's expected 403s (each credentials check asks Lever again, so a plan
        upgrade switches back to the API) are not a missing permission on the checklist; nor,
        once back on the API, are those from before the switch (which may have reused the
        hand-made webhooks, so no later `webhooks.create` succeeds to clear them)."""
        if setup.webhooks_manual(integration):
            return dict.fromkeys(constants.WEBHOOKS_OPERATIONS, constants.WEBHOOKS_MANUAL_NOT_A_SCOPE)
        switched, operations = setup.webhooks_refused_before_api(integration)
        if switched is None:
            return {}
        when = timezone.localtime(switched).strftime("%Y-%m-%d %H:%M")
        return dict.fromkeys(operations, constants.WEBHOOKS_REFUSED_BEFORE_API.format(when=when))

    # -- webhooks --
    def verify_webhook(self, integration, request: InboundRequest, secrets: list[str]) -> Verification:
        # Lever retries keep the original token and triggeredAt: replays are caught by the dedupe
        # on the signed token, not by a short timestamp window (webhooks.py). A stored
        # provider_settings["timestamp_tolerance_seconds"] from the old settings form is ignored.
        return webhooks.verify(request, secrets)

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        return webhooks.parse(request)

    # -- write-back --
    def webhook_duplicate_response(self, original) -> tuple[int, dict[str, Any]] | Literal["reopen"] | None:
        return webhooks.replay_response(original)

    def on_run_event(self, integration, run, event: str) -> list[str]:
        mode = (integration.provider_settings or {}).get("writeback_mode", "feedback")
        if event == "completed":
            return {"note": ["note"], "feedback+note": ["note", "feedback"]}.get(mode, ["feedback"])
        if event in ("cancelled", "expired"):
            return ["note"]
        return []

    def deliver(self, integration, message) -> DeliveryResult:
        from .writeback import lever_writeback_deliver

        return lever_writeback_deliver(
            integration=integration, client=self.client(integration), message=message
        )

    def confirm(self, integration, message) -> bool | None:
        from .writeback import lever_writeback_confirm

        return lever_writeback_confirm(
            integration=integration, client=self.client(integration), message=message
        )

    # -- the customer console --
    def setup_steps(self, integration) -> list:
        manual = setup.webhooks_manual(integration)
        return guide.setup_steps(
            auth_kind=integration.auth_kind,
            manual=manual,
            granted=scopes_granted(integration) if manual else None,
        )

    def registered_webhooks(self, integration) -> list[RegisteredWebhook] | None:
        # Set up by hand in Lever (no Subscription API): we cannot list them; the checklist then
        # waits for the first verified delivery.
        return None if setup.webhooks_manual(integration) else super().registered_webhooks(integration)

    def checklist_checks(self, integration) -> list[ChecklistCheck]:
        checks = [self._webhook_groups_check(integration)]
        if not setup.webhooks_manual(integration):
            return checks
        count = setup.lever_signature_tokens_count(integration)
        stored = count > 0
        return checks + [
            ChecklistCheck(
                key="lever_signature_token",
                title="Lever signature tokens pasted",
                ok=True if stored else None,
                detail=f"{count} stored (encrypted). Lever gives each webhook its own token: a webhook "
                "whose token is missing is refused (wrong signature) until it is pasted."
                if stored
                else "Lever could not register webhooks for JobCannon: paste each webhook's signature "
                "token from Lever's webhooks settings on the Lever settings page.",
                fix=() if stored else (constants.WEBHOOKS_MANUAL_FIX,),
            )
        ]

    @staticmethod
    def _webhook_groups_check(integration) -> ChecklistCheck:
        """LD "Create a Webhook": a webhook sends nothing until a Super Admin switches its group on
        in Lever; we cannot read that switch, so the first verified delivery is the proof."""
        delivered = WebhookEvent.objects.filter(SIGNED_DELIVERY, integration=integration).exists()
        return ChecklistCheck(
            key="lever_webhook_groups",
            title=constants.WEBHOOK_GROUPS_TITLE,
            ok=True if delivered else None,
            detail="Lever delivers signed webhooks to JobCannon."
            if delivered
            else "Waiting for the first verified delivery. " + constants.WEBHOOK_GROUPS_FIX,
            fix=() if delivered else (constants.WEBHOOK_GROUPS_FIX,),
        )

    def required_scopes(self, integration) -> tuple[str, ...]:
        return constants.OAUTH_SCOPES if integration.auth_kind == "oauth2" else constants.SEED_SCOPES

    # The "test now" actions are the sandbox's (simulator_console.py, part of its plug-in).
    def send_test_webhook(self, integration) -> str:
        return plugin_for(self.key).send_test_webhook(self, integration)

    def send_test_assessment(self, integration) -> str:
        return plugin_for(self.key).send_test_assessment(self, integration)

    # -- pages --
    def urls(self) -> list:
        from . import views

        return [path("open/<uuid:public_id>/", views.LeverDeepLinkView.as_view(), name="open")]

    def integration_urls(self) -> list:
        from . import views

        return views.integration_urlpatterns(self)

    # -- data sync (integrations/sync): paging and mapping in sync.py --
    sync_resources = ("jobs", "stages", "applications")

    def sync_page(self, integration, resource: str, cursor: str, sync_token: str):
        from .sync import sync_page

        return sync_page(self.client(integration), resource, cursor, sync_token)

    def sync_fetch(self, integration, resource: str, external_id: str):
        from .sync import sync_fetch

        return sync_fetch(self.client(integration), resource, external_id)

    def detail_context(self, integration) -> dict[str, Any]:
        from .views import detail_context

        return detail_context(self, integration)

    # -- demo --
    def simulator_credentials(self, integration) -> dict[str, str]:
        """What an admin copies out of Lever for this integration's auth kind: an API key, or for
        OAuth the client id and secret of the app Lever's partner program registers
        (https://hire.lever.co/developer/oauth). The sandbox issues them (demo_setup, no HTTP);
        an OAuth integration stays OAuth and is authorized on the sandbox's consent page."""
        extra = self.demo_setup(integration)
        names = ("client_id", "client_secret") if integration.auth_kind == "oauth2" else ("api_key",)
        return {k: str(extra[k]) for k in names}

    def demo_setup(self, integration) -> dict[str, Any]:
        return plugin_for(self.key).demo_setup(self, integration)
