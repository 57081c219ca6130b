"""Test settings: the same shape as local plus the fake provider. DATABASE_URL / REDIS_URL, when
set by .ci/run, make the suite run against PostgreSQL + Redis."""

import os

from .base import *  # noqa: F403
from .base import ATS_PROVIDERS, BASE_DIR, DATABASES

DEBUG = False
ATS_SIMULATORS_ENABLED = True
# The simulators are a dev/test plug-in app: installed, it registers each provider's
# simulator_plugin with integrations.plugins (production.py never installs it).
INSTALLED_APPS = [*INSTALLED_APPS, "integrations.simulator_plugins"]  # noqa: F405
# The fake ATS is a test double: it lives in tests/fakes/ats_provider, outside the shipped packages.
ATS_PROVIDERS = [*ATS_PROVIDERS, "tests.fakes.ats_provider.provider.FakeProvider"]
EMAIL_BACKEND = "jobcannon.core.mail.DatabaseEmailBackend"
DEV_MAILBOX_ENABLED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth accepts False: no login throttling in tests
# Tests sign staff in with force_login; tests/security turns enforcement on to prove it.
MFA_REQUIRED_FOR_STAFF = False
JOBCANNON_BASE_URL = "http://testserver"
WEBHOOK_INTEGRATION_CACHE_SECONDS = 0.0
FIELD_ENCRYPTION_KEYS = ["z7Jm4yYc3o3mH2Cw2bXoE9fQ1vQ0bqv2Gm3xkzv0n7U="]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# One Redis database serves every pytest-xdist worker, each with its own test database (whose
# primary keys start at 1 in each): cache entries, locks and rate-limit buckets get the worker's
# namespace, or one worker's retention lock or integration 1's bucket would be another's. (Set in
# the environment, so the processes a test spawns share their worker's namespace.)
# (The worker id wins over an inherited value: the controller process sets "main" before it forks.)
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_KEY_PREFIX"] = f"jobcannon-test-{os.environ['PYTEST_XDIST_WORKER']}"
REDIS_KEY_PREFIX = os.environ.setdefault("REDIS_KEY_PREFIX", "jobcannon-test-main")
if "KEY_PREFIX" in CACHES["default"]:  # noqa: F405 - the Redis cache
    CACHES["default"]["KEY_PREFIX"] = REDIS_KEY_PREFIX  # noqa: F405
    # The django-q2 Redis list is named after the cluster: one queue per worker too.
    Q_CLUSTER = {**Q_CLUSTER, "name": REDIS_KEY_PREFIX}  # noqa: F405
RATE_LIMIT_SQLITE_PATH = os.environ.get(
    "RATE_LIMIT_SQLITE_PATH", str(BASE_DIR / f".pytest-ratelimit-{os.getpid()}.sqlite3")
)

# A file, not :memory:, so the live server's threads (a simulator calling our partner API while
# serving a request) each get their own connection. pytest-xdist suffixes the name per worker.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # PYTEST_DB_NAME keeps concurrent pytest runs in one checkout from sharing (and deleting) one file.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / os.environ.get("PYTEST_DB_NAME", f".pytest-db-{os.getpid()}.sqlite3"))
    }  # noqa: F405
