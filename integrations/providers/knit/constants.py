"""Knit's unified API as used for Ashby assessments (Knit → Ashby).

Sources: Knit's Ashby assessments setup guide (seed 003) and the Knit section of
shared/reference/lever-smartrecruiters-knit.md. [F] = found in a Knit page, [I] = our inference
(the endpoint or body was not retrievable); README.md in this folder lists every [I] choice."""

# Hosts. Production [F]: https://developers.getknit.dev/reference/authenticating-your-apis-with-knit
# and Knit's getting-started page (https://developers.getknit.dev/docs/getting-started, which calls
# https://api.getknit.dev/v1.0/auth.createSession).
API_BASE = "https://api.getknit.dev/v1.0"
# Sandbox [2nd], unverified against Knit's reference (no Knit reference page in our sources names a
# sandbox host): Knit's own KnitWeb sample, run with `sandbox={true}`, calls
# https://api.sandbox.getknit.dev/v1.0/auth.createSession, and public Knit passthrough clients call
# https://api.sandbox.getknit.dev/v1.0/passthrough when their knit_env is "sandbox" (code search
# `find_string "api.sandbox.getknit.dev"`). Used for a sandbox integration off the built-in simulator
# (provider.api_base_url). If Knit turns out to serve sandbox keys on API_BASE, change only this line.
# The same clients use https://api.eu.getknit.dev/v1.0 for an EU-region Knit account [2nd]; we offer
# no region setting for Knit, so that host is not used.
API_BASE_SANDBOX = "https://api.sandbox.getknit.dev/v1.0"
AUTH_HEADER_INTEGRATION = "X-Knit-Integration-Id"
# [F] https://developers.getknit.dev/reference/api-response-structures: "X-Knit-Execution-Id |
# Mandatory | Unique Id for each API call/Webhook dispatch. Use it for debugging". Stored on every
# OutboundCall (BaseClient.request_id_header) so support can quote it to Knit.
EXECUTION_ID_HEADER = "X-Knit-Execution-Id"

# Paths under API_BASE.
# Knit documents no "who am I" call, so the credential check is the cheapest documented read:
# List Jobs, the call the data sync makes anyway ([2nd] GET https://api.getknit.dev/v1.0/ats.job.list,
# https://getknit.dev/solutions-use-cases/get-job-posting-details-from-ats). It needs both the
# Bearer key and X-Knit-Integration-Id, so it proves both.
PATH_JOB_LIST = "ats.job.list"
# [2nd] List Applications: the path and the paging below are what a live-verified Knit client uses
# (github code search "unified_knit": ats.application.list, `pageToken` in, `data.nextPageToken` out).
PATH_APPLICATION_LIST = "ats.application.list"
PATH_AUTH_CHECK = PATH_JOB_LIST
# Paging of Knit's list APIs: the token of the next page comes back as data.nextPageToken and goes
# out as the pageToken query parameter; no token = the last page. Knit picks the page size.
PAGE_TOKEN_PARAM = "pageToken"
NEXT_PAGE_TOKEN = "nextPageToken"
# [F] name "Create ATS Assessment Secrets" (https://developers.getknit.dev/docs/ashby); [I] path.
PATH_SECRETS_CREATE = "ats.assessment.secrets.create"
# [I] Knit documents no revoke call; on 404 we retire the secret locally and tell the customer.
PATH_SECRETS_REVOKE = "ats.assessment.secrets.revoke"
# [F] https://developers.getknit.dev/reference/update-candidate-assessment: the path only. Knit's
# page shows no request schema (its "Body Params" are not published), so the body is built from
# Knit's published Candidate Assessment model, with the rest guessed: UPDATE_BODY_FIELDS below.
PATH_ASSESSMENT_UPDATE = "ats.candidate.assessment.update"
# [F] https://getknit.dev/solutions-use-cases/update-applicant-scores-to-ats: POST
# https://api.getknit.dev/v1.0/passthrough with `path` (+ optional `baseUrl`). Request
# {"method", "path", "body": <the app's body as a JSON *string*>} ([2nd] Knit passthrough clients found
# by code search: `"body": json.dumps(body)`); Knit answers its own envelope with the app's answer
# wrapped, [F] Knit's passthrough example
# (https://developers.getknit.dev/docs/passthrough-requests-for-getting-the-job-related-fields):
# {"success": true, "data": {"response": {"body": "<string>", "headers": {...}}}}, no status of the app's.
PATH_PASSTHROUGH = "passthrough"

