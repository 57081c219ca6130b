"""How apiKey.info's `results.scopes` are read: which permissions a key's list grants, and which
listed scopes we cannot read.

Ashby's OpenAPI, /apiKey.info: `scopes`, "List of permission scopes that this API key is
authorized for", example ["jobs:read", "candidates:read"]. The spec names the permissions
(`candidatesWrite`, …) but publishes no table from them to the scope strings: the reading here is
our inference [I] (constants.API_KEY_SCOPE_PERMISSIONS, constants.PUBLISHED_PERMISSIONS). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import constants


def _scope_key(scope: str) -> str:
    # "apiKeys:read", "api_keys:read" and "APIKEYS:READ" name the same scope.
    return scope.strip().lower().replace("_", "").replace("-", "")


_SCOPES = {_scope_key(scope): permission for scope, permission in constants.API_KEY_SCOPE_PERMISSIONS.items()}
_PUBLISHED = {p.lower(): p for p in constants.PUBLISHED_PERMISSIONS}


def _scope_permission(scope: Any) -> str:
    """The permission a scope grants, "" if we cannot read it. Our table first
    (constants.API_KEY_SCOPE_PERMISSIONS, the one place to correct a spelling); then the same
    `<module>:<read|write>` reading for any permission the spec publishes (`offers:write` →
    offersWrite, one we never need: understood, not unknown); then a scope spelled as the
    permission itself (`candidatesWrite`)."""
    if not isinstance(scope, str):
        return ""
    key = _scope_key(scope)
    module, colon, access = key.partition(":")
    return (
        _SCOPES.get(key)
        or (_PUBLISHED.get(module + access, "") if colon and access in ("read", "write") else "")
        or _PUBLISHED.get(key, "")
    )


@dataclass(frozen=True)
class ScopeReading:
    granted: frozenset[str]  # permissions the listed scopes grant
    unrecognised: tuple[str, ...]  # listed scopes we could not read, as listed

    @property
    def complete(self) -> bool:
        """Every listed scope read: only then may a permission be named missing from the list."""
        return not self.unrecognised


def scopes_read(scopes: Iterable[Any]) -> ScopeReading:
    """What apiKey.info's `scopes` say, and what they leave unsaid.

    The rule, because the scope → permission reading is our inference [I]:
    - a scope we read grants its permission (a positive reading is safe);
    - a scope we cannot read grants nothing, and it also forbids every negative conclusion:
      it may be the very permission we would call missing, spelled in a way we do not know. So a
      permission is named missing from the list only when every listed scope was read
      (`complete`). A list with one unread scope is, for what is missing, a list we did not get:
      the key is judged by its calls (a 403 missing_endpoint_permission names the permission at
      its first use), exactly as a key whose apiKey.info lists no scopes;
    - none read at all (every spelling new to us) is thus the "no scopes" case whole.
    A scope of a permission the spec publishes but we never need (`offers:read`) is read, so a
    broadly granted key still has its missing permissions named at connect."""
    granted: set[str] = set()
    unrecognised: list[str] = []
    for scope in scopes:
        permission = _scope_permission(scope)
        if permission:
            granted.add(permission)
        else:
            unrecognised.append(str(scope)[:100])
    return ScopeReading(frozenset(granted), tuple(unrecognised))
