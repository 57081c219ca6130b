"""Production settings plus two baseline endpoints, for the benchmarks only (never deployed).

The baselines run in the same gunicorn with the same middleware, database, logging and config,
so the ratios printed by benchmarks/run.py compare designs, not machines. Differences from
production, each needed to measure on one machine over plain HTTP:

- plain http on 127.0.0.1 (no TLS redirect, cookies without the Secure flag);
- the built-in simulators can be switched on (sections 3 and 4: the write-back target);
- the per-integration inbound limit is lifted: the benchmark sends one integration's worth of
  traffic at a thousand requests a second, which production would (rightly) answer 429. The
  limiter still runs on every request, so its cost is measured."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "k3Jd8" * 12)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "z7Jm4yYc3o3mH2Cw2bXoE9fQ1vQ0bqv2Gm3xkzv0n7U=")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from jobcannon.settings.production import *  # noqa: E402, F403

ROOT_URLCONF = "benchmarks.urls"
ATS_SIMULATORS_ENABLED = os.environ.get("ATS_SIMULATORS_ENABLED", "false").lower() == "true"
if ATS_SIMULATORS_ENABLED:  # the simulators are a plug-in app (integrations/plugins.py)
    INSTALLED_APPS = [*INSTALLED_APPS, "integrations.simulator_plugins"]  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
INBOUND_RATE_LIMITS = {"default": {"per_second": 1_000_000, "burst": 1_000_000}}

# What-if knobs for experiments (never set by run.py: the published figures use the settings above).
if os.environ.get("BENCH_Q_SAVE_LIMIT"):
    Q_CLUSTER = {**Q_CLUSTER, "save_limit": int(os.environ["BENCH_Q_SAVE_LIMIT"])}  # noqa: F405
