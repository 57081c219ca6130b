"""Lever: wire names, URLs and limits.

Two sources disagree and we support both (README.md in this folder lists every difference):
- seed 004 (JobCannon's customer guide): Bearer API key, `POST /v1/webhooks` with `triggers`,
  dotted events (`application.created`), `X-Lever-Signature` = HMAC-SHA256(secret, raw body);
- the real Lever API (https://hire.lever.co/developer/documentation): Basic auth with the key as
  username, OAuth at auth.lever.co with an `audience`, one webhook per camelCase event, and the
  signature inside the body: HMAC-SHA256(signatureToken, token + triggeredAt)."""

from collections.abc import Collection
from datetime import timedelta

# https://hire.lever.co/developer/documentation#api-server ; EU and sandbox hosts come from
# community connectors (reference §1.1 marks them [2nd]).
API_BASE_US = "https://api.lever.co/v1"
API_BASE_EU = "https://api-eu.lever.co/v1"
API_BASE_SANDBOX = "https://api.sandbox.lever.co/v1"

# https://hire.lever.co/developer/oauth ; the sandbox tenant has its own Auth0 domain.
AUTHORIZE_URL = "https://auth.lever.co/authorize"
TOKEN_URL = "https://auth.lever.co/oauth/token"
SANDBOX_AUTHORIZE_URL = "https://sandbox-lever.auth0.com/authorize"
SANDBOX_TOKEN_URL = "https://sandbox-lever.auth0.com/oauth/token"
# Required on /authorize, trailing slash included (LD: "audience=https://api.lever.co/v1/").
AUDIENCE = "https://api.lever.co/v1/"
SANDBOX_AUDIENCE = "https://api.sandbox.lever.co/v1/"

# Seed 004 Step 1: the scopes a customer gives the API key.
SEED_SCOPES = ("applications:read", "applications:write", "feedback:write", "opportunities:read")
# Lever's assessment recipe (https://hire.lever.co/developer/usecases) plus feedback forms.
OAUTH_SCOPES = (
    "offline_access",
    "opportunities:read:admin",
    "stages:read:admin",
    "postings:read:admin",
    "users:read:admin",
    "webhooks:read:admin",
    "webhooks:write:admin",
    "feedback:read:admin",
    "feedback:write:admin",
    "feedback_templates:read:admin",
    "feedback_templates:write:admin",
    "notes:write:admin",
)

# operation -> (seed API-key scope, real OAuth scope) it needs, so a 403 names what is missing.
OPERATION_SCOPES: dict[str, tuple[str, str]] = {
    "opportunities.list": ("opportunities:read", "opportunities:read:admin"),
    "opportunities.get": ("opportunities:read", "opportunities:read:admin"),
    "stages.list": ("opportunities:read", "stages:read:admin"),
    "postings.list": ("opportunities:read", "postings:read:admin"),
    "users.list": ("applications:read", "users:read:admin"),
    "webhooks.list": ("applications:write", "webhooks:read:admin"),
    "webhooks.create": ("applications:write", "webhooks:write:admin"),
    "feedback_templates.list": ("feedback:write", "feedback_templates:read:admin"),
    "feedback_templates.create": ("feedback:write", "feedback_templates:write:admin"),
    "feedback.create": ("feedback:write", "feedback:write:admin"),
    "feedback.get": ("feedback:write", "feedback:read:admin"),
    "feedback.list": ("feedback:write", "feedback:read:admin"),
    "notes.create": ("applications:write", "notes:write:admin"),
}

# The fix for "Invalid API key or insufficient scopes", word for word from seed 004.
INVALID_KEY_TITLE = "Invalid API key or insufficient scopes"
INVALID_KEY_FIX = (
    "Verify the Bearer token hasn't expired (tokens in Lever last 1 year)",
    "Regenerate the API key in Lever settings if expired",
    "Ensure scopes include `applications:write` and `feedback:write`",
)
FEEDBACK_404_EXPLANATION = (
    "Feedback form creation failed (404): the opportunity or application doesn't exist in Lever. "
    "Verify the opportunity exists in Lever, that it has at least one active application, and that "
    "the application is not rejected or marked as spam."
)
SIGNATURE_FAILED = "Webhook signature validation failed"

