"""Ashby wire names and fixed values.

Sources: seed 000 (customer setup guide), seed 002 (API guide) and ../shared/reference/ashby-api.md
(the real API: https://developers.ashbyhq.com/reference). Where they disagree both are supported;
README.md in this folder lists every difference and which side each piece of code follows.
"The spec" below is Ashby's OpenAPI as a third-party mirror carries it (api-evangelist/ashby-hq,
"This is not our API"; openapi/_original/ashby-openapi.yml @ d26d10dd; extracts and what was
cross-checked against Ashby's own pages in tests/fixtures/ashby/openapi/README.md)."""

import uuid

# Real API: RPC-style `POST https://api.ashbyhq.com/<object>.<method>` (reference §3.1). A sandbox is a
# separate Ashby workspace with its own credentials on the same API host; the seed's
# test.ashbyhq.com is where its admins sign in, so sandbox OAuth consent goes there.
API_BASE = "https://api.ashbyhq.com"
OAUTH_HOSTS = {"production": "https://app.ashbyhq.com", "sandbox": "https://test.ashbyhq.com"}
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_URL = "https://api.ashbyhq.com/oauth/token"
# Ashby documents the `version=1` media type parameter (reference §3.1).
ACCEPT = "application/json; version=1"
REQUEST_ID_HEADER = "x-ashby-request-id"

# Seed 000, "Create an Integration": the four scopes, and a refresh token "valid for 2 years".
SCOPE_CANDIDATE_WRITE = "candidate:write"
SCOPE_CANDIDATE_READ = "candidate:read"
SCOPE_WEBHOOK_WRITE = "webhook:write"
SCOPE_ASSESSMENT_READ = "assessment:read"
SCOPES = (SCOPE_CANDIDATE_WRITE, SCOPE_CANDIDATE_READ, SCOPE_WEBHOOK_WRITE, SCOPE_ASSESSMENT_READ)
REFRESH_TOKEN_LIFETIME_DAYS = 730
REFRESH_TOKEN_WARN_DAYS = 548  # seed 000: "refresh if >1.5 years old"

# Ashby API endpoints our client calls.
EP_API_KEY_INFO = "apiKey.info"
EP_WEBHOOK_CREATE = "webhook.create"
EP_WEBHOOK_DELETE = "webhook.delete"
EP_ASSESSMENT_UPDATE = "assessment.update"
EP_CANDIDATE_CREATE_NOTE = "candidate.createNote"
EP_CANDIDATE_INFO = "candidate.info"
# Data sync (seed 002 §4, reference §3.4): `.list` endpoints page with cursor/nextCursor/
# moreDataAvailable; those with `syncToken` also sync incrementally. interviewStage.list takes one
# interviewPlanId and pages neither way.
EP_JOB_LIST = "job.list"
EP_JOB_INFO = "job.info"
EP_INTERVIEW_PLAN_LIST = "interviewPlan.list"
EP_INTERVIEW_STAGE_LIST = "interviewStage.list"
EP_CANDIDATE_LIST = "candidate.list"
EP_APPLICATION_LIST = "application.list"
EP_APPLICATION_INFO = "application.info"
SYNC_PAGE_LIMIT = 100  # "The maximum and default value is 100" (reference §3.2)
# `expand` where it saves a call per record: the job's location inline instead of location.info.
JOB_EXPAND = ("location",)
CODE_SYNC_TOKEN_EXPIRED = "sync_token_expired"  # third-party only; any success:false counts (§"Not found" 2)

