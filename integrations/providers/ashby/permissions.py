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
  calls alone, as before, and so is a key whose list holds a scope we cannot read (scopes.py:
  nothing is named missing from such a list; the unread scopes are logged and noted on the page);
- a 403 missing_endpoint_permission at connect (apiKey.info, webhook.create);
- a 403 missing_endpoint_permission on a write-back (provider.deliver): the integration stays
  connected (re-entering or re-authorizing an API key cannot grant a permission), the write is
  held (client.PermissionMissing, retried with backoff) and sent at once when a credentials
  check finds the permission granted (`writebacks_held_resume`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.base import ATSError, ChecklistCheck, HealthWarning
from integrations.models import (
    ActivityLevel,
    AuthKind,
    Integration,
    IntegrationStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.activity import activity_log
from integrations.services.writeback import writeback_held_resume

from . import constants
from .client import PermissionMissing
from .scopes import scopes_read

logger = logging.getLogger(__name__)

KEY = "missing_permissions"
# apiKey.info scopes we could not read, as last listed (a neutral note on the checklist item).
UNRECOGNISED_KEY = "scopes_unrecognised"
# Where a recorded permission came from: the key's scope list (undone when that list can no longer
# be read), or a call Ashby refused (kept until a call or a readable list says otherwise).
SOURCE_SCOPES = "scopes"


def permissions_missing(integration: Integration) -> dict[str, dict[str, Any]]:
    value = (integration.provider_settings or {}).get(KEY)
    return dict(value) if isinstance(value, dict) else {}


@transaction.atomic
def permission_missing_record(
    *,
    integration: Integration,
    permission: str,
    endpoint: str,
    missing: bool,
    message: str = "",
    source: str = "",
) -> None:
    """Remember (missing=True) or forget (missing=False) that the credentials lack `permission`.
    `message`: Ashby's words when remembering; when forgetting, the activity line if given."""
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
            **({"source": source} if source else {}),
        }
    else:
        current.pop(permission, None)
    locked.provider_settings = {**(locked.provider_settings or {}), KEY: current}
    fields = ["provider_settings", "updated_at"]
    if locked.status == IntegrationStatus.CONNECTED:
        # Connected, the state names what is missing (status_line) from the moment it is found
        # (a write-back refused, a check) until it is granted. While connecting, the connect
        # flow sets status_reason when it marks the integration connected (connected_reason).
        locked.status_reason = status_line(locked)
        fields.append("status_reason")
        integration.status_reason = locked.status_reason
    locked.save(update_fields=fields)
    integration.provider_settings = locked.provider_settings
    activity_log(
        integration=integration,
        kind="ashby.permission_missing" if missing else "ashby.permission_granted",
        level=ActivityLevel.WARNING if missing else ActivityLevel.INFO,
        message=(
            f"Ashby refused {endpoint} (403 missing_endpoint_permission): {fix_text(integration, permission, endpoint)}"
            if missing
            else message or f"Ashby now allows {endpoint}: the {permission} permission is granted."
        ),
        data={"permission": permission, "endpoint": endpoint},
    )


def _oauth_scope(permission: str) -> str:
    """The seed's OAuth scope that carries an Ashby permission."""
    if permission == constants.PERMISSION_API_KEYS_WRITE:
        return constants.SCOPE_WEBHOOK_WRITE
    return constants.SCOPE_CANDIDATE_READ if permission.endswith("Read") else constants.SCOPE_CANDIDATE_WRITE


def fix_text(integration: Integration, permission: str, endpoint: str) -> str:
    if integration.auth_kind == AuthKind.OAUTH2:
        scope = _oauth_scope(permission)
        return f"the OAuth grant lacks {permission} ({endpoint} needs it): re-authorize and approve {scope}."
    return (
        f"the API key lacks the {permission} permission ({endpoint} needs it). In Ashby Admin → "
        f"Integrations → API keys, give the JobCannon key the {permission} permission, then click "
        "Test credentials now."
    )


def status_line(integration: Integration) -> str:
    """The integration's status_reason while it is connected with Ashby permissions missing: one
    line naming each by Ashby's own name (apiKeysWrite, as its 403 missing_endpoint_permission
    and its OpenAPI's "Requires the `apiKeysWrite` permission" do) with the call that needs it,
    and where to grant it; "" when none is missing. (AshbyProvider.connected_reason)"""
    missing = sorted(permissions_missing(integration).items())
    if not missing:
        return ""
    names = ", ".join(f"{permission} (needed by {seen['endpoint']})" for permission, seen in missing)
    plural = len(missing) > 1
    head = f"Missing Ashby permission{'s' if plural else ''} {names}: "
    if integration.auth_kind == AuthKind.OAUTH2:
        scopes = ", ".join(sorted({_oauth_scope(permission) for permission, _ in missing}))
        return head + f"re-authorize JobCannon in Ashby and approve {scopes}."
    return (
        head
        + "in Ashby Admin → Integrations → API keys, give the JobCannon key "
        + ("these permissions" if plural else "this permission")
        + ", then click Test credentials now."
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


def scopes_unrecognised_note(integration: Integration) -> str:
    """A neutral sentence when apiKey.info listed scopes we could not read, else ""."""
    unread = (integration.provider_settings or {}).get(UNRECOGNISED_KEY) or []
    if not unread:
        return ""
    return (
        f"apiKey.info lists scopes JobCannon does not recognise ({', '.join(map(str, unread))}), so "
        "no permission is reported missing from that list: each is judged by Ashby's answer to the "
        "call that needs it."
    )


def checklist_check(integration: Integration) -> ChecklistCheck:
    missing = permissions_missing(integration)
    checked = bool(integration.credentials_checked_at)
    return ChecklistCheck(
        key="ashby_permissions",
        title="Ashby allows every call JobCannon makes",
        ok=(not missing) if checked or missing else None,
        detail=scopes_unrecognised_note(integration)
        if not missing
        else "Missing: "
        + ", ".join(f"{p} (needed by {seen['endpoint']})" for p, seen in sorted(missing.items())),
        fix=tuple(fix_text(integration, p, seen["endpoint"]) for p, seen in sorted(missing.items())),
    )


def permissions_from_scopes(scopes: Iterable[Any]) -> set[str]:
    """Our permission names for apiKey.info's `scopes` (scopes.scopes_read); unknown ones grant nothing."""
    return set(scopes_read(scopes).granted)


# Judged by the connect's own calls, never by `scopes`: apiKey.info answering at all proves
# apiKeysRead (the spec's own example lists neither apiKeys scope, on a key that just called it),
# and webhook.create, which on_connected calls next, decides apiKeysWrite (webhooks.register).
_PROVEN_BY_CONNECT = (constants.PERMISSION_API_KEYS_READ, constants.PERMISSION_API_KEYS_WRITE)
_FROM_SCOPES_PREFIX = "apiKey.info lists this key's scopes"


def _from_scopes(entry: dict[str, Any]) -> bool:
    # Records made before `source` existed are told by their message.
    return entry.get("source") == SOURCE_SCOPES or str(entry.get("message", "")).startswith(
        _FROM_SCOPES_PREFIX
    )


def permissions_record_from_scopes(*, integration: Integration, scopes: Iterable[Any]) -> list[str]:
    """Record every permission our calls need (constants.ENDPOINT_PERMISSIONS, but for those the
    connect's calls prove) that the key's `scopes` lack, and forget those it now has; returns the
    missing ones. The endpoint named is the first that needs the permission (or the one already
    recorded, so a repeated check does not log it again).

    A list with a scope we cannot read (scopes.scopes_read) names nothing missing: the permissions it
    grants are forgotten, a permission recorded earlier only because a list lacked it is
    forgotten too (that list is no longer evidence), one a call was refused stays; the unread
    scopes are logged (`ashby.scopes_unrecognised`) and noted on the checklist item."""
    scopes = list(scopes)
    reading = scopes_read(scopes)
    _scopes_unrecognised_record(integration=integration, scopes=scopes, unrecognised=reading.unrecognised)
    listed = ", ".join(str(s) for s in scopes) or "none"
    missing = []
    known = permissions_missing(integration)
    for permission in dict.fromkeys(constants.ENDPOINT_PERMISSIONS.values()):
        if permission in _PROVEN_BY_CONNECT:
            continue
        endpoint = (known.get(permission) or {}).get("endpoint") or next(
            e for e, p in constants.ENDPOINT_PERMISSIONS.items() if p == permission
        )
        if permission in reading.granted:
            permission_missing_record(
                integration=integration, permission=permission, endpoint=endpoint, missing=False
            )
        elif not reading.complete:
            if permission in known and _from_scopes(known[permission]):
                permission_missing_record(
                    integration=integration,
                    permission=permission,
                    endpoint=endpoint,
                    missing=False,
                    message=f"No longer counted missing: apiKey.info lists scopes JobCannon does not "
                    f"recognise ({', '.join(reading.unrecognised)}), so {permission} is judged by "
                    f"Ashby's answer to {endpoint}.",
                )
        else:
            missing.append(permission)
            permission_missing_record(
                integration=integration,
                permission=permission,
                endpoint=endpoint,
                missing=True,
                message=f"{_FROM_SCOPES_PREFIX} ({listed}); "
                f"{constants.PERMISSION_API_KEY_SCOPES.get(permission, permission)} is not among them.",
                source=SOURCE_SCOPES,
            )
    return missing


@transaction.atomic
def _scopes_unrecognised_record(
    *, integration: Integration, scopes: list[Any], unrecognised: tuple[str, ...]
) -> None:
    """Log the unread scopes (with the raw list: scope names, no secret) and keep them for the
    checklist note; an activity line only when they change, not at every check."""
    if unrecognised:
        logger.warning(
            "ashby.scopes_unrecognised",
            extra={
                "integration_id": integration.pk,
                "scopes": [str(s)[:100] for s in scopes[:50]],
                "unrecognised": list(unrecognised),
            },
        )
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    before = (locked.provider_settings or {}).get(UNRECOGNISED_KEY) or []
    if list(unrecognised) == list(before):
        integration.provider_settings = locked.provider_settings
        return
    locked.provider_settings = {**(locked.provider_settings or {}), UNRECOGNISED_KEY: list(unrecognised)}
    locked.save(update_fields=["provider_settings", "updated_at"])
    integration.provider_settings = locked.provider_settings
    if unrecognised:
        activity_log(
            integration=integration,
            kind="ashby.scopes_unrecognised",
            level=ActivityLevel.INFO,
            message=scopes_unrecognised_note(integration),
            data={"scopes": [str(s)[:100] for s in scopes[:50]], "unrecognised": list(unrecognised)},
        )


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
