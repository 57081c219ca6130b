"""DRF throttle for the partner APIs ATSs call: the verified budget of the integration the
caller's partner key (or token) proved, taken after authentication (integrations/services/
inbound_limits.py). Failed authentication never gets here: the inbound guard charges those to
the client address (integrations/middleware.py)."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import BaseThrottle

from integrations.models import Integration
from integrations.services import inbound_limits


class VerifiedPartnerThrottle(BaseThrottle):
    """A no-op for every other API (session-authenticated JSON views carry no integration)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        self._wait = 0.0
        integration = getattr(request, "auth", None)
        if not isinstance(integration, Integration):
            return True
        self._wait = inbound_limits.verified_take(
            provider_key=integration.provider, public_id=integration.public_id
        )
        return not self._wait

    def wait(self) -> float | None:
        return self._wait or None
