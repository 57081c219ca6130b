"""The fake ATS (tests/fakes/ats_provider): a minimal, fully specified vendor used to prove the provider contract."""

API_BASE = "https://fake-ats.example.com/api"
AUTHORIZE_URL = "https://fake-ats.example.com/oauth/authorize"
TOKEN_URL = "https://fake-ats.example.com/oauth/token"
SCOPES = ("candidates:read", "results:write")
SIGNATURE_HEADER = "X-Fake-Signature"  # "sha256=<hex HMAC-SHA256(secret, raw body)>"

EVENT_CANDIDATE_CREATED = "candidate.created"
EVENT_ASSESSMENT_REQUESTED = "assessment.requested"
EVENT_PING = "ping"
