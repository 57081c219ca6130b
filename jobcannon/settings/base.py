"""Settings shared by every environment. Everything that differs between machines comes from
the environment: with nothing set you get the embedded default (SQLite file, django-q2 ORM
broker, database cache, console email); DATABASE_URL and REDIS_URL switch to the production
shape that several app servers and workers share."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE

from jobcannon.core.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Absolute base URL of this deployment: used for webhook URLs, OAuth redirect URIs and
# candidate links that leave the building (emails, ATS write-backs).
JOBCANNON_BASE_URL = os.environ.get("JOBCANNON_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by us, not from a CDN
    "django_htmx",
    "django_q",
    "django_prometheus",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "jobcannon.core",
    "jobcannon.workspaces",
    "integrations",
    "integrations.sync",
    "assessments",
    "jobcannon.audit",
    "django.forms",  # the widget templates, for FORM_RENDERER below
]

# What orders an assessment run (AssessmentRun.integration), named here, as AUTH_USER_MODEL names
# the user model: assessments' code and migrations name no app above them. The model needs a
# `workspace` foreign key and a `provider` string (assessments/services/runs.py reads both); the
# database keeps the reference valid (SET_NULL) and a start request idempotent per source
# (uniq_run_external_request). README "Layout".
ASSESSMENTS_RUN_SOURCE_MODEL = "integrations.Integration"

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "jobcannon.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jobcannon.core.middleware.CommonMiddleware",
    "integrations.middleware.InboundGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jobcannon.audit.middleware.SessionIdleTimeoutMiddleware",
    "jobcannon.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "jobcannon.audit.middleware.MFARequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jobcannon.workspaces.middleware.CurrentWorkspaceMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# What the webhook intake runs through (jobcannon/core/wsgi.py): machines POSTing JSON need no
# session, user, CSRF, workspace, messages or CSP; they keep metrics, the request id and its log
# line, the security headers and the inbound guard. Order as in MIDDLEWARE.
MACHINE_MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "jobcannon.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "integrations.middleware.InboundGuardMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "jobcannon.urls"
WSGI_APPLICATION = "jobcannon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jobcannon.workspaces.context_processors.workspace",
            ],
        },
    }
]

# Widgets render through TEMPLATES, so templates/ can override a built-in widget's template
# (templates/admin/widgets/split_datetime.html labels the date and time inputs). Django docs:
# https://docs.djangoproject.com/en/5.2/ref/forms/renderers/#overriding-built-in-widget-templates
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------
# SQLite for a web server: WAL + a busy timeout let the web server and the django-q2 worker share
# the file, and IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers wait
# (busy timeout) instead of failing with "database is locked" (Django 5.1+, transaction_mode). Applied
# to a sqlite:// DATABASE_URL too: dj_database_url sets no options, and such a database answered
# concurrent assessment.start retries 500 (tests/security/FINDINGS.md row 13).
SQLITE_OPTIONS: dict[str, Any] = {
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker and cache -----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Namespace of our keys in a Redis shared with others (cache entries, rate-limit buckets). Two
# deployments on one Redis database need different prefixes; the test suite uses one per worker.
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "jobcannon")
Q_CLUSTER: dict = {
    "name": "jobcannon",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 1,  # our services schedule their own retries with backoff
    "ack_failures": True,
    "catch_up": False,
    # Successful results are not kept (-1); failures always are (the status page lists them,
    # queue_housekeeping prunes them after 30 days). Any positive limit makes django-q2's monitor
    # SELECT every kept result FOR UPDATE after each task to prune the oldest (~19 % of a core
    # at 30 webhooks/s); our rows (webhook events, outbox, job leases) record outcomes anyway.
    "save_limit": -1,
    "label": "Task queue",
    # django-q2 logs every task at INFO: three log writes per webhook on the hot path. This option
    # only applies to a logger without handlers; jobcannon.core.logging.logging_config sets the
    # "django-q" logger's level from the same Q_LOG_LEVEL.
    "log_level": os.environ.get("Q_LOG_LEVEL", "WARNING"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5
    # A database cache, not locmem: the web server and the worker are separate processes.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "jobcannon_cache"}
    }

# Whether the broker shares the database transaction (ORM broker) or not (Redis): the webhook
# intake enqueues inside its transaction in the first case and on commit in the second.
QUEUE_IN_DATABASE = not REDIS_URL

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # NIST SP 800-63B §3.1.1.2 asks for at least 8; we ask 12 (a passphrase), issue 21.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "workspaces:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Invitation emails (issue 21): at most this many per (count, seconds), per workspace, per
# person sending them (across the workspaces they can create) and per recipient address across
# all workspaces. Also bounds candidate invitations people send from the recruiter pages
# (assessments/services/invitations.py); ATS-ordered runs are not counted.
INVITATION_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "workspace": (20, 3600),
    "sender": (30, 3600),
    "recipient": (3, 24 * 3600),
}
# A workspace invitation link works once, for this many days (issue 21); an admin can resend it.
INVITATION_MAX_AGE_DAYS = int(os.environ.get("INVITATION_MAX_AGE_DAYS", "7"))
# Idle timeout: a signed-in session ends SESSION_IDLE_TIMEOUT_SECONDS after its last request
# (jobcannon.audit.middleware.SessionIdleTimeoutMiddleware, which refreshes its stamp and the
# stored expiry at most once a minute). The cookie and the stored session live no longer either.
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", str(2 * 3600)))
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_SECONDS
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[JobCannon] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Security (jobcannon/audit): TOTP secrets encrypted at rest like every other secret; staff must
# have a second factor (workspace admins and members may add one at /accounts/2fa/).
MFA_ADAPTER = "jobcannon.audit.mfa.EncryptingMFAAdapter"
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", True)
# Per-integration budget for what an ATS sends (webhooks, partner API calls), per web process:
# a sustained rate and a burst, taken once the signature or partner key proved the integration
# (integrations/services/inbound_limits.py). Per provider overrides next to "default".
INBOUND_RATE_LIMITS: dict[str, dict[str, float]] = {"default": {"per_second": 20, "burst": 200}}
# Rejected partner API calls: one integration log line and one audit event per client bucket
# (address, IPv6 /64) and window, carrying a count, and at most PARTNER_AUTH_FAILURE_MAX_LINES of
# them per integration and window, the last a summary (integrations/services/partner_auth.py).
PARTNER_AUTH_FAILURE_WINDOW_SECONDS = int(os.environ.get("PARTNER_AUTH_FAILURE_WINDOW_SECONDS", "900"))
PARTNER_AUTH_FAILURE_MAX_LINES = int(os.environ.get("PARTNER_AUTH_FAILURE_MAX_LINES", "20"))

# --- The client's address behind proxies (jobcannon/core/clientaddr.py, docs/deployment.md §3) ---
# One rule for allauth's login throttle, our inbound rate limits, the webhook and audit logs: how
# many proxies of ours append to X-Forwarded-For (0: trust none), or a header our proxy sets to
# the client's address (e.g. X-Real-IP), which then wins.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER", "").strip() or None
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER
ACCOUNT_ADAPTER = "jobcannon.core.clientaddr.AccountAdapter"  # asks clientaddr for the address

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "JobCannon <assessments@jobcannon.example.com>")

# --- i18n / static --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- DRF ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jobcannon.core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "JobCannon API",
    "DESCRIPTION": "Partner endpoints that ATSs call, and JobCannon's own JSON API.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI's configuration (https://swagger.io/docs/open-source-tools/swagger-ui/usage/
    # configuration/). deepLinking off: with it, each operation's path is a link inside the
    # operation's expand button, a control inside a control (WCAG 4.1.2, axe nested-interactive).
    # validatorUrl off: no badge image from validator.swagger.io (our CSP allows our own images
    # only, and the schema's URL is not sent to a third party).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "validatorUrl": None},
}

# --- Security headers ----------------------------------------------------------------------------
# Content-Security-Policy (django-csp): our own origin only, no inline scripts except with the
# per-request nonce ({{ request.csp_nonce }}). Inline style attributes stay allowed (a few
# templates set widths, Swagger UI sets some), which cannot run code. Every page has it,
# /api/docs/ too: Swagger UI's assets are ours (drf-spectacular-sidecar, SWAGGER_UI_DIST above)
# and its inline bootstrap script carries the nonce (templates/drf_spectacular/swagger_ui.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Secrets at rest ------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first. The first encrypts, all decrypt: add a new key in
# front, run `manage.py rotate_encryption_keys`, then drop the old one.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# --- Integrations ---------------------------------------------------------------------------
# Explicit provider list (no import-time discovery). One line per ATS.
ATS_PROVIDERS: list[str] = [
    "integrations.providers.ashby.provider.AshbyProvider",
    "integrations.providers.lever.provider.LeverProvider",
    # one line per ATS: "integrations.providers.<key>.provider.<Name>Provider",
    "integrations.providers.smartrecruiters.provider.SmartRecruitersProvider",
    "integrations.providers.knit.provider.KnitProvider",
]
# The built-in ATS simulators (sandbox ATSs on this server): on in local and test, off in production.
ATS_SIMULATORS_ENABLED = env_bool("ATS_SIMULATORS_ENABLED", False)
# The largest webhook or partner-API body an integration's own URL takes (413 from Content-Length
# beyond). The vendors' deliveries are ~0.1-2 KiB (tests/fixtures/*/webhooks): 256 KiB leaves
# them two orders of magnitude. Every byte under it is read and hashed before a body with a bad
# signature is refused, so it bounds what junk to a known URL costs: 1 MiB of junk took 15-22 %
# of the signed deliveries' rate at 50 req/s (benchmarks section 7), refused unread it costs none.
WEBHOOK_MAX_BODY_BYTES = int(os.environ.get("WEBHOOK_MAX_BODY_BYTES", str(256 * 1024)))
# Per-process cache of the integration a webhook URL names (saves a query per delivery).
WEBHOOK_INTEGRATION_CACHE_SECONDS = float(os.environ.get("WEBHOOK_INTEGRATION_CACHE_SECONDS", "5"))
OUTBOUND_TIMEOUT_SECONDS = (5, 20)
# Retry schedule for transient outbound failures (seconds): 5s → 15s → 60s → 5m, then longer.
# The last step repeats until OUTBOUND_RETRY_HORIZON_SECONDS after the first attempt (72 h),
# then the write is dead-lettered with its reason. Each delay gets ±10 % jitter.
OUTBOUND_BACKOFF_SECONDS = [5, 15, 60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600]
OUTBOUND_RETRY_HORIZON_SECONDS = 72 * 3600
OUTBOUND_MAX_ATTEMPTS = 25  # a bound on top of the horizon (Retry-After can be short)
# A claimed outbox row / webhook event whose worker has not finished after this long belongs to
# a dead worker (django-q2 kills a task at Q_CLUSTER["timeout"]); checked by the system checks.
WORKER_LEASE_SECONDS = int(os.environ.get("WORKER_LEASE_SECONDS", str(2 * Q_CLUSTER["timeout"])))
# A webhook event that killed its worker this many times is dead-lettered as poison.
WEBHOOK_POISON_CRASHES = 3
# Sweeps stop feeding the broker above this many waiting tasks (rows stay durable in the
# database and are picked up on a later sweep): backpressure instead of an unbounded queue.
QUEUE_MAX_DEPTH = int(os.environ.get("QUEUE_MAX_DEPTH", "5000"))
# Where the shared outbound rate limiter keeps its buckets: "redis" (every machine) when
# REDIS_URL is set, else "sqlite" (a file every process on this machine shares).
RATE_LIMIT_BACKEND = os.environ.get("RATE_LIMIT_BACKEND", "redis" if REDIS_URL else "sqlite")
# Per-provider overrides of a provider's RateLimit: {"lever": {"per_second": 10, "burst": 20}}.
# An integration's provider_settings["rate_limit"] overrides both.
ATS_RATE_LIMITS: dict[str, dict[str, float]] = {}
WEBHOOK_PROCESS_MAX_ATTEMPTS = 6
# Webhook processing in batches (integrations/services/webhooks.py, "Draining the inbox"): the
# intake nudges one of WEBHOOK_DRAIN_SLOTS drain tasks (at most one waiting or running per slot,
# so as many workers as slots share a burst); a drain claims up to WEBHOOK_DRAIN_BATCH verified
# events at a time for WEBHOOK_DRAIN_SECONDS at most, then hands over to a fresh task. A nudge
# whose task is lost (broker restart) expires after WEBHOOK_DRAIN_NUDGE_SECONDS; the sweep
# re-enqueues whatever is still waiting after 2 minutes.
# Threaded web workers write the webhook rows of deliveries that arrive together with one INSERT
# and one commit (integrations/services/group_insert.py).
WEBHOOK_GROUP_COMMIT = env_bool("WEBHOOK_GROUP_COMMIT", True)
WEBHOOK_DRAIN_SLOTS = int(os.environ.get("WEBHOOK_DRAIN_SLOTS", str(Q_CLUSTER["workers"])))
WEBHOOK_DRAIN_BATCH = int(os.environ.get("WEBHOOK_DRAIN_BATCH", "50"))
WEBHOOK_DRAIN_SECONDS = 20.0
# After a batch smaller than WEBHOOK_DRAIN_BATCH a drain waits this long before its next look.
WEBHOOK_DRAIN_LINGER_SECONDS = float(os.environ.get("WEBHOOK_DRAIN_LINGER_SECONDS", "0.05"))
WEBHOOK_DRAIN_NUDGE_SECONDS = 30
RETENTION_DAYS_DEFAULT = 90
# The limiter's windows are this much longer than nominal: the ATS counts arrivals, which trail our
# admissions by network and scheduling delay. Raise it on machines with long scheduling stalls.
RATE_LIMIT_MARGIN_MS = int(os.environ.get("RATE_LIMIT_MARGIN_MS", "100"))
RATE_LIMIT_SQLITE_PATH = os.environ.get("RATE_LIMIT_SQLITE_PATH", str(BASE_DIR / "ratelimit.sqlite3"))

# --- Inbound budgets (integrations/services/inbound_limits.py, webhook_sources.py) -----------------
# Keyed on what a caller proves or on its address, never on a header it chose. Verified deliveries
# and authenticated partner calls take from their integration's INBOUND_RATE_LIMITS (above);
# failed ones from their client address's budget, past which they get 429 and are not stored.
INBOUND_FAILURE_RATE_LIMITS: dict[str, float] = {"per_second": 1, "burst": 100}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["integrations.throttles.VerifiedPartnerThrottle"]
# The seeds' hint-less route /<provider>/webhooks tries integrations' secrets over the body:
# bounded per request (body size, candidates, CPU seconds), per client address, and in pools
# (CPU seconds per second of scanning, and a burst): a small body scans from its source network's
# share of the small-body lane and the provider's "small" pool (below); any other from
# "unproven", per provider, for addresses that never sent a delivery that verified (junk), or
# "proven", per workspace of the integration the address last verified with (an ATS's next new
# customer), so junk, even from addresses proved with an attacker's own integration, cannot spend
# what another account's verified sender needs. One integration proves at most
# WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY new addresses (0: no cap). With Redis
# (RATE_LIMIT_BACKEND) the pools are shared by every process of every server; otherwise each
# process has its own. The per-integration URL has none of this.
# 16 KiB: the vendors' deliveries are ~0.1-2 KiB (tests/fixtures/*/webhooks: the largest is Knit's
# record.new, 1,562 bytes; Ashby's candidateHire 1,126; Lever and SmartRecruiters send ids), so
# 16 KiB is ten times the largest, and the size Knit's re-serialised fallback already stops at
# (integrations/providers/knit/webhooks.py, RESERIALISED_MAX_BYTES). A larger body is refused 413
# from its Content-Length by the inbound guard before it is read, and the answer names the
# integration's own URL (WEBHOOK_MAX_BODY_BYTES, 256 KiB). At 64 KiB, junk just under the limit was
# read, scanned and answered (or 429) at 50 req/s and kept signed deliveries at only 0.87-0.97 of
# their rate (benchmarks section 7, 2026-12-05: both full runs exited 1 on it), where the same
# junk refused unread measured 0.91-1.10.
WEBHOOK_HINTLESS_MAX_BODY_BYTES = int(os.environ.get("WEBHOOK_HINTLESS_MAX_BODY_BYTES", str(16 * 1024)))
WEBHOOK_HINTLESS_MAX_CANDIDATES = int(os.environ.get("WEBHOOK_HINTLESS_MAX_CANDIDATES", "50"))
WEBHOOK_HINTLESS_SCAN_SECONDS = 0.05
# Charged to the scan budgets per scan of a body over WEBHOOK_HINTLESS_SMALL_BODY_BYTES on top of
# its HMAC time: reading the body, storing the rejected row and logging cost ~5-10 ms of CPU
# whatever the HMACs cost (benchmarks section 7).
WEBHOOK_HINTLESS_SCAN_OVERHEAD_SECONDS = 0.01
# The small-body lane (issue 21: "a failing caller must not lock out a verified one"). With one
# "unproven" pool, junk from random addresses spent it and a correctly signed delivery from an
# address not remembered yet (an ATS's first delivery, a new egress address, memory lost after
# REMEMBER_SECONDS or a Redis flush) got 429 for as long as the junk lasted; Ashby retries 10
# times, Lever 5, then the event is lost. Vendor deliveries are ~0.1-2 KiB, and scanning such a
# body is cheap. Measured (the scan's thread CPU as charged, median, 50 integrations, random or
# JSON junk, busy machine at load 12): with one secret each 0.3-0.4 ms for 2 KiB and 0.45-0.6 ms
# for 8 KiB (Ashby, Lever, SmartRecruiters); with two each (a rotation) 0.45-0.75 ms and
# 0.8-1.1 ms; Knit, which also tries the JSON body's re-serialised form, up to 1.3 ms (one key)
# and 2.0 ms (two) for 8 KiB of JSON. So a body of at most this size scans from the small-body
# lane, charged its measured time plus WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS, from two buckets
# that must both hold something (past either, the address's own pool below):
# - "small_network", per provider and source network (/24 IPv4, /48 IPv6): one sender cycles
#   addresses within such a block, so per-address budgets alone let one machine empty a shared
#   pool (the audit: 8 KiB junk above ~310 req/s emptied the provider's pool, and signed
#   deliveries from new addresses got 429, 11 of the last 13). 0.01 CPU-s/s is ~5-10 scans a
#   second (a new customer's first deliveries from an ATS's address: once one verifies the
#   address is remembered and tried first, for free), a burst of 0.1 s ~50-100;
# - "small", per provider: the last resort, bounding what the lane spends however many networks
#   send. 50 junk req/s of 8 KiB from everywhere cost it ~0.05 CPU-s/s with the overhead for
#   Ashby (0.6 ms a scan) and up to ~0.15 for Knit (2.6 ms with two keys per integration, both
#   forms of the body tried; measured in-process 2026-12-05), at or under its 0.15 refill, so junk
#   at the rate does not empty it; 15 networks each at their full share do.
# The failure budget per address and WEBHOOK_REJECTED_STORE_BUDGET still bound what the answered
# junk stores.
WEBHOOK_HINTLESS_SMALL_BODY_BYTES = int(os.environ.get("WEBHOOK_HINTLESS_SMALL_BODY_BYTES", str(8 * 1024)))
# Charged per small-body scan on top of its HMAC time: a scan of few candidates (or of a body
# that fails the first check) still costs its request a few tenths of a millisecond, and a budget
# of HMAC time alone counted it as nearly free.
WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS = 0.0005
# (2 % of a core for large-body junk: benchmarks section 7 measured 0.1 s/s, with every junk
# request scanned and stored, taking 25 % from signed deliveries on 2 busy cores.) Without a
# "small" entry there is no small-body lane; without "small_network", the provider's pool alone.
WEBHOOK_HINTLESS_SCAN_BUDGET: dict[str, dict[str, float]] = {
    "per_source": {"per_second": 0.02, "burst": 0.2},
    "small_network": {"per_second": 0.01, "burst": 0.1},
    "small": {"per_second": 0.15, "burst": 1.5},
    "unproven": {"per_second": 0.02, "burst": 0.2},
    "proven": {"per_second": 0.05, "burst": 0.5},
}
WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY = 32
# A body that did not verify is stored up to this size, with the SHA-256 and size of the whole,
# and only while a budget of rejected rows lasts (per second, burst; the failure budget is per /64
# and cannot bound the table): past it the 401 is sent but nothing is stored. Rows no integration
# claimed take from the provider's WEBHOOK_REJECTED_STORE_BUDGET. Rows an integration claimed (its
# URL is no secret: anyone can send it junk) take from that integration's own budget, then from a
# provider-wide pool of the same size as a cap, a pool of their own: junk sent to one customer's
# URL, or matching no integration, cannot use up what is kept of another customer's rejected
# deliveries (a stale secret they need to see). At 0.02/s one URL under attack adds at most ~28 MB
# a day (1,728 rows of 16 KiB), kept WEBHOOK_REJECTED_RETENTION_DAYS; draining the cap takes the
# URLs of 50 integrations (5 for its burst).
WEBHOOK_REJECTED_BODY_BYTES = 16 * 1024
WEBHOOK_REJECTED_STORE_BUDGET: dict[str, float] = {"per_second": 1, "burst": 1000}
WEBHOOK_REJECTED_STORE_BUDGET_PER_INTEGRATION: dict[str, float] = {"per_second": 0.02, "burst": 200}
# Rejected rows no integration claimed (junk on the shared route that matched no secret, made-up
# integration ids) are deleted, row and body, after this many days by the retention sweep
# (jobcannon/audit/retention.py): no customer's log shows them, and kept for the default 90 days
# at the store budget above they were ~1.4 GB a day per provider. Long enough for support to see
# why a misconfigured sender was refused.
WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS = int(
    os.environ.get("WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS", "7")
)
# Rejected rows an integration claimed that did not verify (a wrong or stale secret, or junk sent
# to its URL) are deleted, row and body, after this many days, whatever the workspace's window
# (a shorter window purges the body first): the customer's log shows them, with the reason, for two
# weeks, long enough to notice and fix a secret; verified rows keep the workspace's window.
WEBHOOK_REJECTED_RETENTION_DAYS = int(os.environ.get("WEBHOOK_REJECTED_RETENTION_DAYS", "14"))

# --- Operations (docs/deployment.md) -----------------------------------------------------------
# Logs: one JSON object per line (LOG_FORMAT=json, the production default) or readable lines;
# every line carries the request id; secrets and candidate answers are redacted
# (jobcannon/core/logging.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
# /metrics: with a token set, scrapers send `Authorization: Bearer <token>`; without one the
# endpoint answers 404 unless METRICS_OPEN (local debugging only; production forces it off).
METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "")
METRICS_OPEN = env_bool("METRICS_OPEN", False)
# /readyz reports workers down when no worker heartbeat is younger than this (the heartbeat
# schedule runs every minute; finishing tasks refresh it too).
WORKER_HEARTBEAT_MAX_AGE_SECONDS = int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE_SECONDS", "180"))
