"""The Ashby permissions a connection found missing, and how the integration page shows them.

Ashby answers 403 `missing_endpoint_permission` when the API key lacks an endpoint's module
permission (reference §3.1; each endpoint's "Requires the `<permission>` permission" in Ashby's
OpenAPI, constants.ENDPOINT_PERMISSIONS). Such a 403 proves the key itself works, so the connect
goes on without that call and the permission is kept in provider_settings["missing_permissions"]
({permission: {"endpoint", "message", "at"}}) until a later check succeeds: the integration page
names it (a health warning and a checklist item) and the activity log says when it was found and
when it was granted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.base import ChecklistCheck, HealthWarning
from integrations.models import ActivityLevel, AuthKind, Integration
from integrations.services.activity import activity_log

from . import constants

KEY = "missing_permissions"


def permissions_missing(integration: Integration) -> dict[str, dict[str, Any]]:
    value = (integration.provider_settings or {}).get(KEY)
    return dict(value) if isinstance(value, dict) else {}


@transaction.atomic
def permission_missing_record(
    *, integration: Integration, permission: str, endpoint: str, missing: bool, message: str = ""
) -> None:
    """Remember (missing=True) or forget (missing=False) that the credentials lack `permission`."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    current = permissions_missing(locked)
    if (permission in current) == missing and (not missing or current[permission]["endpoint"] == endpoint):
        integration.provider_settings = locked.provider_settings
        return
    if missing:
        current[permission] = {
            "endpoint": endpoint,
            "message": message[:500],
            "at": timezone.now().isoformat(),
        }
    else:
        current.pop(permission, None)
    locked.provider_settings = {**(locked.provider_settings or {}), KEY: current}
    locked.save(update_fields=["provider_settings", "updated_at"])
    integration.provider_settings = locked.provider_settings
    activity_log(
        integration=integration,
        kind="ashby.permission_missing" if missing else "ashby.permission_granted",
        level=ActivityLevel.WARNING if missing else ActivityLevel.INFO,
        message=(
            f"Ashby refused {endpoint} (403 missing_endpoint_permission): {fix_text(integration, permission, endpoint)}"
            if missing
            else f"Ashby now allows {endpoint}: the {permission} permission is granted."
        ),
        data={"permission": permission, "endpoint": endpoint},
    )


def fix_text(integration: Integration, permission: str, endpoint: str) -> str:
    if integration.auth_kind == AuthKind.OAUTH2:
        scope = (
            constants.SCOPE_WEBHOOK_WRITE
            if permission == constants.PERMISSION_API_KEYS_WRITE
            else constants.SCOPE_CANDIDATE_READ
            if permission.endswith("Read")
            else constants.SCOPE_CANDIDATE_WRITE
        )
        return f"the OAuth grant lacks {permission} ({endpoint} needs it): re-authorize and approve {scope}."
    return (
        f"the API key lacks the {permission} permission ({endpoint} needs it). In Ashby Admin → "
        f"Integrations → API keys, give the JobCannon key the {permission} permission, then click "
        "Test credentials now."
    )


def health_warnings(integration: Integration) -> list[HealthWarning]:
    return [
        HealthWarning(
            key=f"ashby-missing-{permission}",
            message=f"Missing Ashby permission {permission}: "
            + fix_text(integration, permission, seen["endpoint"]),
            level="error",
        )
        for permission, seen in sorted(permissions_missing(integration).items())
    ]


def checklist_check(integration: Integration) -> ChecklistCheck:
    missing = permissions_missing(integration)
    checked = bool(integration.credentials_checked_at)
    return ChecklistCheck(
        key="ashby_permissions",
        title="Ashby allows every call JobCannon makes",
        ok=(not missing) if checked or missing else None,
        detail=""
        if not missing
        else "Missing: "
        + ", ".join(f"{p} (needed by {seen['endpoint']})" for p, seen in sorted(missing.items())),
        fix=tuple(fix_text(integration, p, seen["endpoint"]) for p, seen in sorted(missing.items())),
    )
