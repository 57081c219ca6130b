"""SmartRecruiters: wire names, URLs and limits, each with the published source it comes from.

The real vendor comes first (https://developers.smartrecruiters.com = SRD; reference file
/work/shared/reference/lever-smartrecruiters-knit.md §2); seed 001 (JobCannon's customer guide)
stays an accepted alias where it differs (colon scopes, `POST /v1/webhooks/subscriptions`,
`X-SmartRecruiters-Signature`). README.md in this folder lists, per call, the source and what
is still unverifiable. [F] = found in a published source, [I] = our inference."""

from datetime import timedelta

KEY = "smartrecruiters"

# --- Hosts ------------------------------------------------------------------------------------
# One API host and one OAuth host are published; SR documents no EU API host and no separate
# sandbox host (a sandbox is a separate SR company on the same hosts [I]). A region or
# environment therefore never selects a host of its own: provider_settings["api_base_url"] /
# ["oauth_base_url"] override them for an account SR told otherwise.
API_BASE = "https://api.smartrecruiters.com"  # [F] SRD /reference (every operation's base)
# Authorization code flow, SRO securitySchemes.oauth.flows.authorizationCode [F]: the user allows
# the app on www (authorizationUrl https://www.smartrecruiters.com/identity/oauth/allow, also
# passport-smartrecruiters lib/strategy.js); the code is exchanged, and the token refreshed, on
# the API host (tokenUrl https://api.smartrecruiters.com/identity/oauth/token).
OAUTH_HOST = "https://www.smartrecruiters.com"
AUTHORIZE_PATH = "/identity/oauth/allow"
TOKEN_PATH = "/identity/oauth/token"
AUTHORIZATION_CODE_TOKEN_URL = API_BASE + TOKEN_PATH
# Client credentials (partner "master" and company credentials): SRD
# /docs/authentication-oauth-client-credential, POST https://api.smartrecruiters.com/identity/oauth/token [F].
CLIENT_CREDENTIALS_TOKEN_URL = API_BASE + TOKEN_PATH

# --- OAuth scopes -------------------------------------------------------------------------------
# SRD /docs/authentication-access-scopes and SRO securitySchemes.oauth [F] (names; both transcribed
# into vendor/, reference.customer_oauth_scopes, which the sandbox's consent page and a test hold
# these against); which call needs which scope is from each
# operation's `security` in SRO where transcribed (vendor/ `customer_api`, CUSTOMER_API_CALL_SCOPES
# below), else its reference page, else [I]:
SCOPE_CANDIDATES_READ = "candidates_read"  # GET /candidates, /candidates/{id}
SCOPE_CANDIDATES_MANAGE = "candidates_manage"  # PUT /candidates/{id}/jobs/{jobId}/properties/{id} [F SRO]
SCOPE_JOBS_READ = "jobs_read"  # GET /jobs (sr-webhooks-client requests it for the same reads)
SCOPE_CONFIGURATION_READ = "configuration_read"  # GET /configuration/company, /candidate-properties [F SRO]
SCOPE_COMPANY_READ = "company_read"  # GET /configuration/company, with configuration_read [F SRO]
SCOPE_WEBHOOKS_MANAGE = "webhooks_manage"  # /webhooks-api/v201907/subscriptions (sr-webhooks-client README)
SCOPES = (
    SCOPE_CANDIDATES_READ,
    SCOPE_CANDIDATES_MANAGE,
    SCOPE_JOBS_READ,
    SCOPE_CONFIGURATION_READ,
    SCOPE_COMPANY_READ,
    SCOPE_WEBHOOKS_MANAGE,
)
# The Customer API calls we make with the customer's OAuth token outside the Webhooks API, and the
# scopes SRO's `security` declares for each (konfig YAML @2d2b1f35, transcribed in vendor/
# `customer_api`; a test holds this dict equal to it) [F]: Configuration_getCompanyInformation
# `oauth: [company_read, configuration_read]` (OpenAPI 3.0 reads a scheme's list as all required,
# so both are requested; whether SR's server takes either one alone is [I]);
# Configuration_getCandidateProperties `oauth: [configuration_read]`; Candidates_updatePropertyValue
# `oauth: [candidates_manage]` (deprecated in SRO in favour of the batch PUT …/properties).
CUSTOMER_API_CALL_SCOPES = {
    ("GET", "/configuration/company"): (SCOPE_COMPANY_READ, SCOPE_CONFIGURATION_READ),
    ("GET", "/configuration/candidate-properties"): (SCOPE_CONFIGURATION_READ,),
    ("PUT", "/candidates/{id}/jobs/{jobId}/properties/{propertyId}"): (SCOPE_CANDIDATES_MANAGE,),
}
# What the connection check (provider.validate_credentials: GET /configuration/company with the
# OAuth token) needs: requested whatever provider_settings["oauth_scopes"] says, as
# WEBHOOK_PATH_SCOPES are, or a seed scope list (custom_fields:read = configuration_read only)
# would fail the connect with 403.
CONNECTION_CHECK_SCOPES = CUSTOMER_API_CALL_SCOPES[("GET", "/configuration/company")]
# What the Webhooks API path needs whatever provider_settings["oauth_scopes"] says: the
# subscription (webhooks_manage) and the reads each callback triggers. SR's own webhooks demo
# (sr-webhooks-client README) requests exactly these three.
WEBHOOK_PATH_SCOPES = (SCOPE_WEBHOOKS_MANAGE, SCOPE_JOBS_READ, SCOPE_CANDIDATES_READ)
# Seed 001 Step 1 spells scopes with colons. They are accepted as aliases in
# provider_settings["oauth_scopes"] and requested under the real name each stands for.
SEED_SCOPES = (
    "candidates:read",
    "candidates:write",
    "assessments:read",
    "assessments:write",
    "custom_fields:read",
)
SEED_SCOPE_ALIASES = {
    "candidates:read": SCOPE_CANDIDATES_READ,
    "candidates:write": SCOPE_CANDIDATES_MANAGE,
    "custom_fields:read": SCOPE_CONFIGURATION_READ,
    # assessments:* have no OAuth equivalent: the Assessment API uses company credentials.
}
# The seed's results scope (seed Common Errors: "OAuth scopes don't include assessments:write").
SEED_SCOPE_RESULTS_WRITE = "assessments:write"
# Partner-level token scope SR checks before setUpIntegration (SRD /reference/assessment-partner-integration) [F].
SCOPE_CLIENT_CREDENTIALS_WRITE = "client_credentials_write"
# The company credentials' token (client credentials SR issued at setUpIntegration) carries the
# Assessment API's scopes, not the customer's OAuth scopes: SRO Result_updatePackageResult needs
# `assessment_result_manage` (security scheme `oauth2`) [F]; that scheme also lists jobs_read and
# candidates_read, and SRD /docs/integration-workflow gives the company credentials "job and
# candidate information" [F]. That SR puts exactly these three on the token is [I] (the sandbox does).
SCOPE_ASSESSMENT_RESULT_MANAGE = "assessment_result_manage"
COMPANY_TOKEN_SCOPES = (SCOPE_ASSESSMENT_RESULT_MANAGE, SCOPE_JOBS_READ, SCOPE_CANDIDATES_READ)
# help.smartrecruiters.com "Most important facts about OAuth in SmartRecruiters" [F]
# (https://help.smartrecruiters.com/Marketplace_Partners/OAuth_2.0/Most_important_facts_about_OAuth_in_SmartRecruiters):
# access token 30 minutes; refresh token "28 days. Note that the refresh_token is one-time use
# only": every refresh returns a new refresh token (services/oauth.py stores it) and the one just
# used is refused (invalid_grant). Seed 001 Step 3's "a refresh token valid for 2 years" is not SR's.
REFRESH_TOKEN_DAYS = 28
# No age warning: a rotated token is never old. What breaks an SR grant is a refresh that keeps
# failing or never runs (28 days idle): services/tokens.py refreshes idle grants daily and warns
# after repeated failures; the health page's expiry warning (refresh_expires_at, renewed at each
# rotation) fires only when no refresh succeeded for REFRESH_TOKEN_DAYS - REFRESH_TOKEN_WARN_BEFORE_DAYS
# days (read by SmartRecruitersProvider.credential_warn_before_days).
REFRESH_TOKEN_WARN_DAYS: int | None = None
REFRESH_TOKEN_WARN_BEFORE_DAYS = 25  # i.e. 3 days without a successful refresh
ACCESS_TOKEN_SECONDS = 1800