# Webhook actions. Seed 000 names two dotted events; the real API uses camelCase actions and has
# no assessment-completion webhook (reference §2). The seed names are accepted when delivered (an
# alias), never registered: webhook.create only takes WEBHOOK_TYPES.
EVENT_CANDIDATE_CREATED = "candidate.created"
EVENT_ASSESSMENT_COMPLETED = "assessment.completed"
EVENT_APPLICATION_SUBMIT = "applicationSubmit"
EVENT_PING = "ping"
# Real actions that refresh the synced copy (reference §2, "Notable payloads").
EVENT_APPLICATION_UPDATE = "applicationUpdate"
EVENT_CANDIDATE_STAGE_CHANGE = "candidateStageChange"
EVENT_CANDIDATE_HIRE = "candidateHire"
EVENT_CANDIDATE_DELETE = "candidateDelete"
EVENT_CANDIDATE_MERGE = "candidateMerge"
EVENT_JOB_CREATE = "jobCreate"
EVENT_JOB_UPDATE = "jobUpdate"
# Registered for the data sync (webhook.create's webhookType enum, reference §2): each refreshes
# one synced record. jobCreate/jobUpdate are not offered by webhook.create.
SYNC_WEBHOOKS = (
    EVENT_APPLICATION_SUBMIT,
    EVENT_APPLICATION_UPDATE,
    EVENT_CANDIDATE_STAGE_CHANGE,
    EVENT_CANDIDATE_HIRE,
    EVENT_CANDIDATE_DELETE,
    EVENT_CANDIDATE_MERGE,
)
# The spec, /webhook.create requestBody `webhookType` enum: the only types Ashby registers.
WEBHOOK_TYPES = frozenset(
    {
        "applicationSubmit",
        "applicationUpdate",
        "candidateHire",
        "candidateStageChange",
        "candidateDelete",
        "candidateMerge",
        "interviewPlanTransition",
        "interviewScheduleCreate",
        "interviewScheduleUpdate",
        "jobPostingUpdate",
        "jobPostingPublish",
        "jobPostingUnpublish",
        "offerCreate",
        "offerUpdate",
        "offerDelete",
        "pushToHRIS",
        "surveySubmit",
    }
)
# What the assessments need registered: applicationSubmit, the real counterpart of seed 000's
# candidate.created ("used for logging"). Seed 000's assessment.completed has no counterpart in
# the enum: results reach Ashby through assessment.update, whose answer confirms them.
WEBHOOK_SUBSCRIPTIONS: tuple[str, ...] = (EVENT_APPLICATION_SUBMIT,)
# Seed 000 name -> the real type registered in its place ("" = none exists).
SEED_WEBHOOK_ALIASES = {EVENT_CANDIDATE_CREATED: EVENT_APPLICATION_SUBMIT, EVENT_ASSESSMENT_COMPLETED: ""}
# Real actions we receive but have nothing to do for (answered 200, status "ignored").
IGNORED_ACTIONS = frozenset(
    {
        EVENT_PING,
        "interviewPlanTransition",
        "interviewScheduleCreate",
        "interviewScheduleUpdate",
        "jobPostingUpdate",
        "jobPostingPublish",
        "jobPostingUnpublish",
        "offerCreate",
        "offerDelete",
        "offerUpdate",
        "openingCreate",
        "pushToHRIS",
        "signatureRequestUpdate",
        "surveySubmit",
    }
)

# Webhook signatures: real `Ashby-Signature: sha256=<hex>`; seed `X-Ashby-Webhook-Signature` (hex,
# optionally sha256= prefixed). Both are HMAC-SHA256 over the raw body.
SIGNATURE_HEADER = "Ashby-Signature"
SEED_SIGNATURE_HEADER = "X-Ashby-Webhook-Signature"
SCHEME_REAL = "ashby-signature-sha256"
SCHEME_SEED = "x-ashby-webhook-signature"
SCHEME_SEED_CLIENT_SECRET = "x-ashby-webhook-signature/client-secret"

# assessment.update blob types (reference §1.7).
BLOB_NUMERIC = "numeric_score"
BLOB_DURATION = "numeric_duration_minutes"
BLOB_URL = "url"
BLOB_STRING = "string"
BLOB_BOOLEAN = "boolean_success"

# Outbox message kinds.
KIND_ASSESSMENT_UPDATE = "assessment.update"
KIND_SCORECARD = "candidate.scorecard"

# candidate.createNote, the spec: "For notes submitted with a type of text/html, we support the
# elements listed below. Any unsupported elements will be stripped out".
NOTE_HTML_TAGS = frozenset({"b", "i", "u", "a", "ul", "ol", "li", "code", "pre"})

# Partner API: custom fields offered in assessment.customField.list (reference §1.6).
FIELD_DUE_DATE = "due_date"
FIELD_EMAIL_TEMPLATE = "email_template"
PARTNER_KEY_PREFIX = "jcash"
# The spec declares assessment_type_id `format: uuid` (assessment.list results, assessment.start
# request). Ours are uuid5(namespace, "<workspace id>:<instrument key>"): stable per workspace and
# instrument without a table. Never change the namespace: Ashby keeps the ids in interview plans.
ASSESSMENT_TYPE_NAMESPACE = uuid.UUID("8f410e3c-3611-5fa6-8551-256e562cb85b")

