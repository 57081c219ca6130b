from __future__ import annotations

from typing import Any

from django.urls import reverse

from assessments.scales import instrument_scales
from integrations.base import (
    ATSAuthError,
    ATSNotFound,
    ATSProvider,
    CredentialCheck,
    DeliveryResult,
    HealthWarning,
    InboundRequest,
    ParsedWebhook,
    RateLimit,
    SyncPage,
    Verification,
)
from integrations.models import Environment, Integration
from integrations.plugins import plugin_for  # the simulator is a dev/test plug-in (README "Layout")

from . import constants, updates, webhooks
from .client import KnitClient

# Why the revoke call's refusal is not counted (KnitProvider.explained_refusals).
SECRETS_REVOKE_EXPECTED = (
    "Knit documents no call to revoke an Ashby secret key: JobCannon retires the old key on its side "
    "and the activity log says to ask Knit support to revoke it."
)


class KnitProvider(ATSProvider):
    """Ashby assessments through the Knit unified API ("Knit → Ashby").

    Setup: the customer's Knit API key + Knit integration id (checked live), then Knit's
    "Create ATS Assessment Secrets" gives the secretKey/baseUrl pair handed to Ashby.
    In: Knit turns Ashby's assessment.start into `record.new` and assessment.cancel into
    `record.deleted`, signed with X-Knit-Signature keyed by the Knit API key.
    Out: results go back through Knit, by default as Ashby's own assessment.update through Knit's
    passthrough (the body Ashby publishes); per integration, to Knit's `ats.candidate.assessment.update`
    instead, whose request body Knit has not published (ours uses its Candidate Assessment model).

    Where the two sources differ we support both (README.md in this folder has the details):
    - signature over the raw body (reference) and over JSON.stringify(body) (Knit's Node sample),
      the latter only as a fallback recorded as the event's signature scheme;
    - `record.deleted` for assessments is in seed 003 but was not found by the reference: handled
      as the seed shows it, with every field but the id optional;
    - results: Knit's passthrough to Ashby's assessment.update (default; Knit's use-case page says
      there is no unified scores API) or, per integration, the unified update endpoint (its body
      is unpublished: ours takes the Candidate Assessment model's names, the rest is a guess)."""

    key = "knit"
    name = "Ashby via Knit"
    # Our calls go to Knit's API, not Ashby's: outage and rate-limit sentences name Knit.
    api_vendor_name = "Knit"
    auth_kinds = ("api_key",)
    # Knit publishes no limit for these calls; stay polite.
    rate_limit = RateLimit(per_second=5, burst=10)
    client_class = KnitClient
    event_handlers = webhooks.EVENT_HANDLERS
    ignored_events = webhooks.IGNORED_EVENTS
    docs_url = "https://developers.getknit.dev/docs/ashby"
    detail_template = "integrations/providers/knit/detail_panel.html"
    # README "Signature": Knit signs with the Knit API key; our whsec_ value is one Knit never uses.
    takes_our_webhook_secret = False
    webhook_signing_note = (
        "Knit signs its webhooks (X-Knit-Signature) with your Knit API key, entered in step 3: "
        "there is no JobCannon secret to copy."
    )

    def api_base_url(self, integration: Integration) -> str:
        if self.uses_simulator(integration):
            return f"{self.simulator_base_url()}/v1.0"
        # Knit's sandbox has a host of its own ([2nd] constants.API_BASE_SANDBOX: Knit's public
        # sample code and clients; unverified against Knit's reference), production api.getknit.dev [F].
        if integration.environment == Environment.SANDBOX:
            return constants.API_BASE_SANDBOX
        return constants.API_BASE

    def client(self, integration: Integration) -> KnitClient:
        return KnitClient(integration, self)

    # -- connect --
    def validate_credentials(self, integration: Integration) -> CredentialCheck:
        if not integration.credential("api_key"):
            return CredentialCheck(ok=False, message="Enter your Knit API key on the Knit setup page.")
        integration_id = integration.credential("integration_id", "")
        if not integration_id:
            return CredentialCheck(
                ok=False,
                message="Enter the Knit integration id of the Ashby integration on the Knit setup page.",
            )
        try:
            self.client(integration).auth_check()
        except ATSAuthError as exc:
            raise ATSAuthError(
                f"Knit ({self.api_base_url(integration)}) rejected the API key or the integration id "
                f"{integration_id} ({exc.message}). Check both in Knit's dashboard, and use the sandbox key "
                f"for a sandbox integration and the production key for a production one.{_host_note(self, integration)}",
                status_code=exc.status_code,
                request_id=exc.request_id,
            ) from exc
        except ATSNotFound as exc:
            # The check is Knit's List Jobs (constants.PATH_AUTH_CHECK). A 404 there is not a bad key
            # (that is a 401): Knit has no List Jobs for this integration id, i.e. the id names an
            # integration of another category, or an app Knit cannot list jobs for.
            execution = f" (Knit execution id {exc.request_id})" if exc.request_id else ""
            return CredentialCheck(
                ok=False,
                message=f"Knit answered 404 Not Found to List Jobs (GET /v1.0/{constants.PATH_AUTH_CHECK}) for "
                f"integration id {integration_id}: {exc.message}{execution}. Check in Knit's dashboard that "
                "this is the integration id of the customer's Ashby integration in the ATS category (not an "
                "HRIS or CRM one) and that it is still connected; if it is, send the execution id to Knit "
                "support.",
            )
        return CredentialCheck(
            ok=True, message=f"Knit accepted the API key and integration id {integration_id}."
        )

    def on_connected(self, integration: Integration) -> None:
        from .selectors import knit_assessment_secrets
        from .services import knit_assessment_secrets_create, knit_results_resume, knit_webhook_keys_sync

        knit_webhook_keys_sync(integration=integration)
        if not knit_assessment_secrets(integration=integration):
            knit_assessment_secrets_create(integration=integration, provider=self)
        # "Test credentials now" after reconnecting Ashby inside Knit: results Ashby refused through
        # the passthrough (401/403, held, not needs-reauth) go now rather than at their next backoff.
        knit_results_resume(integration=integration)

    # -- webhooks in --
    def verify_webhook(
        self, integration: Integration, request: InboundRequest, secrets: list[str]
    ) -> Verification:
        return webhooks.verify(integration, request, secrets)

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        return webhooks.parse(request)

    # -- write-back --
    def on_run_event(self, integration: Integration, run: Any, event: str) -> list[str]:
        # Only runs Ashby ordered through Knit have an assessment to update.
        if not run.external_assessment_id or event not in ("started", "completed", "cancelled", "expired"):
            return []
        return [constants.KIND_ASSESSMENT_UPDATE]

    def deliver(self, integration: Integration, message: Any) -> DeliveryResult:
        from assessments.services.runs import run_result

        run, assessment_id = message.run, message.run.external_assessment_id
        if message.event == "completed":
            scales = instrument_scales(run.instrument, run.instrument_version)
            update = updates.update_completed(
                assessment_id=assessment_id, result=run_result(run=run), scales=scales
            )
        elif message.event == "started":
            update = updates.update_started(assessment_id=assessment_id, started_at=run.started_at)
        elif message.event == "expired":
            update = updates.update_expired(assessment_id=assessment_id, at=run.expired_at)
        else:
            update = updates.update_cancelled(
                assessment_id=assessment_id,
                at=run.cancelled_at,
                reason=run.cancelled_reason or "Cancelled in JobCannon.",
            )
        from .selectors import knit_result_mode

        client = self.client(integration)
        attempt = max(1, message.attempts)
        if knit_result_mode(integration=integration) == constants.RESULT_MODE_UPDATE:
            # Knit's own update: its request body is unpublished (constants.UPDATE_BODY_FIELDS).
            client.update_candidate_assessment(updates.knit_update_body(update), attempt=attempt)
            note = "Knit ats.candidate.assessment.update"
        else:
            client.passthrough(updates.passthrough_body(update), attempt=attempt)
            note = "Ashby assessment.update through Knit passthrough"
        return DeliveryResult(external_ref=assessment_id, confirmed=False, note=note)

    # -- pages --
    def integration_urls(self) -> list:
        from .views import integration_urlpatterns

        return integration_urlpatterns(self)

    # -- data sync (integrations/sync): paging and mapping in sync.py --
    # Knit's unified lists of the customer's Ashby account: stages come with their job, candidates
    # with their application (Knit documents no candidate list for us to page).
    sync_resources = ("jobs", "applications")
    # What the Data sync page says (ATSProvider.sync_incremental): Knit's updatedAfter filter is
    # "NA" for Ashby (Native ATS Filter Support Matrix,
    # https://developers.getknit.dev/docs/native-ats-filter-support-matrix; sync.py), so every run
    # is a full read; and Knit's sync-envelope webhooks (record.* for ats_jobs/ats_applications)
    # end unsupported, nothing refreshes a record between runs (README "Data sync", "Not done").
    sync_incremental = False
    sync_full_read_reason = "Knit offers no change filter for Ashby"
    sync_refreshed_by_webhooks = False

    def sync_page(self, integration: Integration, resource: str, cursor: str, sync_token: str) -> SyncPage:
        from .sync import sync_page

        return sync_page(self.client(integration), resource, cursor, sync_token)

    def detail_context(self, integration: Integration) -> dict[str, Any]:
        from .selectors import knit_assessment_secrets

        return {
            "knit_setup_url": reverse("integrations:integration-knit:setup", args=[integration.pk]),
            "knit_secrets": knit_assessment_secrets(integration=integration),
            "knit_integration_id": integration.credential("integration_id", ""),
        }

    def explained_refusals(self, integration: Integration) -> dict[str, str]:
        """Secrets rotation always tries Knit's revoke call, which Knit does not document ([I],
        README "Connect"): its 404 is the expected answer, explained in the activity log, not a
        failed call (health) nor a missing permission (checklist)."""
        # KnitClient.revoke_assessment_secret logs its call under the path's name.
        return {constants.PATH_SECRETS_REVOKE: SECRETS_REVOKE_EXPECTED}

    def health_warnings(self, integration: Integration) -> list[HealthWarning]:
        from .console import health_warnings

        return health_warnings(integration)

    # -- customer console hooks (connect wizard, test buttons); see console.py --
    def setup_steps(self, integration: Integration) -> list[Any]:
        from .console import setup_steps

        return setup_steps(integration)

    def credential_fields(self, integration: Integration) -> tuple[Any, ...]:
        from .console import credential_fields

        return credential_fields(integration)

    # The "test now" buttons are the simulator's (simulator_console.py, part of its plug-in).
    def send_test_webhook(self, integration: Integration) -> str:
        return plugin_for(self.key).send_test_webhook(self, integration)

    def send_test_assessment(self, integration: Integration) -> str:
        return plugin_for(self.key).send_test_assessment(self, integration)

    # -- demo --
    def demo_setup(self, integration: Integration) -> dict[str, Any]:
        return plugin_for(self.key).demo_setup(self, integration)


def _host_note(provider: KnitProvider, integration: Integration) -> str:
    """Said with a 401 from the sandbox host, which rests on second-hand sources only."""
    if provider.api_base_url(integration) != constants.API_BASE_SANDBOX:
        return ""
    return (
        f" JobCannon calls Knit's sandbox at {constants.API_BASE_SANDBOX}, the host Knit's public sample code "
        "uses (not confirmed by Knit's API reference): if your sandbox key works at "
        f"{constants.API_BASE} instead, tell JobCannon support."
    )