# The fixes for the seed's Common Errors, word for word where the seed has words.
REDIRECT_URI_ERROR = "Invalid OAuth redirect URI"
PERMISSION_403_TITLE = "Assessment delivery failed (403 Forbidden)"
PERMISSION_403_FIX = (
    "SmartRecruiters refused the result (403 Forbidden): results go with the company credentials "
    "SmartRecruiters issued to JobCannon at the consent step, and it no longer accepts them (JobCannon "
    "was removed or its consent withdrawn in SmartRecruiters' Apps & Integrations; seed setup: the "
    "scopes don't include assessments:write). Connect JobCannon again from SmartRecruiters' Apps & "
    "Integrations (new consent; seed setup: re-authorize with the scope). The held results are sent automatically "
    "once SmartRecruiters accepts the new credentials."
)
# No company credentials yet: results are never sent with the customer's OAuth token (SRD
# /docs/integration-workflow gives results to the company credentials; the sandbox refuses the
# OAuth token). The write waits, retried with backoff, and is sent at once when consent lands.
COMPANY_NOT_REGISTERED = (
    "Company not registered: complete consent in SmartRecruiters (Apps & Integrations → JobCannon → "
    "Connect → Authorize and Continue). SmartRecruiters then issues the company credentials results "
    "are written with; JobCannon holds this write-back until then and sends it as soon as consent lands."
)
# SR's company removal (DELETE integrations/companies/{companyId}, SRO
# Integration_removeIntegrationOnPartnerSide): the reason the integration is disconnected with
# (services.company_removed), and the way back, which is the company's consent again (SRD
# /docs/integration-workflow: SR issues company credentials at setUpIntegration, after consent).
REMOVED_IN_SMARTRECRUITERS = (
    "JobCannon was removed in SmartRecruiters (company {company_id}): connect it again in "
    "SmartRecruiters' Apps & Integrations."
)
REMOVED_FIX_STEPS = (
    "In SmartRecruiters, as an administrator: Settings → Apps & Integrations → JobCannon → Connect → "
    "Authorize and Continue (the company's consent).",
    "On the JobCannon consent page that opens, choose this integration and Allow: SmartRecruiters issues "
    "new company credentials, the integration reconnects and orders resume.",
    "Re-authorizing the optional OAuth sign-in here does not restore orders: only the consent in "
    "SmartRecruiters does.",
)
# An OAuth reconnect (the optional sign-in) of an integration SR removed, while SR still refuses the
# registration (provider.on_connected): the sign-in works, but it is not the company's consent.
REMOVED_RECONNECT_NEEDS_CONSENT = (
    "JobCannon was removed in SmartRecruiters (company {company_id}) and the company has not connected it "
    "again: the OAuth sign-in works, but it is not the company's consent, so SmartRecruiters refuses the "
    "partner registration ({reason}) and orders and results stay stopped. In SmartRecruiters: Settings → "
    "Apps & Integrations → JobCannon → Connect → Authorize and Continue, then Allow on JobCannon's consent "
    "page."
)
# The optional OAuth sign-in stopped working on an integration SR issued company credentials to
# (services.oauth_sign_in_lapsed): a warning, never a re-authorization that holds results.
OAUTH_LAPSED = (
    "The optional OAuth sign-in no longer works ({reason}), so JobCannon forgot its token. Orders, results "
    "and the data sync go on with the company credentials SmartRecruiters issued at consent; webhook "
    "subscriptions (live candidate updates) and the scorecard fields need the sign-in again: “Re-authorize "
    "with SmartRecruiters” on the integration's page. Until then JobCannon reads changes with the periodic "
    "sync and leaves the scorecard fields empty."
)
# The scorecard page without the sign-in: listing the custom fields (configuration_read) and filling
# them (candidates_manage) are not on the company token (COMPANY_TOKEN_SCOPES).
SCORECARD_NEEDS_SIGN_IN = (
    "The scorecard fields need the optional OAuth sign-in with the customer's own SmartRecruiters app "
    "(scopes configuration_read and candidates_manage): “Re-authorize with SmartRecruiters” below."
)
SCORECARD_RESULTS_WITHOUT_SIGN_IN = (
    " Results go out with the company credentials without it; only these fields stay empty."
)
SCORECARD_RESULTS_NEED_SIGN_IN = (
    " This integration has no company credentials from SmartRecruiters' consent, so results need the "
    "sign-in too."
)
SCOPE_MISSING_WARNING = (
    "SmartRecruiters did not grant {scopes}: {effect} Re-authorize and approve all required scopes."
)
SCOPE_EFFECTS = {
    SCOPE_WEBHOOKS_MANAGE: "JobCannon cannot subscribe to webhooks.",
    SCOPE_CANDIDATES_READ: "JobCannon cannot read candidates.",
    SCOPE_JOBS_READ: "JobCannon cannot read jobs and their hiring process.",
    SCOPE_CONFIGURATION_READ: "JobCannon cannot read the company or its candidate fields.",
    SCOPE_COMPANY_READ: "JobCannon cannot read the company (its id and name: the connection check and the "
    "consent page's proof that the company is yours).",
    SCOPE_CANDIDATES_MANAGE: "JobCannon cannot fill the scorecard fields.",
    SEED_SCOPE_RESULTS_WRITE: "results cannot be written back.",
}

