"""HTTP to Lever (or the built-in simulator). Errors come back as `{"code", "message"}`
(https://hire.lever.co/developer/documentation#errors); we turn them into the seed's sentences so
the customer reads the cause and the fix, not a bare status code."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import requests

from integrations.base import ATSAuthError, ATSError, ATSNotFound, ATSPermissionError, BaseClient
from integrations.models import Token
from integrations.services.oauth import token_get_access

from . import constants

MAX_PAGES = 50  # 5,000 rows: far beyond any stage or posting list; stops a runaway `next` loop
# The Webhooks Subscription API's calls (LH: "List Webhooks", "Create Webhook"), whose 403 has two
# causes (constants.webhooks_forbidden_causes): operation -> (method, what the customer reads).
WEBHOOKS_CALLS = {
    "webhooks.list": ("GET", "Lever did not let JobCannon list its webhooks"),
    "webhooks.create": ("POST", constants.WEBHOOKS_API_FORBIDDEN),
}


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def scopes_granted(integration) -> tuple[str, ...] | None:
    """The OAuth scopes Lever granted (the token's `scope`), or None where they cannot be read:
    an API key, or no token yet. The webhooks 403's sentence rules out what was granted."""
    if integration.auth_kind != "oauth2":
        return None
    token = Token.objects.filter(integration=integration).only("scopes_granted").first()
    return None if token is None else tuple(token.scopes_granted or ())


def fix_steps() -> str:
    return " ".join(f"{n}. {step}." for n, step in enumerate(constants.INVALID_KEY_FIX, start=1))


def scope_for(operation: str, auth_kind: str) -> str:
    seed_scope, oauth_scope = constants.OPERATION_SCOPES.get(operation, ("", ""))
    return oauth_scope if auth_kind == "oauth2" else seed_scope


def _reword(error: ATSError, message: str, details: Any = None) -> ATSError:
    """Same failure class (the write-back rules key on it), the customer's sentence."""
    error.message = message
    error.args = (message,)
    if details is not None:
        error.details = details
    return error


class LeverClient(BaseClient):
    request_id_header = "X-Request-Id"
    _operation = ""
    # "basic" (real Lever: key as username, blank password) or "bearer" (seed 004).
    scheme_override: str | None = None

    def auth(self) -> requests.auth.AuthBase | None:
        if self.integration.auth_kind == "oauth2":
            return _Bearer(token_get_access(integration=self.integration))
        key = self.integration.credential("api_key", "")
        scheme = self.scheme_override or (self.integration.provider_settings or {}).get(
            "api_key_scheme", "basic"
        )
        if scheme == "bearer":
            return _Bearer(key)
        return requests.auth.HTTPBasicAuth(key, "")

    def request(self, method: str, path: str, *, operation: str = "", **kwargs: Any) -> requests.Response:
        self._operation = operation
        return super().request(method, path, operation=operation, **kwargs)

    def classify(self, response: requests.Response) -> ATSError | None:
        error = super().classify(response)
        if error is None:
            return None
        vendor = error.message
        if isinstance(error, ATSAuthError):
            if self.integration.auth_kind == "oauth2":
                return _reword(
                    error, f"Lever rejected the access token (401: {vendor}). Re-authorize the integration."
                )
            return _reword(
                error,
                f"{constants.INVALID_KEY_TITLE}: Lever rejected the API key (401: {vendor}). Fix: {fix_steps()}",
            )
        if isinstance(error, ATSPermissionError) and self._operation in WEBHOOKS_CALLS:
            # Not (only) a permission: accounts without the Webhooks Subscription API answer 403 on
            # /webhooks (constants.MANUAL_EVENTS); setup.lever_webhooks_manual takes over. The key
            # works (the connect's reads passed), so this is never "Invalid API key".
            missing = (
                scope_for(self._operation, "oauth2")
                if self.integration.auth_kind == "oauth2"
                else " / ".join(constants.WEBHOOKS_KEY_PERMISSIONS)
            )
            method, what = WEBHOOKS_CALLS[self._operation]
            message = (
                f"{what}: Lever answered 403 to {method} /webhooks (Lever said: {vendor}). "
                + constants.webhooks_forbidden_causes(
                    self.integration.auth_kind, scopes_granted(self.integration)
                )
            )
            return _reword(error, message, details={"missing_permission": missing, "vendor_message": vendor})
        if isinstance(error, ATSPermissionError):
            scope = scope_for(self._operation, self.integration.auth_kind)
            needs = f"the `{scope}` scope" if scope else "a permission"
            fix = (
                fix_steps()
                if self.integration.auth_kind != "oauth2"
                else "Re-authorize and approve every requested scope."
            )
            message = (
                f"{constants.INVALID_KEY_TITLE}: {self._operation or 'this call'} needs {needs}, "
                f"which the credentials lack (403: {vendor}). Fix: {fix}"
            )
            return _reword(error, message, details={"missing_scope": scope})
        if isinstance(error, ATSNotFound) and self._operation == "feedback.create":
            return _reword(error, f"{constants.FEEDBACK_404_EXPLANATION} (Lever said: {vendor})")
        return error

    # -- paging: {"data": [...], "hasNext": true, "next": "<opaque offset>"} --
    def iter_list(
        self, path: str, *, operation: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        query = {"limit": 100, **(params or {})}
        for _ in range(MAX_PAGES):
            body = self.request("GET", path, operation=operation, params=query).json()
            yield from body.get("data") or []
            if not body.get("hasNext") or not body.get("next"):
                return
            query = {**query, "offset": body["next"]}

    # -- reads --
    def opportunities_probe(self) -> list[dict[str, Any]]:
        return (
            self.request("GET", "/opportunities", operation="opportunities.list", params={"limit": 1})
            .json()
            .get("data")
            or []
        )

    def opportunity(self, opportunity_id: str) -> dict[str, Any]:
        return (
            self.request(
                "GET",
                f"/opportunities/{opportunity_id}",
                operation="opportunities.get",
                params={"expand": "applications"},
            )
            .json()
            .get("data")
            or {}
        )

    def stages(self) -> list[dict[str, Any]]:
        return list(self.iter_list("/stages", operation="stages.list"))

    def postings(self) -> list[dict[str, Any]]:
        return list(self.iter_list("/postings", operation="postings.list", params={"state": "published"}))

    def users(self) -> list[dict[str, Any]]:
        return list(self.iter_list("/users", operation="users.list"))

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.iter_list("/webhooks", operation="webhooks.list"))

    def feedback_templates(self) -> list[dict[str, Any]]:
        return list(self.iter_list("/feedback_templates", operation="feedback_templates.list"))

    def feedback_list(self, opportunity_id: str) -> list[dict[str, Any]]:
        return list(self.iter_list(f"/opportunities/{opportunity_id}/feedback", operation="feedback.list"))

    def feedback_get(self, opportunity_id: str, feedback_id: str) -> dict[str, Any]:
        return (
            self.request(
                "GET", f"/opportunities/{opportunity_id}/feedback/{feedback_id}", operation="feedback.get"
            )
            .json()
            .get("data")
            or {}
        )

    # -- writes --
    def webhook_create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = (
            self.request("POST", "/webhooks", operation="webhooks.create", json=dict(body)).json().get("data")
        )
        # LD "Create a Webhook" shows the 201 body nested twice: {"data": {"data": {"id", ...,
        # "configuration": {"signatureToken"}}}}; take the inner object when it is there.
        if isinstance(data, dict) and isinstance(data.get("data"), dict) and "id" not in data:
            data = data["data"]
        return data or {}

    def feedback_template_create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return (
            self.request(
                "POST", "/feedback_templates", operation="feedback_templates.create", json=dict(body)
            )
            .json()
            .get("data")
            or {}
        )

    def feedback_create(
        self, opportunity_id: str, *, perform_as: str, body: Mapping[str, Any], attempt: int
    ) -> dict[str, Any]:
        # LD: POST /opportunities/:opportunity/feedback?perform_as=<userId> (perform_as required).
        return (
            self.request(
                "POST",
                f"/opportunities/{opportunity_id}/feedback",
                operation="feedback.create",
                params={"perform_as": perform_as},
                json=dict(body),
                attempt=attempt,
            )
            .json()
            .get("data")
            or {}
        )

    def note_create(
        self, opportunity_id: str, *, body: Mapping[str, Any], perform_as: str, attempt: int
    ) -> dict[str, Any]:
        params = {"perform_as": perform_as} if perform_as else None
        return (
            self.request(
                "POST",
                f"/opportunities/{opportunity_id}/notes",
                operation="notes.create",
                params=params,
                json=dict(body),
                attempt=attempt,
            )
            .json()
            .get("data")
            or {}
        )