# How results reach Ashby (provider_settings["result_mode"]); README.md explains the choice.
RESULT_MODE_UPDATE = "assessment_update"  # Knit's unified update: request body unpublished (guessed)
RESULT_MODE_PASSTHROUGH = "passthrough"  # Ashby's published assessment.update through Knit's passthrough
RESULT_MODES = (RESULT_MODE_UPDATE, RESULT_MODE_PASSTHROUGH)
# provider_settings key: when the customer chose the unified update on the setup page (ISO 8601).
# The old setup form pre-selected that mode, so a saved assessment_update without this date was
# nobody's choice; integrations/migrations/0010 moved those to the passthrough.
RESULT_MODE_CONFIRMED_AT = "result_mode_confirmed_at"
# provider_settings key the migration leaves on what it moved (so it can be reversed); any save of
# the setup page drops it: from then on the mode is the customer's choice.
RESULT_MODE_MIGRATED_FROM = "result_mode_migrated_from"
# The default is the mode whose body can be checked against a published schema: every Knit
# integration here is Ashby-backed, and Ashby publishes assessment.update; Knit publishes no body
# for its own update. An integration that saved a mode keeps it (selectors.knit_result_mode).
DEFAULT_RESULT_MODE = RESULT_MODE_PASSTHROUGH

# [F] What Ashby is given as the partner base URL (https://developers.getknit.dev/docs/ashby).
ASHBY_WORKFLOW_BASE_URL = "https://workflows.getknit.dev/webhook/ashby/"

# [F] X-Knit-Signature: base64url(HMAC-SHA256(Knit API key, payload)) without padding.
SIGNATURE_HEADER = "X-Knit-Signature"
SCHEME_RAW = "knit-hmac-raw"
# Knit's Node example signs JSON.stringify(request.body): accepted only as a fallback.
SCHEME_RESERIALISED = "knit-hmac-json"

# [F] Webhook envelope and events (seed 003).
SYNC_DATA_TYPE_ASSESSMENTS = "ats_assessments"
EVENT_RECORD_NEW = "record.new"  # Ashby sent assessment.start through Knit
EVENT_RECORD_DELETED = "record.deleted"  # Ashby sent assessment.cancel through Knit
EVENT_RECORD_MODIFIED = "record.modified"  # sync envelope event; nothing for us to do

# Knit's candidateAssessment.status vocabulary, [F] ATS Assessments Data Models
# (https://developers.getknit.dev/reference/assessments-apis, Candidate Assessment, `status`):
# "One of: STARTED, IN_PROGRESS, COMPLETED, REJECTED, EXPIRED, PENDING, CANCELLED, NOT_SPECIFIED or
# specified as in the Native App". Seed 003 shows NOT_SPECIFIED (record.new) and CANCELLED
# (record.deleted). The simulator reads them from its own transcription of that page
# (vendor/ats_candidate_assessment.model.json, read by reference.py), not from here.
KNIT_ASSESSMENT_STATUSES = (
    "STARTED",
    "IN_PROGRESS",
    "COMPLETED",
    "REJECTED",
    "EXPIRED",
    "PENDING",
    "CANCELLED",
    "NOT_SPECIFIED",
)
STATUS_STARTED = "STARTED"
STATUS_COMPLETED = "COMPLETED"
STATUS_CANCELLED = "CANCELLED"
STATUS_EXPIRED = "EXPIRED"
# Ashby's assessment.update has no expiry: through the passthrough an expired run closes Ashby's
# assessment with a cancelled_reason carrying this label (updates.update_expired), which the sandbox
# records as EXPIRED.
CANCELLED_REASON_EXPIRED_LABEL = "Expired"
# Our run event -> the Knit status we send. STARTED (not IN_PROGRESS, also listed) for the moment
# the candidate begins: it is what Ashby's own assessment.update calls that moment ("Started").
# EXPIRED for a run the candidate did not finish in time: Knit lists it, and nobody cancelled it.
EVENT_STATUS = {
    "started": STATUS_STARTED,
    "completed": STATUS_COMPLETED,
    "cancelled": STATUS_CANCELLED,
    "expired": STATUS_EXPIRED,
}
UPDATE_STATUSES = tuple(EVENT_STATUS.values())

