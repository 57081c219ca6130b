"""Knit's unified API as used for Ashby assessments (Knit → Ashby).

Sources: Knit's Ashby assessments setup guide (seed 003) and the Knit section of
shared/reference/lever-smartrecruiters-knit.md. [F] = found in a Knit page, [I] = our inference
(the endpoint or body was not retrievable); README.md in this folder lists every [I] choice."""

# [F] https://developers.getknit.dev/reference/authenticating-your-apis-with-knit
API_BASE = "https://api.getknit.dev/v1.0"
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
# [F] https://developers.getknit.dev/reference/update-candidate-assessment (body: [I], see mappers).
PATH_ASSESSMENT_UPDATE = "ats.candidate.assessment.update"
# [F] https://getknit.dev/solutions-use-cases/update-applicant-scores-to-ats: POST
# https://api.getknit.dev/v1.0/passthrough with `path` (+ optional `baseUrl`). Request
# {"method", "path", "body": <the app's body as a JSON *string*>}; Knit answers its own envelope
# with the app's answer wrapped: {"success": true, "data": {"response": {"body": <string>,
# "headers": {...}}}} ([2nd] Knit passthrough clients found by code search: `"body":
# json.dumps(body)`, "the upstream response body comes back STRINGIFIED inside data.response.body").
PATH_PASSTHROUGH = "passthrough"

# How results reach Ashby (provider_settings["result_mode"]); README.md explains the choice.
RESULT_MODE_UPDATE = "assessment_update"  # default: Knit's unified assessment update endpoint
RESULT_MODE_PASSTHROUGH = "passthrough"  # Ashby's assessment.update through Knit's passthrough
RESULT_MODES = (RESULT_MODE_UPDATE, RESULT_MODE_PASSTHROUGH)

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

# Knit's candidateAssessment.status vocabulary. [F] NOT_SPECIFIED (record.new) and CANCELLED
# (record.deleted) appear in Knit's Ashby guide (seed 003); the others are [I]: the body of
# ats.candidate.assessment.update was not retrievable (README.md, "Results").
STATUS_IN_PROGRESS = "IN_PROGRESS"
STATUS_COMPLETED = "COMPLETED"
STATUS_CANCELLED = "CANCELLED"
STATUS_EXPIRED = "EXPIRED"
UPDATE_STATUSES = (STATUS_IN_PROGRESS, STATUS_COMPLETED, STATUS_CANCELLED, STATUS_EXPIRED)

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

# Simulator object kinds (SimulatorObject.kind).
SIM_ACCOUNT = "account"
SIM_SECRET = "assessment_secret"
SIM_ASSESSMENT = "assessment"
SIM_SUBMISSION = "submission"
SIM_DELIVERY = "delivery"