# --- Rate limits ----------------------------------------------------------------------------
# SRD /docs/rate-limiting [F]: 10 requests/second on most endpoints and 8 concurrent requests,
# counted per credential; GET /candidates allows 1 concurrent request. (Seed 001's "100 requests
# per second" is not what SR enforces.)
RATE_LIMIT_PER_SECOND = 10
RATE_LIMIT_BURST = 10
CONCURRENT_REQUESTS = 8
CONCURRENT_CANDIDATE_LISTS = 1

# --- Webhooks ---------------------------------------------------------------------------------
# SRO = SmartRecruiters' own OpenAPI definitions (its ReadMe registries webhooks.json,
# assessment-partner-api.json, assessment-partner-app.json, assessments-api.json), merged and
# published in konfig-sdks/openapi-examples:smartrecruiters/openapi.yaml (mirrored as
# jentic-public-apis:apis/openapi/smartrecruiters.com/smartrecruiters/201911.1/openapi.json).
# POST /subscriptions takes SubscriptionRequest {callbackUrl, events: [EventName], alertingEmailAddress?,
# callbackAuthentication?}: the events are names only [F SRO; SR's own demo app sr-webhooks-client
# posts {"events": ["job.created"]}]. The version of each event is read-only: SR answers with the
# subscription's events as [{"name", "version"}] (help.smartrecruiters.com "Use of Webhook
# Subscription API": {"name": "job.created", "version": "1.0.0"}) and sends it in the
# event-version header of every callback. So we request names and record the versions SR reports.
# No version is published for any event we subscribe to [I: whatever SR reports]: application.created
# / v201910 appears only in SRD's signature example (/reference/subscriptionsgeneratesecretkey-1), a
# test vector, not a statement of the version SR sends. provider_settings["webhook_events"] =
# ["job.created", ...] replaces the list.
EVENT_APPLICATION_CREATED = "application.created"
EVENT_APPLICATION_STATUS_UPDATED = "application.status.updated"
EVENT_CANDIDATE_UPDATED = "candidate.updated"
EVENT_CANDIDATE_DELETED = "candidate.deleted"
SUBSCRIBED_EVENTS = (
    EVENT_APPLICATION_CREATED,
    EVENT_APPLICATION_STATUS_UPDATED,
    EVENT_CANDIDATE_UPDATED,
    EVENT_CANDIDATE_DELETED,
)
# Versions a published source names, per event [F]: job.created 1.0.0 (help page's POST /subscriptions
# answer, tests/fixtures/smartrecruiters/api/subscription.json). Any other event's version is
# unpublished, and the integration page marks it "[I] not published". Nothing but the recorded
# subscription state, that page and the signature's header list reads a version (tests:
# test_event_versions.py). Add a version here once SR publishes it.
PUBLISHED_EVENT_VERSIONS = {"job.created": "1.0.0"}
# Where each published version comes from, as the integration page names it beside the version.
PUBLISHED_EVENT_VERSION_SOURCES = {"job.created": "SmartRecruiters' help page, subscription answer"}
# Versions that appear in SR's documents only as an example, never as the version SR sends
# (audit a1920-r2 G8): the integration page says so beside "[I] not published".
EVENT_VERSION_EXAMPLES = {
    EVENT_APPLICATION_CREATED: "v201910 appears only in SmartRecruiters' signature test vector",
}
# SR sends an event-version header on every callback: SR's own demo receiver reads it on each one
# (smartrecruiters/sr-webhooks-client lib/api/router/webhooks.js, internalEvent: `version:
# req.headers['event-version']`) and SRO's Event.version is part of every subscribed event. So the
# built-in sandbox reports and sends a version for every event, and signs over it: the published
# one where there is one, else this placeholder [I: SR publishes no version for
# application.created, application.status.updated, candidate.updated or candidate.deleted; v201910 is
# the style of SR's signature test vector]. It is the sandbox's alone: never a published version.
SANDBOX_UNPUBLISHED_EVENT_VERSION = "v201910"
# Callback bodies carry ids only (SRO ApplicationWebhookPayload {job_id, candidate_id,
# application_id}; CandidateWebhookPayload {id}; SRD /docs/receiving-webhook-notifications:
# "The id of the changed resource is provided in the body").
CANDIDATE_EVENTS = (EVENT_CANDIDATE_UPDATED, EVENT_CANDIDATE_DELETED)
# Every event name the Webhooks API offers: SRO's EventName enum [F], exactly (also in the SDK
# generated from it, `SmartRecruiters::EventName`). Knit's map of SR's callbacks
# (developers.getknit.dev/docs/smartrecruiters-ats-real-time-events) also lists
# interview.created / interview.updated / interview.canceled, which SRO's enum does not: they are
# not accepted (SR would refuse them the same way). The enum itself is transcribed into
# vendor/assessment_api_2021.openapi.json (reference.webhook_event_names): a test holds this set equal
# to it, and the sandbox refuses any name outside the vendor enum (not this set) with 422, as SRO
# documents ("event name is not found").
KNOWN_EVENTS = frozenset(
    {
        "job.created",
        "job.updated",
        "job.status.updated",
        "job.hiring-team.updated",
        "job.ad.created",
        "job.ad.updated",
        "job.ad.postings.updated",
        "position.created",
        "position.updated",
        "position.deleted",
        "application.created",
        "application.status.updated",
        "application.fields.updated",
        "application.onboarding-status.updated",
        "application.attachment.created",
        "application.source.updated",
        "application.screening-answers.created",
        "application.screening-answers.updated",
        "candidate.created",
        "candidate.updated",
        "candidate.deleted",
        "offer.created",
        "offer.updated",
        "offer.approval.created",
        "offer.approval.approved",
        "offer.approval.rejected",
        "offer.approval.abandoned",
        "offer.approval.step.approved",
        "offer.approval.step.rejected",
        "offer.approver.skipped",
        "offer.approver.delegated",
        "offer.approval.comment.created",
        "job.approval.created",
        "job.approval.approved",
        "job.approval.rejected",
        "job.approval.abandoned",
        "job.approval.step.approved",
        "job.approval.step.rejected",
        "job.approver.skipped",
        "job.approver.delegated",
        "job.approval.comment.created",
        "review.created",
        "review.updated",
        "review.deleted",
        "onboarding.process.started",
        "onboarding.assignments.high-priority.completed",
        "onboarding.assignments.completed",
    }
)
# Seed 001 Step 2's event: SR's Webhooks API has no such event and the sandbox never sends it; a
# delivery that still arrives on the seed path is handled (alias only).
EVENT_ASSESSMENT_COMPLETED = "candidate.assessment.completed"
SEED_SUBSCRIBED_EVENTS = (EVENT_ASSESSMENT_COMPLETED,)
EVENT_HANDSHAKE = "webhook.handshake"  # our name for the X-Hook-Secret activation call
# Real events a customer's other subscriptions may send us; answered 202 and not acted on.
IGNORED_EVENTS = ("candidate.created", "job.created", "job.updated")