# Keys last a year (seed 004 Common Errors); warn this long before.
API_KEY_LIFETIME = timedelta(days=365)
API_KEY_WARN_BEFORE = timedelta(days=30)

# Webhooks. Real Lever takes one webhook per camelCase event: LD "Create a Webhook",
# https://hire.lever.co/developer/documentation, "Create a Webhook": `POST /webhooks` with
# {"url", "event", "configuration"?}, `event` "One of the available webhook triggers" below.
# Seed 004 Step 2's body {"url", "triggers": ["application.created", "opportunity.created"]} is
# not a Lever request (Lever answers 400): we never send it. The seed's dotted names are kept
# only as aliases we accept on receipt (webhooks.EVENT_HANDLERS), for senders that use them.
SIGNATURE_HEADER = "X-Lever-Signature"
EVENT_APPLICATION_CREATED_SEED = "application.created"
EVENT_OPPORTUNITY_CREATED_SEED = "opportunity.created"
EVENT_APPLICATION_CREATED = "applicationCreated"
EVENT_CANDIDATE_STAGE_CHANGE = "candidateStageChange"
EVENT_CANDIDATE_HIRED = "candidateHired"
EVENT_CANDIDATE_ARCHIVE_CHANGE = "candidateArchiveChange"
EVENT_CANDIDATE_DELETED = "candidateDeleted"
# LD "Create a Webhook", parameter `event`: every trigger Lever documents.
LEVER_WEBHOOK_EVENTS = (
    EVENT_APPLICATION_CREATED,
    EVENT_CANDIDATE_HIRED,
    EVENT_CANDIDATE_STAGE_CHANGE,
    EVENT_CANDIDATE_ARCHIVE_CHANGE,
    EVENT_CANDIDATE_DELETED,
    "interviewCreated",
    "interviewUpdated",
    "interviewDeleted",
    "contactCreated",
    "contactUpdated",
)
# LD "Event configuration": conditions (candidate origins) only on these events.
CONFIGURABLE_EVENTS = (
    EVENT_APPLICATION_CREATED,
    EVENT_CANDIDATE_ARCHIVE_CHANGE,
    EVENT_CANDIDATE_HIRED,
    EVENT_CANDIDATE_STAGE_CHANGE,
)
# The events we register on connect, one webhook each, in this order: new applications and stage
# changes drive auto-send; hired, archive change and deleted keep the synced copy current (a
# deleted candidate's data goes from ours at once).
REGISTERED_EVENTS = (
    EVENT_APPLICATION_CREATED,
    EVENT_CANDIDATE_STAGE_CHANGE,
    EVENT_CANDIDATE_HIRED,
    EVENT_CANDIDATE_ARCHIVE_CHANGE,
    EVENT_CANDIDATE_DELETED,
)
# LD "Create a Webhook": "A Super Admin will need to toggle-on the webhook group (ie: 'Candidate
# Stage Change') on the webhooks page in their account settings for the data to begin sending."
# A webhook we register through the API sends nothing until its group is switched on.
WEBHOOK_GROUPS_TITLE = "Webhook groups switched on in Lever"
WEBHOOK_GROUPS_FIX = (
    "Lever sends nothing until a Lever Super Admin switches on each webhook group in Settings → "
    "Integrations and API → Webhooks (Lever's developer documentation: “A Super Admin will need to "
    "toggle-on the webhook group (ie: 'Candidate Stage Change') on the webhooks page in their account "
    "settings for the data to begin sending”): Application created, Candidate stage change, Candidate "
    "hired, Candidate archive state change and Candidate deleted."
)
# Webhooks Subscription API (POST /webhooks) refused with 403: Lever enables it on "select Lever
# packages" only (https://help.lever.co/hc/en-us/articles/4402565460237); without it a Super Admin
# configures each webhook in Settings → Integrations and API → Webhooks and copies its signature
# token (LD 403: "Your Lever account settings don't authorize you to perform the requested
# operation"). The events, as Lever's settings page names them:
MANUAL_EVENTS = (
    ("Application created", EVENT_APPLICATION_CREATED),
    ("Candidate stage change", EVENT_CANDIDATE_STAGE_CHANGE),
    ("Candidate hired", EVENT_CANDIDATE_HIRED),
    ("Candidate archive state change", EVENT_CANDIDATE_ARCHIVE_CHANGE),
    ("Candidate deleted", EVENT_CANDIDATE_DELETED),
)
WEBHOOKS_API_FORBIDDEN = "Lever did not let JobCannon register webhooks"
# The other cause of that 403: credentials without the webhooks permission. A real Lever API key
# has no `applications:write` (seed 004's name): its permissions are Lever's endpoints, picked when
# a Super Admin generates the key (LD FAQ "How do I get an API Key?": "Select the desired endpoints
# from the list of all our endpoints", https://hire.lever.co/developer/support; Lever help centre,
# "Generating and using API credentials", https://help.lever.co/hc/en-us/articles/20087297592477).
# The webhooks endpoints as LH lists them: "List Webhooks", "Create Webhook". OAuth: LD's scope
# list, `webhooks:read:admin` and `webhooks:write:admin` (OPERATION_SCOPES).
# The calls of the Webhooks Subscription API, as OutboundCall.operation names them.
WEBHOOKS_OPERATIONS = ("webhooks.list", "webhooks.create")
# operation -> the Lever endpoint it calls, by the name a real key's permission list gives it: LD's
# API reference headings ("Retrieve a single opportunity", "List all opportunities", "List all
# postings", "List all feedback templates", "Create a feedback template" are in its table of
# contents; the stages, users, feedback and notes ones follow the same pattern) and LH's webhooks
# endpoints. [2nd] as labels: the key screen's own wording is unverified (README, "Key scopes").
OPERATION_ENDPOINTS: dict[str, str] = {
    "opportunities.list": "List all opportunities",
    "opportunities.get": "Retrieve a single opportunity",
    "stages.list": "List all stages",
    "postings.list": "List all postings",
    "users.list": "List all users",
    "webhooks.list": "List Webhooks",
    "webhooks.create": "Create Webhook",
    "feedback_templates.list": "List all feedback templates",
    "feedback_templates.create": "Create a feedback template",
    "feedback.create": "Create a feedback form",
    "feedback.get": "Retrieve a feedback form",
    "feedback.list": "List all feedback",
    "notes.create": "Create a note",
}
WEBHOOKS_KEY_PERMISSIONS = tuple(OPERATION_ENDPOINTS[op] for op in WEBHOOKS_OPERATIONS)


