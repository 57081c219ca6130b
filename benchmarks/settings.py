"""Production settings plus two baseline endpoints, for the benchmarks only (never deployed).

The baselines run in the same gunicorn with the same middleware, database and config, so the
ratios printed by benchmarks/run.py compare designs, not machines."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "k3Jd8" * 12)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "z7Jm4yYc3o3mH2Cw2bXoE9fQ1vQ0bqv2Gm3xkzv0n7U=")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from jobcannon.settings.production import *  # noqa: E402, F403

ROOT_URLCONF = "benchmarks.urls"
ATS_SIMULATORS_ENABLED = os.environ.get("ATS_SIMULATORS_ENABLED", "false").lower() == "true"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING", "handlers": []}}

# Until a real provider is registered in ATS_PROVIDERS, measure through the fake provider.
if not ATS_PROVIDERS:  # noqa: F405
    ATS_PROVIDERS = ["integrations.providers.fake.provider.FakeProvider"]