# SR has no ping: the sandbox's on-demand test delivery is a real event (candidate.updated).
TEST_EVENT = EVENT_CANDIDATE_UPDATED

WEBHOOK_API_VENDOR = "webhooks-api"  # POST /webhooks-api/v201907/subscriptions + handshake + v1 signature
# Seed 001 Step 2's path: an alias only, never the default, UNVERIFIED (no SR source publishes
# POST /v1/webhooks/subscriptions; the sandbox answers 404 like any unknown path).
WEBHOOK_API_SEED = "seed"  # POST /v1/webhooks/subscriptions + X-SmartRecruiters-Signature
SEED_SUBSCRIPTIONS_PATH = "/v1/webhooks/subscriptions"
VENDOR_SUBSCRIPTIONS_PATH = "/webhooks-api/v201907/subscriptions"
SEED_CUSTOM_HEADERS = {"X-Custom-Header": "JobCannon"}

SEED_SIGNATURE_HEADER = "X-SmartRecruiters-Signature"
SIGNATURE_HEADER = "smartrecruiters-signature"  # "v1=<hex>;v1=<hex>" (one segment per live key)
TIMESTAMP_HEADER = "smartrecruiters-timestamp"
HOOK_SECRET_HEADER = "X-Hook-Secret"
EVENT_NAME_HEADER = "event-name"
EVENT_ID_HEADER = "event-id"
EVENT_VERSION_HEADER = "event-version"
LINK_HEADER = "link"
SIGNATURE_TOLERANCE = timedelta(minutes=5)
HANDSHAKE_WINDOW = timedelta(seconds=60)  # SR waits 20 s for the echo; we accept a handshake this long
SUBSCRIPTION_REFUSED = "refused"  # SR answered 4xx to POST /subscriptions (SRO: 400, 403, 422)
SUBSCRIPTION_FAILED = "failed"  # created, but activation (SRO: 424 handshake failed) or the secret key failed
# A temporary failure (5xx, 429, network, a timeout...): tried again with the outbox's backoff
# (integrations.base.backoff_delay) until OUTBOUND_RETRY_HORIZON_SECONDS, then `failed`.
SUBSCRIPTION_RETRYING = "retrying"
# Made with the optional OAuth sign-in's token, which SR no longer takes (services.oauth_sign_in_lapsed):
# JobCannon can neither renew nor delete it until the sign-in is done again.
SUBSCRIPTION_NEEDS_SIGN_IN = "needs_sign_in"
# Only these answers are SR refusing the request (SRO webhooks.json); everything else is temporary.
SUBSCRIPTION_REFUSAL_CODES = (400, 403, 422)
# SRO Subscriptions_subscribeToWebhook: "individual user can register up to 20 subscriptions;
# OAuth application can register up to 20 subscriptions on behalf of a single user" [F]; past it
# POST /subscriptions answers 403 SUBSCRIPTIONS_LIMIT_EXCEEDED, and 403 NO_PERMISSION_TO_MANAGE_WEBHOOKS
# without the permission (SRO ErrorResponse {message, errors: [{code, message}]}) [F].
SUBSCRIPTIONS_LIMIT = 20
SUBSCRIPTIONS_LIMIT_EXCEEDED = "SUBSCRIPTIONS_LIMIT_EXCEEDED"
NO_PERMISSION_TO_MANAGE_WEBHOOKS = "NO_PERMISSION_TO_MANAGE_WEBHOOKS"
# SRO GET /subscriptions pages with `limit` (default 10, max 100) and `page_id`: ask for the most,
# so the subscriptions we must find (ours, superseded ones) are on the page.
SUBSCRIPTIONS_PAGE_LIMIT = 100
ACTIVATION_REFUSAL_CODES = (400, 403, 422, 424)

