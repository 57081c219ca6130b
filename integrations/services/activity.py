from typing import Any

from integrations.models import ActivityLevel, Integration, IntegrationActivity


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
    from jobcannon.audit.services import audit_record_from_activity  # security-relevant lines → audit log

    audit_record_from_activity(activity=activity)
    return activity