# Error codes Ashby puts in `errors[]` / `errorInfo.code` (reference §3.3).
CODE_MISSING_PERMISSION = "missing_endpoint_permission"
# API-key module permissions: each endpoint's "Requires the `<permission>` permission" in the spec.
PERMISSION_API_KEYS_READ = "apiKeysRead"
PERMISSION_API_KEYS_WRITE = "apiKeysWrite"
PERMISSION_CANDIDATES_WRITE = "candidatesWrite"
PERMISSION_CANDIDATES_READ = "candidatesRead"
PERMISSION_JOBS_READ = "jobsRead"
PERMISSION_INTERVIEWS_READ = "interviewsRead"
ENDPOINT_PERMISSIONS = {
    EP_API_KEY_INFO: PERMISSION_API_KEYS_READ,
    EP_WEBHOOK_CREATE: PERMISSION_API_KEYS_WRITE,
    EP_WEBHOOK_DELETE: PERMISSION_API_KEYS_WRITE,
    EP_ASSESSMENT_UPDATE: PERMISSION_CANDIDATES_WRITE,
    EP_CANDIDATE_CREATE_NOTE: PERMISSION_CANDIDATES_WRITE,
    EP_CANDIDATE_INFO: PERMISSION_CANDIDATES_READ,
    EP_CANDIDATE_LIST: PERMISSION_CANDIDATES_READ,
    EP_APPLICATION_LIST: PERMISSION_CANDIDATES_READ,
    EP_APPLICATION_INFO: PERMISSION_CANDIDATES_READ,
    EP_JOB_LIST: PERMISSION_JOBS_READ,
    EP_JOB_INFO: PERMISSION_JOBS_READ,
    EP_INTERVIEW_PLAN_LIST: PERMISSION_INTERVIEWS_READ,
    EP_INTERVIEW_STAGE_LIST: PERMISSION_INTERVIEWS_READ,
}
# Every permission our calls need: the endpoints that need it (from ENDPOINT_PERMISSIONS, so a
# new call is listed by itself) and what for. The setup guide lists them all.
_PERMISSION_USES = (
    (PERMISSION_CANDIDATES_WRITE, "results and the scorecard note"),
    (PERMISSION_CANDIDATES_READ, "the data sync"),
    (PERMISSION_API_KEYS_READ, "checking the key when you save it"),
    (PERMISSION_API_KEYS_WRITE, "registering JobCannon's webhooks"),
    (PERMISSION_JOBS_READ, "the data sync"),
    (PERMISSION_INTERVIEWS_READ, "the data sync"),
)
PERMISSION_PURPOSES = tuple(
    (permission, ", ".join(e for e, p in ENDPOINT_PERMISSIONS.items() if p == permission) + ": " + why)
    for permission, why in _PERMISSION_USES
)
# apiKey.info's `results.scopes`, the spec: "List of permission scopes that this API key is
# authorized for", example ["jobs:read", "candidates:read"]. The spec names the permissions
# `candidatesWrite`, … but gives no table from those to the scope strings: this one is our
# inference ([I], README "API-key permissions") from the example's `<module>:<read|write>` form.
# Correct it here, and only here, should Ashby spell a module differently; a scope this table
# does not know grants nothing, and while the list holds one, no permission is named missing
# from it (permissions.scopes_read: the calls decide instead).
API_KEY_SCOPE_PERMISSIONS = {
    "candidates:read": PERMISSION_CANDIDATES_READ,
    "candidates:write": PERMISSION_CANDIDATES_WRITE,
    "jobs:read": PERMISSION_JOBS_READ,
    "interviews:read": PERMISSION_INTERVIEWS_READ,
    "apiKeys:read": PERMISSION_API_KEYS_READ,
    "apiKeys:write": PERMISSION_API_KEYS_WRITE,
}
PERMISSION_API_KEY_SCOPES = {permission: scope for scope, permission in API_KEY_SCOPE_PERMISSIONS.items()}
# Every permission Ashby's OpenAPI names ("Requires the `<permission>` permission" on its
# endpoints; api-evangelist/ashby-hq openapi/_original/ashby-openapi.yml @ d26d10dd, read at
# 2e9efb92), ours and those we never need (its two `candidateWrite` are a typo of
# candidatesWrite, left out). A scope `<module>:<read|write>` whose `<module><Access>`
# is one of these is understood (it grants that permission, maybe one we do not use) rather than
# unrecognised, by the same [I] reading as API_KEY_SCOPE_PERMISSIONS.
PUBLISHED_PERMISSIONS = (
    "apiKeysRead",
    "apiKeysWrite",
    "approvalsRead",
    "approvalsWrite",
    "candidatesRead",
    "candidatesWrite",
    "hiringProcessMetadataRead",
    "hiringProcessMetadataWrite",
    "interviewsRead",
    "interviewsWrite",
    "jobsRead",
    "jobsWrite",
    "notetakerRead",
    "offersRead",
    "offersWrite",
    "organizationRead",
    "organizationWrite",
    "reportsRead",
)
# For naming the missing one in Ashby's 403 (longest first: no name is a prefix of another here).
API_KEY_PERMISSIONS = (
    *(p for p, _ in PERMISSION_PURPOSES),
    "hiringProcessMetadataRead",
    "organizationRead",
)
CODE_RATE_LIMITED = ("rate_limit_exceeded", "concurrent_limit_exceeded")