# --- Assessment API (2021) ----------------------------------------------------------------------
# SR's side (SRO assessment-partner-api.json; OCM; reference §2.2) [F]:
ASSESSMENT_API = "/assessment-api/v202010"
#   POST {ASSESSMENT_API}/integration/company/{companyId}  setUpIntegration: partner (master) token;
#        body and answer ClientCredentials {clientId, clientSecret}; 200, 403 no consent or scope,
#        404 no partner configuration, 409 "Partner already integrated for company"
#   PATCH {ASSESSMENT_API}/orders/{orderId}/results  packageResultUpdate: company token
#        (assessment_result_manage), body PackageResult, RFC 7396 partial update
#   POST {ASSESSMENT_API}/orders/{orderId}/results/attachment  addAttachmentToOrder: multipart, 201
#        AttachmentResult {url}; "Adding attachment to inline assessment orders is not supported"
#   GET / PUT {ASSESSMENT_API}/partner/configuration  getPartnerConfig / savePartnerConfig: master
#        token, JSON body (OCM) [F]; setUpIntegration answers 404 "Partner configuration does not
#        exist" until it was saved [F SRO]
PARTNER_CONFIGURATION_PATH = ASSESSMENT_API + "/partner/configuration"
# savePartnerConfig's body, SRO components.schemas.PartnerConfigurationRequest [F] (konfig-sdks/
# openapi-examples:smartrecruiters/openapi.yaml @2d2b1f35; transcribed in
# vendor/assessment_api_2021.openapi.json, which the sandbox validates the PUT against). Required:
# consentUrl, consentDisplayMode, assessmentPackageListUrl, singleAssessmentPackageUrl,
# oauthTokenUrl, supportedAssessmentTypes; optional: packageOrderUrl,
# inlineAssessmentPackageOrderUrl, integrationDisableUrl, fields. Each URL property's description
# names the partner operation it "Refers to"; keys here are the sandbox's names for them.
PARTNER_CONFIGURATION_FIELDS = {
    "consent": "consentUrl",  # GET /integration (SR adds companyId, and redirect in REDIRECT mode)
    "packages": "assessmentPackageListUrl",  # GET /packages
    "package": "singleAssessmentPackageUrl",  # GET /packages/{assessmentPackageId}
    "orders": "packageOrderUrl",  # POST /packages/orders
    "inline_orders": "inlineAssessmentPackageOrderUrl",  # POST /packages/inline/orders
    "token": "oauthTokenUrl",  # our client-credentials token endpoint
    "removal": "integrationDisableUrl",  # DELETE /integrations/companies/{companyId}
}
# singleAssessmentPackageUrl and integrationDisableUrl are `format: uri` in SRO, and RFC 3986
# forbids "{" "}" in a URI, so neither can carry the `{assessmentPackageId}` / `{companyId}` of the
# path their description names: we send the folder and SR appends "/<id>" [I: SRO does not say
# how SR builds the call; one place to correct: setup.partner_configuration_body].
PARTNER_CONSENT_DISPLAY_MODE_FIELD = "consentDisplayMode"
# SRO PartnerConfigurationRequest.consentDisplayMode enum: REDIRECT | POPUP [F]. REDIRECT: "End
# users will leave SmartRecruiters and be redirected to the url configured in consentUrl".
PARTNER_CONSENT_DISPLAY_MODES = ("REDIRECT", "POPUP")
PARTNER_CONSENT_DISPLAY_MODE = "REDIRECT"
# SRO PartnerConfigurationRequest.supportedAssessmentTypes: 1-6 items of AssessmentType [F]. We
# declare the type of every package we list (PACKAGE_TYPE) and, because we send
# inlineAssessmentPackageOrderUrl, INLINE_ASSESSMENT (PARTNER_SUPPORTED_ASSESSMENT_TYPES, below).
PARTNER_SUPPORTED_ASSESSMENT_TYPES_FIELD = "supportedAssessmentTypes"
# Master-token scope for GET/PUT /partner/configuration (SRO security oauth2_master) [F].
SCOPE_PARTNER_CONFIGURATION_MANAGE = "partner_configuration_manage"
# Scopes on the tokens OUR token endpoint issues to SR, as SRO's `security` declares them for the
# partner endpoints [F]: GET /packages and /packages/{assessmentPackageId} need packages_view,
# POST /packages/orders and /packages/inline/orders need orders_modify. SRO's `oauth2` scheme lists
# the same permission as `orders_manage` ("Allows creating orders"): the operations' name is the one
# checked; `orders_manage` is accepted as a requested alias (apis.py). DELETE
# /integrations/companies/{companyId} and GET /integration declare no security.
SCOPE_PACKAGES_VIEW = "packages_view"
SCOPE_ORDERS_MODIFY = "orders_modify"
PARTNER_API_SCOPES = (SCOPE_PACKAGES_VIEW, SCOPE_ORDERS_MODIFY)
PARTNER_API_SCOPE_ALIASES = {"orders_manage": SCOPE_ORDERS_MODIFY}
PARTNER_CONFIGURE_COMMAND = "manage.py smartrecruiters_partner_configure"
# The customer's own OAuth app is optional (SRD /docs/integration-workflow: the partner and the
# company credentials are the integration's two levels): only the Webhooks API needs a token of it.
WEBHOOKS_NEED_OAUTH = (
    "Connected through SmartRecruiters' consent: orders, results and the data sync use the company "
    "credentials SmartRecruiters issued. Webhook subscriptions (live candidate updates) need the optional "
    "OAuth sign-in with the customer's own SmartRecruiters app (scope webhooks_manage); until then "
    "JobCannon reads changes with the periodic sync."
)
# The consent page (apis_consent.py) binds a company only with proof that the signed-in workspace
# belongs to it. SR's consent request carries nothing to check (SRO consentUrl: SR adds companyId
# and redirect, no signature; SRD /reference/askforconsent), so the proof is a SmartRecruiters
# credential of the company that GET /configuration/company names the companyId with [I: our rule]:
# - the company's self-serve OAuth client credentials ("OAuth client ID" in SR's Credential Manager,
#   SRD /docs/authentication-oauth-client-credential [F]: any company admin creates them; the
#   token is POST https://api.smartrecruiters.com/identity/oauth/token, grant client_credentials);
# - or the OAuth sign-in of integrations that hold one (kept: existing integrations). SR registers
#   authorization-code apps for partners only, not for customers (help.smartrecruiters.com "Most
#   important facts about OAuth in SmartRecruiters"; README "Who owns the OAuth client").
CONSENT_PROOF_WHY = (
    "SmartRecruiters' Connect link carries only the company id, signed by nothing, so anyone could "
    "open it with another company's id: a SmartRecruiters credential of the company (checked with "
    "SmartRecruiters' GET /configuration/company) is how JobCannon knows it is yours."
)
# Credential Manager, as SR's help and SRD describe it [F] (SRD /docs/authentication-oauth-client-
# credential: "In SmartRecruiters Credential Manager, click the button New Credential and choose the
# option OAuth client ID"; the path to it: Settings → Administration: Apps & Integrations →
# Credentials, 1Password's and learningbank's SmartRecruiters guides, pages corpus). The scopes are
# SRO's `security` for GET /configuration/company (company_read AND configuration_read) [F]; "a
# System role is required" (SRD, same page) [F].
CUSTOMER_CREDENTIALS_WHERE = (
    "In SmartRecruiters (as an administrator): Settings → Apps & Integrations → Credentials → New "
    "Credential → OAuth client ID; give it the scopes company_read and configuration_read and a "
    "System role, click Generate and copy the Client ID and Client secret (SmartRecruiters shows "
    "them once)."
)
CONSENT_NO_APP_CONTACT = (
    "No SmartRecruiters OAuth app is needed: any SmartRecruiters administrator of the company can "
    "create the client credentials. " + CUSTOMER_CREDENTIALS_WHERE
)
CONSENT_SIGN_IN_FIRST = (
    "JobCannon connects a SmartRecruiters company only to a workspace that shows a SmartRecruiters "
    "credential of it, and this workspace has none for company {company_id} yet. "
    + CONSENT_PROOF_WHY
    + " Paste the Client ID and Client secret of company {company_id}'s client credentials below and "
    "allow it: JobCannon creates the integration once SmartRecruiters confirms they belong to company "
    "{company_id}. " + CONSENT_NO_APP_CONTACT
)
CONSENT_INTEGRATION_SIGN_IN_FIRST = (
    "This SmartRecruiters integration holds no SmartRecruiters credential of company {company_id} "
    "(no client credentials, no OAuth sign-in), so nothing shows that the company is yours. "
    + CONSENT_PROOF_WHY
    + " Paste the company's SmartRecruiters Client ID and Client secret below and allow it. "
    + CONSENT_NO_APP_CONTACT
)
CONSENT_COMPANY_UNCONFIRMED = (
    "JobCannon could not ask SmartRecruiters which company this integration's credentials belong to "
    "({reason}), so company {company_id} was not connected. Try again in a moment; if it keeps "
    "failing, check the client credentials (or re-authorize the integration) first."
)
CONSENT_COMPANY_ELSEWHERE = (
    "SmartRecruiters company {company_id} is connected to another JobCannon workspace. A company "
    "connects to one workspace: use that workspace, or ask its admins to disconnect SmartRecruiters "
    "there first."
)
OAUTH_SIGN_IN_HELP = (
    "Optional. Only for the Webhooks API subscriptions (live candidate updates) and integrations that "
    "already sign in this way: SmartRecruiters registers OAuth sign-in apps for partners, not for "
    "customers. Orders, results and the data sync use the credentials SmartRecruiters issues when you "
    "connect JobCannon in Settings → Apps & Integrations."
)
PARTNER_CONFIGURATION_MISSING_FIX = (
    "SmartRecruiters does not know where JobCannon's partner endpoints are yet (no partner "
    f"configuration): a JobCannon operator runs `{PARTNER_CONFIGURE_COMMAND}` (it saves the consent, "
    "packages, orders, token and removal URLs with JobCannon's partner credentials), then the company "
    "connects JobCannon again in SmartRecruiters' Apps & Integrations."
)
# A candidate's place in a job's pipeline, as SR publishes it: the assignment's `status`, SRO
# components.schemas.CandidateStatusEnum [F] (vendor; test_published_list_shapes.py holds this equal
# to it, order kept), plus a free-text `subStatus` (the company's own steps, e.g. "Assessment").
# SR publishes no per-job stages: SRO's Job has no hiring process, and GET
# /configuration/hiring-processes (Configuration API, OCM; SR's python client's HiringProcess
# {id, name, active, subStatuses: {IN_REVIEW, INTERVIEW, OFFERED: [names]}}) lists the company's
# processes without saying which job follows which. So every job's stages are these statuses
# (sync.job_records) and the sub-status goes into the application's stage title.
# Each with how we show it [I: our wording; SRO gives the enum values only].
CANDIDATE_STATUS_LABELS = {
    "LEAD": "Lead",
    "NEW": "New",
    "IN_REVIEW": "In review",
    "INTERVIEW": "Interview",
    "OFFERED": "Offered",
    "HIRED": "Hired",
    "REJECTED": "Rejected",
    "WITHDRAWN": "Withdrawn",
    "TRANSFERRED": "Transferred",
}
CANDIDATE_STATUSES = tuple(CANDIDATE_STATUS_LABELS)
# SR sends the results URL with each order (resultCallbackURL); the attachment URL is that URL +
# "/attachment", as SRO's two paths are.
RESULTS_ATTACHMENT_SUFFIX = "/attachment"
# SRO PackageResult.status [F] (a test holds it equal to the vendor file's enum).
RESULT_STATUSES = ("IN_PROGRESS", "PENDING", "COMPLETED", "REJECTED", "EXPIRED")
# Sent (PATCH {"status": "IN_PROGRESS"}) when the candidate starts: SR does not move an order's
# status by itself; the partner reports it through the same results endpoint [F: the value is
# SRO's; that SR shows it on the candidate profile until the result is [I]].
RESULT_STATUS_STARTED = "IN_PROGRESS"
# A scored run, and each of its dimensions (AssessmentResult.status: the same enum [F]).
RESULT_STATUS_COMPLETED = "COMPLETED"
# SRO Attachment.type [F].
ATTACHMENT_TYPES = ("VIDEO_URL", "PDF_URL", "OTHER_URL")
# addAttachmentToOrder's multipart part name is not in SRO (its schema is a bare string):
# "attachment", as the legacy Marketplace API names it (reference §2.3) [I].
ATTACHMENT_PART = "attachment"
PACKAGE_PREFIX = "jobcannon-"  # package id = PACKAGE_PREFIX + instrument key
# SRO AssessmentType: VIDEO_INTERVIEW | BEHAVIORAL_ASSESSMENT | BACKGROUND_CHECK | REFERENCE_CHECK |
# SKILL_TEST | INLINE_ASSESSMENT [F]; JobCannon's personality instruments are behavioural.
PACKAGE_TYPE = "BEHAVIORAL_ASSESSMENT"
# SRO AssessmentType's INLINE_ASSESSMENT [F] (vendor/assessment_api_2021.openapi.json
# components.schemas.AssessmentType). SRO ties inlineAssessmentPackageOrderUrl to no type, so
# whether SR would route in-line orders to a partner that does not declare it is unpublished:
# declaring it costs one item of the 1-6 allowed, and the built-in sandbox sends in-line orders
# only to a partner that declares it (simulator_calls.inline_order_deliver).
INLINE_ASSESSMENT_TYPE = "INLINE_ASSESSMENT"
# Declared whenever setup.partner_configuration_body sends inlineAssessmentPackageOrderUrl.
PARTNER_SUPPORTED_ASSESSMENT_TYPES = (PACKAGE_TYPE, INLINE_ASSESSMENT_TYPE)
# Hosts the consent page sends the admin back to (SR's `redirect` parameter) [I: SR's own domain;
# SRO does not name the host of the redirect URL].
CONSENT_REDIRECT_HOSTS = ("smartrecruiters.com",)
PARTNER_TOKEN_SECONDS = 3600
PARTNER_CLIENT_PREFIX = "jcsr_"
DEFAULT_DUE_DAYS = 7
TRIGGER_AUTO = "auto"
TRIGGER_MANUAL = "manual"

