"""One of the 4 processes of section 4 (benchmarks/limiter.py): from `start_at` for `seconds`,
take slots of the integration's shared limit as fast as it grants them, and write what happened
as JSON to `out`.

    python -m benchmarks.limiter_worker direct <integration id> <start_at epoch> <seconds> <out>
    python -m benchmarks.limiter_worker http   <integration id> <start_at epoch> <seconds> <out>

direct: integrations.services.ratelimit.rate_limit_acquire, the time of each grant recorded.
http: the Ashby client's apiKey.info against the simulator (limiter, then a real HTTP call; the
grant times are the OutboundCall rows, read by the parent)."""

from __future__ import annotations

import json
import sys
import time

import django


def main(mode: str, integration_id: int, start_at: float, seconds: float, out: str) -> None:
    django.setup()
    from integrations.base import ATSError, LocalRateLimited
    from integrations.models import Integration
    from integrations.registry import provider_for
    from integrations.services.ratelimit import rate_limit_acquire, rate_limit_patience

    integration = Integration.objects.get(pk=integration_id)
    provider = provider_for(integration)
    client = provider.client(integration)
    grants: list[float] = []
    refused, remote_429, errors = 0, 0, 0
    time.sleep(max(0.0, start_at - time.time()))
    end = start_at + seconds
    while time.time() < end:
        try:
            # A worker's patience (as the outbox uses it): wait for a slot rather than bounce.
            with rate_limit_patience(1.0):
                if mode == "direct":
                    rate_limit_acquire(integration=integration, provider=provider)
                    grants.append(time.time())
                else:
                    client.api_key_info()
        except LocalRateLimited:
            refused += 1
        except ATSError as exc:
            if getattr(exc, "status_code", None) == 429 or type(exc).__name__ == "ATSRateLimited":
                remote_429 += 1
            else:
                errors += 1
    with open(out, "w") as f:
        json.dump({"grants": grants, "refused": refused, "remote_429": remote_429, "errors": errors}, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
