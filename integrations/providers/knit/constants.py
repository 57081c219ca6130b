"""Knit's unified API as used for Ashby assessments (Knit → Ashby).

Sources: Knit's Ashby assessments setup guide (seed 003) and the Knit section of
shared/reference/lever-smartrecruiters-knit.md. [F] = found in a Knit page, [I] = our inference
(the endpoint or body was not retrievable); README.md in this folder lists every [I] choice."""

# [F] https://developers.getknit.dev/reference/authenticating-your-apis-with-knit
API_BASE = "https://api.getknit.dev/v1.0"
AUTH_HEADER_INTEGRATION = "X-Knit-Integration-Id"

# Paths under API_BASE.
# [I] a cheap authenticated read that fails on a bad key or integration id; Knit documents
# no "who am I" call. One job is enough to prove both headers are accepted.
PATH_AUTH_CHECK = "ats.jobs"
# [F] name "Create ATS Assessment Secrets" (https://developers.getknit.dev/docs/ashby); [I] path.
PATH_SECRETS_CREATE = "ats.assessment.secrets.create"
# [I] Knit documents no revoke call; on 404 we retire the secret locally and tell the customer.
PATH_SECRETS_REVOKE = "ats.assessment.secrets.revoke"
# [F] https://developers.getknit.dev/reference/update-candidate-assessment (body: [I], see mappers).
PATH_ASSESSMENT_UPDATE = "ats.candidate.assessment.update"
# [F] https://getknit.dev/solutions-use-cases/update-applicant-scores-to-ats: `path`, optional `baseUrl`.
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