# Result values a scorecard field (SR candidate property) can be filled with.
SCORECARD_SOURCES = {
    "overall_score": "Overall score (0-100)",
    "score_label": "Score label (72/100)",
    "summary": "Summary",
    "report_url": "Report link",
    "instrument": "Assessment name",
}

# --- The customer's self-serve client credentials (the consent page's proof of the company) ------
# SRD /docs/authentication-oauth-client-credential [F]: a company admin generates "OAuth client ID"
# credentials in SR's Credential Manager (Client ID + Client secret, shown once, a System role
# required) and exchanges them at POST https://api.smartrecruiters.com/identity/oauth/token with
# grant_type=client_credentials (CLIENT_CREDENTIALS_TOKEN_URL). unified.to's SmartRecruiters skill
# (docs corpus) [2nd]: "customer-generated OAuth Client Credentials (self-serve, Administrator-only,
# per-company)". SR's API key (X-SmartToken, SRD /docs/authentication-api-key) is self-serve too
# but "provide[s] full access to the organization's resources": not asked for.
CUSTOMER_CLIENT_ID = "customer_client_id"
CUSTOMER_CLIENT_SECRET = "customer_client_secret"
# What the proof call needs: SRO Configuration_getCompanyInformation `security` oauth scopes [F].
CUSTOMER_CREDENTIAL_SCOPES = (SCOPE_COMPANY_READ, SCOPE_CONFIGURATION_READ)
# SRO components.schemas.CompanyConfiguration [F]: `identifier` ("Identifier of a company."), `name`.
# That it equals the companyId SR puts in the consent URL is [I] (the sandbox makes them equal).
CUSTOMER_CREDENTIALS_HELP = (
    "The company's own SmartRecruiters client credentials: JobCannon uses them only to ask "
    "SmartRecruiters which company they belong to (GET /configuration/company), the proof the "
    "consent page needs. " + CUSTOMER_CREDENTIALS_WHERE
)
CONSENT_CUSTOMER_CREDENTIALS_MISSING = (
    "Enter both the Client ID and the Client secret of the company's SmartRecruiters client "
    "credentials. " + CUSTOMER_CREDENTIALS_WHERE
)
CONSENT_CUSTOMER_CREDENTIALS_REFUSED = (
    "SmartRecruiters did not accept this Client ID and Client secret ({reason}). Check that you "
    "copied both from the same credential (Settings → Apps & Integrations → Credentials; the secret "
    "is shown only once: generate a new credential if it was lost), that the credential was not "
    "revoked, and that it belongs to company {company_id}."
)
CONSENT_CUSTOMER_CREDENTIALS_SCOPE = (
    "SmartRecruiters accepted the client credentials but refused GET /configuration/company "
    "({reason}): the credential needs the scopes company_read and configuration_read and a System "
    "role that may read the company settings. Edit it in Settings → Apps & Integrations → "
    "Credentials (or generate a new one), then allow again."
)
CONSENT_CUSTOMER_CREDENTIALS_OTHER_COMPANY = (
    "These SmartRecruiters client credentials belong to company {found}, not {company_id}: create "
    "the credentials while signed in to SmartRecruiters company {company_id}, or open the Connect "
    "link of company {found}."
)
