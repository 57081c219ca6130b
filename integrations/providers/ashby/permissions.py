"""The Ashby permissions a connection found missing, and how the integration page shows them.

Ashby answers 403 `missing_endpoint_permission` when the API key lacks an endpoint's module
permission (reference §3.1; each endpoint's "Requires the `<permission>` permission" in Ashby's
OpenAPI, constants.ENDPOINT_PERMISSIONS). Such a 403 proves the key itself works, so the connect
goes on without that call and the permission is kept in provider_settings["missing_permissions"]
({permission: {"endpoint", "message", "at"}}) until a later check succeeds: the integration page
names it (a health warning and a checklist item) and the activity log says when it was found and
when it was granted.

Three ways a missing permission is found:
- the key's own list: apiKey.info answers `results.scopes` ("List of permission scopes that this
  API key is authorized for", Ashby's OpenAPI /apiKey.info); every permission our calls need
  (constants.ENDPOINT_PERMISSIONS) that the list lacks is recorded at connect, before any call
  fails (`permissions_record_from_scopes`). The scope → permission table is our inference
  (constants.API_KEY_SCOPE_PERMISSIONS). A key without `scopes` (older keys) is judged by its
  calls alone, as before;
- a 403 missing_endpoint_permission at connect (apiKey.info, webhook.create);
- a 403 missing_endpoint_permission on a write-back (provider.deliver): the integration stays
  connected (re-entering or re-authorizing an API key cannot grant a permission), the write is
  held (client.PermissionMissing, retried with backoff) and sent at once when a credentials
  check finds the permission granted (`writebacks_held_resume`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.base import ATSError, ChecklistCheck, HealthWarning
from integrations.models import ActivityLevel, AuthKind, Integration, WritebackMessage, WritebackStatus
from integrations.services.activity import activity_log
from integrations.services.writeback import writeback_held_resume

from . import constants
from .client import PermissionMissing

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


def _scope_key(scope: str) -> str:
    # "apiKeys:read", "api_keys:read" and "APIKEYS:READ" name the same scope.
    return scope.strip().lower().replace("_", "").replace("-", "")


_SCOPES = {_scope_key(scope): permission for scope, permission in constants.API_KEY_SCOPE_PERMISSIONS.items()}


def permissions_from_scopes(scopes: Iterable[Any]) -> set[str]:
    """Our permission names for apiKey.info's `scopes` (constants.API_KEY_SCOPE_PERMISSIONS).
    A scope spelled as the permission itself (`candidatesWrite`) counts too; unknown ones do not."""
    names = {p.lower(): p for p in constants.ENDPOINT_PERMISSIONS.values()}
    granted = set()
    for scope in scopes:
        if isinstance(scope, str):
            permission = _SCOPES.get(_scope_key(scope)) or names.get(scope.strip().lower())
            if permission:
                granted.add(permission)
    return granted


# Judged by the connect's own calls, never by `scopes`: apiKey.info answering at all proves
# apiKeysRead (the spec's own example lists neither apiKeys scope, on a key that just called it),
# and webhook.create, which on_connected calls next, decides apiKeysWrite (webhooks.register).
_PROVEN_BY_CONNECT = (constants.PERMISSION_API_KEYS_READ, constants.PERMISSION_API_KEYS_WRITE)


def permissions_record_from_scopes(*, integration: Integration, scopes: Iterable[Any]) -> list[str]:
    """Record every permission our calls need (constants.ENDPOINT_PERMISSIONS, but for those the
    connect's calls prove) that the key's `scopes` lack, and forget those it now has; returns the
    missing ones. The endpoint named is the first that needs the permission (or the one already
    recorded, so a repeated check does not log it again)."""
    scopes = list(scopes)
    granted = permissions_from_scopes(scopes)
    listed = ", ".join(str(s) for s in scopes) or "none"
    missing = []
    known = permissions_missing(integration)
    for permission in dict.fromkeys(constants.ENDPOINT_PERMISSIONS.values()):
        if permission in _PROVEN_BY_CONNECT:
            continue
        endpoint = (known.get(permission) or {}).get("endpoint") or next(
            e for e, p in constants.ENDPOINT_PERMISSIONS.items() if p == permission
        )
        lacking = permission not in granted
        if lacking:
            missing.append(permission)
        permission_missing_record(
            integration=integration,
            permission=permission,
            endpoint=endpoint,
            missing=lacking,
            message=f"apiKey.info lists this key's scopes ({listed}); "
            f"{constants.PERMISSION_API_KEY_SCOPES.get(permission, permission)} is not among them."
            if lacking
            else "",
        )
    return missing


def permission_missing_on_write(
    *, integration: Integration, endpoint: str, permission: str, error: ATSError
) -> PermissionMissing:
    """Ashby's 403 missing_endpoint_permission to an API key's write-back: record the permission
    (Ashby panel, health warning, checklist, log) and return the error that holds the write."""
    permission_missing_record(
        integration=integration, permission=permission, endpoint=endpoint, missing=True, message=error.message
    )
    return PermissionMissing(
        f"Ashby refused {endpoint} (403 missing_endpoint_permission): "
        + fix_text(integration, permission, endpoint)
        + " The write is held and sent once the permission is granted.",
        status_code=error.status_code,
        vendor_code=error.vendor_code,
        request_id=error.request_id,
        details={"missing_permission": permission},
    )


def writebacks_held(*, integration: Integration) -> list[WritebackMessage]:
    """Write-backs Ashby refused for a missing permission (client.PermissionMissing): retrying
    with backoff, or dead once the retry horizon passed before the permission was granted."""
    return list(
        WritebackMessage.objects.filter(
            integration=integration,
            status__in=(WritebackStatus.RETRYING, WritebackStatus.DEAD),
            last_error_class=PermissionMissing.__name__,
        ).order_by("pk")
    )


def writebacks_held_resume(*, integration: Integration) -> int:
    """A credentials check found the write permission granted, or could not tell (a key whose
    apiKey.info lists no scopes): send the held write-backs now, not at their next backoff step.
    Still refused, they are held again; sent, the permission is forgotten (provider.deliver)."""
    return writeback_held_resume(
        integration=integration,
        held=writebacks_held(integration=integration),
        reason="Ashby's candidatesWrite permission is no longer missing: sending now.",
        kind="ashby.writebacks_resumed",
        summary="The API key may now write to Ashby: {count} held write-back(s) queued.",
    )
