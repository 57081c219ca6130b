"""SmartRecruiters: wire names, URLs and limits.

Two sources disagree and we support both (README.md in this folder lists every difference):
- seed 001 (JobCannon's customer guide): OAuth 2.0 three-legged with colon scopes,
  `POST /v1/webhooks/subscriptions` with `targetUrl` + custom headers, an
  `X-SmartRecruiters-Signature` = hex HMAC-SHA256(secret, raw body), 100 requests/second;
- the real vendor (https://developers.smartrecruiters.com, reference §2): the Webhooks API
  v201907 with the `X-Hook-Secret` activation handshake and `smartrecruiters-signature: v1=<hex>`
  over `timestamp.body.event-id.event-name.event-version.link`, the Assessment API (2021) where
  SmartRecruiters orders packages from our partner endpoints, 10 requests/second."""

from datetime import timedelta

KEY = "smartrecruiters"

# --- Hosts ------------------------------------------------------------------------------------
# https://api.smartrecruiters.com (SRD); api.sandbox.smartrecruiters.com is what SR's sandbox
# clients use [2nd]. SR documents no separate EU API host: the EU entries are our assumption [I]
# and every host can be overridden per integration (provider_settings["api_base_url"]).
API_BASES: dict[tuple[str, str], str] = {
    ("production", "us"): "https://api.smartrecruiters.com",
    ("production", "eu"): "https://api.eu.smartrecruiters.com",
    ("sandbox", "us"): "https://api.sandbox.smartrecruiters.com",
    ("sandbox", "eu"): "https://api.sandbox.eu.smartrecruiters.com",
}
# OAuth authorization code (smartrecruiters/passport-smartrecruiters lib/strategy.js). The seed's
# sandbox lives at sandbox.smartrecruiters.com.
OAUTH_HOSTS = {
    "production": "https://www.smartrecruiters.com",
    "sandbox": "https://sandbox.smartrecruiters.com",
}
AUTHORIZE_PATH = "/identity/oauth/allow"
TOKEN_PATH = "/identity/oauth/token"

# --- OAuth --------------------------------------------------------------------------------------
# Seed 001 Step 1, in this order. Real SR scopes are underscore style (candidates_read,
# webhooks_manage...): provider_settings["oauth_scopes"] replaces this list for such an app.
SCOPES = (
    "candidates:read",
    "candidates:write",
    "assessments:read",
    "assessments:write",
    "custom_fields:read",
)
SCOPE_RESULTS_WRITE = "assessments:write"
REFRESH_TOKEN_DAYS = 730  # seed 001 Step 3: "a refresh token valid for 2 years"
REFRESH_TOKEN_WARN_DAYS = 548  # the console warns at 1.5 years, six months before it lapses
ACCESS_TOKEN_SECONDS = 1800

# The fixes for the seed's Common Errors, word for word where the seed has words.
REDIRECT_URI_ERROR = "Invalid OAuth redirect URI"
PERMISSION_403_TITLE = "Assessment delivery failed (403 Forbidden)"
PERMISSION_403_FIX = (
    "SmartRecruiters refused the result (403 Forbidden): the OAuth scopes don't include "
    "assessments:write. Check the integration scopes in SmartRecruiters, then re-authorize and "
    "approve all required scopes. The failed delivery is retried automatically after re-authorization."
)
SCOPE_MISSING_WARNING = (
    "SmartRecruiters did not grant assessments:write: results cannot be written back until you "
    "re-authorize and approve all required scopes."
)

# --- Rate limits ----------------------------------------------------------------------------
# Seed 001: "100 requests per second with no stated burst limit". The real API allows 10 req/s
# per credential with 8 concurrent requests (SRD /docs/rate-limiting, reference §2.5): for a real
# tenant set settings.ATS_RATE_LIMITS = {"smartrecruiters": {"per_second": 10, "burst": 11}} or
# the integration's provider_settings["rate_limit"] (both read by the shared limiter).
RATE_LIMIT_PER_SECOND = 100
RATE_LIMIT_BURST = 105

# --- Webhooks ---------------------------------------------------------------------------------
EVENT_ASSESSMENT_COMPLETED = "candidate.assessment.completed"  # seed 001 Step 2
# An order delivered as a webhook (the legacy Marketplace "assessment notification", §2.3) [I: name].
EVENT_ASSESSMENT_ORDERED = "candidate.assessment.ordered"
EVENT_HANDSHAKE = "webhook.handshake"  # our name for the X-Hook-Secret activation call
EVENT_VERSION = "v202107"
SUBSCRIBED_EVENTS = (EVENT_ASSESSMENT_COMPLETED, EVENT_ASSESSMENT_ORDERED)
# Real events we may be subscribed to by a customer but do not act on.
IGNORED_EVENTS = (
    "candidate.created",
    "candidate.updated",
    "application.created",
    "application.status.updated",
)

# SR has no ping: the sandbox's on-demand test delivery is a real event we receive and ignore.
TEST_EVENT = "candidate.updated"

WEBHOOK_API_VENDOR = "webhooks-api"  # POST /webhooks-api/v201907/subscriptions + handshake + v1 signature
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

# --- Assessment API (2021) ----------------------------------------------------------------------
ASSESSMENT_API = "/assessment-api/v202010"
ORDERS_API = "/assessment-api/v202107/assessment-orders"
PACKAGE_PREFIX = "jobcannon-"  # package id = PACKAGE_PREFIX + instrument key
PACKAGE_TYPE = "BEHAVIORAL_ASSESSMENT"  # legacy offer terms type (reference §2.3)
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