# Knit's published Candidate Assessment model ([F] ATS Assessments Data Models,
# https://developers.getknit.dev/reference/assessments-apis, Model ID ats_candidate_assessment):
# id, assessmentPackage, candidate, applicationId, jobId, status, callbackUrl, originData, metaData.
# It has no field for a score, a result, a report link or a timestamp.
#
# THE GUESS, in one place: the body of POST /v1.0/ats.candidate.assessment.update. Knit publishes
# the path and the model above but no request body (searched: Knit's API reference and guides, its
# SDKs on PyPI/npm, public code calling the API: none shows one). So:
# - [F] the field names are the model's own: `id` (Knit's candidate assessment id), `status` (one
#   of UPDATE_STATUSES) and `metaData` (the model's free JsonObject);
# - [I] that the update takes the model's names at all, and that the result travels in `metaData`
#   as Ashby's own assessment.update fields (timestamp, assessment_status, assessment_result,
#   assessment_profile_url, cancelled_reason, metadata: shared/reference/ashby-api.md §1.7), the
#   only published vocabulary for an Ashby result. updates.knit_update_body builds it.
# When Knit confirms the schema, correct the names here (and the shape in updates.knit_update_body).
UPDATE_BODY_FIELDS = {
    "assessment_id": "id",
    "status": "status",
    "result": "metaData",
}
# Said on the Knit setup page and in the connect wizard, next to the choice of how results reach Ashby.
UPDATE_BODY_UNPUBLISHED = (
    "Knit publishes the path of its candidate assessment update API, its Candidate Assessment model and "
    "its status values, but not the update's request body: JobCannon's body for it (the model's id, status "
    "and metaData, with Ashby's assessment.update fields inside metaData) is a best guess. That is why "
    "results go through Knit's passthrough by default, which sends Ashby's own published assessment.update."
)

# Wherever a customer chooses the unified update it is marked unverified, and choosing it takes an
# explicit confirmation (forms.KnitSettingsForm): nothing Knit publishes can check the body we send.
RESULT_MODE_UPDATE_LABEL = (
    "Knit's candidate assessment update API (unverified: Knit has not published its request body, "
    "JobCannon's body for it is a best guess)"
)
RESULT_MODE_UPDATE_CONFIRM_LABEL = (
    "I understand that results sent with Knit's candidate assessment update API use an unverified "
    "request body and may not reach Ashby"
)
RESULT_MODE_UPDATE_CONFIRM_REQUIRED = (
    "Knit's candidate assessment update API is unverified (Knit has not published its request body). "
    "Tick the confirmation to use it, or keep the passthrough, which sends Ashby's published assessment.update."
)

# Ashby's own assessment.update path, sent through Knit's passthrough (Ashby's base URL is
# https://api.ashbyhq.com, shared/reference/ashby-api.md §1.7).
ASHBY_UPDATE_PATH = "/assessment.update"

# Our outbox message kind (one Knit call per run event).
KIND_ASSESSMENT_UPDATE = "assessment.update"

# The instruments JobCannon sells; an Ashby package id may name one directly.
INSTRUMENTS = ("big5", "disc", "eq")
DEFAULT_INSTRUMENT = "big5"

# Request keys of runs created from Knit events: idempotent on Knit's assessment id.
REQUEST_KEY_PREFIX = "knit:"