def seed_scope_endpoints(scope: str) -> tuple[str, ...]:
    """The Lever endpoints a key needs for what seed 004 calls `scope` (OPERATION_SCOPES)."""
    return tuple(
        dict.fromkeys(OPERATION_ENDPOINTS[op] for op, (seed, _) in OPERATION_SCOPES.items() if seed == scope)
    )


PLAN_WITHOUT_WEBHOOKS_API = (
    "this Lever account's plan does not include the Webhooks Subscription API (Lever enables it on "
    "select packages)"
)


def webhooks_forbidden_causes(auth_kind: str, granted: Collection[str] | None = None) -> str:
    """What a 403 from the webhooks endpoints can mean (README, "Webhook registration refused").
    An API key's permissions cannot be read, so both causes are named, with the fix for the
    second. An OAuth grant can (`granted`, Token.scopes_granted): with both webhooks scopes
    granted the plan is the cause; otherwise the missing ones are named with their fix. Unknown
    (`None`, no token yet): both causes."""
    plan = PLAN_WITHOUT_WEBHOOKS_API[0].upper() + PLAN_WITHOUT_WEBHOOKS_API[1:]
    scopes = [OPERATION_SCOPES[op][1] for op in WEBHOOKS_OPERATIONS]
    if auth_kind == "oauth2" and granted is not None:
        missing = [s for s in scopes if s not in set(granted)]
        if not missing:
            named = " and ".join(f"`{s}`" for s in scopes)
            return (
                f"{plan}: the authorization granted both webhooks scopes ({named}), so the plan is the cause."
            )
        named = " and ".join(f"`{s}`" for s in missing)
        return (
            f"The authorization lacks {named}: Re-authorize the integration and approve "
            f"{'them' if len(missing) > 1 else 'it'}. If Lever still answers 403, {PLAN_WITHOUT_WEBHOOKS_API}."
        )
    if auth_kind == "oauth2":
        return f"{plan}, or the authorization lacks the `{scopes[0]}` and `{scopes[1]}` scopes."
    endpoints = " and ".join(f"“{name}”" for name in WEBHOOKS_KEY_PERMISSIONS)
    return (
        f"{plan}, or the API key was generated without Lever's webhooks endpoints {endpoints} "
        f"(`{OPERATION_SCOPES['webhooks.create'][0]}` in JobCannon's setup guide). If your plan has the "
        "Webhooks Subscription API, generate a key that includes the webhooks endpoints and press "
        "“Test credentials now”: JobCannon then registers the webhooks itself."
    )


