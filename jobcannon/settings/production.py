"""Production: everything from the environment, hardened. `manage.py check --deploy` is clean."""

import os
from typing import cast

from django.core.exceptions import ImproperlyConfigured

from jobcannon.core.logging import logging_config

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, LOG_LEVEL, REDIS_URL, env_bool, env_list

DEBUG = False
ATS_SIMULATORS_ENABLED = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Rotation: the previous key(s) keep sessions and password-reset links valid meanwhile.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
if len(SECRET_KEY) < 50 and not env_bool("JOBCANNON_ALLOW_BUILD_WITHOUT_SECRETS"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (50+ random characters) in production.")
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and not env_bool("JOBCANNON_ALLOW_BUILD_WITHOUT_SECRETS"):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Probes and the Prometheus scraper may talk to gunicorn directly over the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEV_MAILBOX_ENABLED = False

# --- Operations (docs/deployment.md) -----------------------------------------------------------
LOGGING = logging_config(fmt=os.environ.get("LOG_FORMAT", "json"), level=LOG_LEVEL)
# /metrics only with the bearer token (METRICS_BEARER_TOKEN); without it the endpoint is 404.
METRICS_OPEN = False
# Bounded waits, so /readyz (and every request) fails fast instead of hanging on a dead peer.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3"))
    )
if REDIS_URL:
    cast(dict, CACHES["default"]["OPTIONS"]).update(
        {
            "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "2")),
            "SOCKET_TIMEOUT": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2")),
        }
    )
