from typing import Any

from integrations.models import ActivityLevel, Integration, IntegrationActivity
from integrations.services.hooks import activity_announce


def activity_log(
    *,
    integration: Integration,
    kind: str,
    message: str,
    level: str = ActivityLevel.INFO,
    data: dict[str, Any] | None = None,
) -> IntegrationActivity:
    """A line in the customer's integration log. Never put a secret in `message` or `data`."""
    activity = IntegrationActivity.objects.create(
        integration=integration, kind=kind, message=message, level=level, data=data or {}
    )
    activity_announce(activity=activity)  # the audit log mirrors the security-relevant lines
    return activity