WEBHOOKS_MANUAL_FIX = (
    "The connection works; set the webhooks up by hand: a Lever Super Admin opens Settings → "
    "Integrations and API → Webhooks, enters this integration's webhook URL for "
    + ", ".join(label for label, _ in MANUAL_EVENTS)
    + ", switches them on, and pastes the signature token Lever shows for each webhook (one per "
    "webhook; several at once, separated by spaces) on JobCannon's Lever settings page."
)
# Why the checklist's "Required scopes granted" does not count that 403 (provider.explained_refusals):
# whichever it means, the webhooks are made by hand and JobCannon needs neither.
WEBHOOKS_MANUAL_NOT_A_SCOPE = (
    "Lever refused to register webhooks (no Webhooks Subscription API on this plan, or no webhooks "
    "permission on the credentials): they are set up by hand in Lever instead, so JobCannon needs neither."
)
# ...and after the switch back to the API (a plan upgrade, or a key with the webhooks endpoints),
# the 403s from before it: the webhooks are registered through the API now.
WEBHOOKS_REFUSED_BEFORE_API = (
    "Lever refused it before {when}, while the webhooks were set up by hand; since then JobCannon "
    "registers them through Lever's API again, so the permission is there now."
)

# Replays and retries. LD "Request signing": "cache the token value locally and not honor any
# subsequent request with the same token"; the dedupe key is therefore the signed `token` (never
# the unsigned body `id`). LD "Responding to a webhook": a failed delivery is retried "five times,
# waiting longer and longer in between tries", and a retry keeps its original token and
# triggeredAt; LD "Webhooks delivery history": deliveries "from the past two weeks" can be
# "rerun manually", again as sent. Lever publishes no retry intervals, so the longest it can
# resend a request is those two weeks: a token we have never processed is accepted while its
# triggeredAt is that recent. https://hire.lever.co/developer/documentation#webhooks
RETRY_WINDOW = timedelta(days=14)
# triggeredAt ahead of our clock: only clock skew, never a retry.
FUTURE_SKEW = timedelta(minutes=5)

# Feedback template we create (LD: "required to have exactly one field of type score-system").
FEEDBACK_TEMPLATE_NAME = "JobCannon Assessment"
SCORE_OPTIONS = ("4 - Strong Hire", "3 - Hire", "2 - No Hire", "1 - Strong No Hire")
DEFAULT_DUE_DAYS = 7
WRITEBACK_MODES = (
    ("feedback", "Feedback form"),
    ("feedback+note", "Feedback form and a note"),
    ("note", "Note only"),
)
