"""HTTP to Ashby: Basic (API key) or Bearer (OAuth), and Ashby's error shapes.

Ashby answers many failures with HTTP 200 and `success: false`; `errors[]` holds strings (the
spec's shared error schema: `errors.items: {type: string}`, deprecated) or, as a third-party
client reports for a missing module permission, `{message, parameter}` objects ([3P]
simstudioai/sim utils.ts; not the spec's schema). Both are parsed (ashby_errors); `errorInfo`
carries `code`, `message` and `requestId` (reference §3.3). 401 means the credential
is missing or expired, 403 a wrong/deactivated key or `missing_endpoint_permission` (§3.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import requests

from integrations.base import (
    ATSAuthError,
    ATSError,
    ATSNotFound,
    ATSPermissionError,
    ATSRateLimited,
    ATSValidationError,
    BaseClient,
)
from integrations.models import AuthKind
from integrations.services.oauth import token_get_access

from . import constants

REAUTHORIZE_HINT = (
    "token expired or insufficient scopes: re-authorize. Check the token's age (refresh it if it "
    f"is older than 1.5 years), verify the scopes include {constants.SCOPE_CANDIDATE_WRITE}, "
    "then re-authorize the integration in Ashby settings."
)


class PermissionMissing(ATSError):
    """A write-back Ashby refused with 403 missing_endpoint_permission to an API key (its
    candidatesWrite permission, as a rule). The key works, and re-entering it cannot grant the
    permission: only an Ashby admin can, on the key. So the integration is not marked
    needs-reauth; the permission is recorded (permissions.permission_missing_record: Ashby panel,
    health warning, checklist) and the outbox holds the write: retryable, so it is retried with
    backoff, with this reason on the row; a credentials check that finds the permission granted
    sends the held writes at once (permissions.writebacks_held_resume)."""

    code = "ashby_permission_missing"
    status = 409
    retryable = True


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class AshbyErrors(NamedTuple):
    code: str
    message: str
    request_id: str
    # `errors[].parameter` values, in order: on a 403 missing_endpoint_permission, the permission
    # the key lacks (the structured answer; the message is prose and may name other permissions).
    parameters: tuple[str, ...]


def ashby_errors(body: Any) -> AshbyErrors:
    """Code, message, request id and `errors[].parameter` values of an Ashby error body,
    whichever shape it has."""
    if not isinstance(body, Mapping):
        return AshbyErrors("", "", "", ())
    raw_info = body.get("errorInfo")
    info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
    codes: list[str] = []
    messages: list[str] = []
    parameters: list[str] = []
    for item in body.get("errors") or []:
        if isinstance(item, Mapping):
            text = str(item.get("message") or item.get("code") or "")
            codes.append(text)
            param = item.get("parameter")
            messages.append(f"{text} ({param})" if param else text)
            if isinstance(param, str) and param.strip():
                parameters.append(param.strip())
        elif item:
            codes.append(str(item))
            messages.append(str(item))
    code = str(info.get("code") or (codes[0] if codes else ""))
    message = str(info.get("message") or "; ".join(m for m in messages if m) or body.get("message") or "")
    return AshbyErrors(code, message, str(info.get("requestId") or ""), tuple(parameters))


class AshbyClient(BaseClient):
    # Ashby sits behind Cloudflare, which answers 403 "error 1010" to an empty or library-default
    # User-Agent (reference §1.7, 3P Touchstones): always send our own.
    user_agent = "JobCannon-Ashby/1.0 (+https://jobcannon.io/integrations/ashby)"
    request_id_header = constants.REQUEST_ID_HEADER
    last_request_id = ""
    # The endpoint being called: a 403 that names no permission is explained with the one the
    # spec says this endpoint requires (constants.ENDPOINT_PERMISSIONS).
    operation = ""

    def auth(self) -> requests.auth.AuthBase | None:
        if self.integration.auth_kind == AuthKind.OAUTH2:
            return _Bearer(token_get_access(integration=self.integration))
        # "Put your API key as the basic auth username and leave the password blank."
        return requests.auth.HTTPBasicAuth(self.integration.credential("api_key", ""), "")

    # -- error mapping --
    def classify(self, response: requests.Response) -> ATSError | None:
        if response.status_code >= 400:
            return self._explain(super().classify(response), response)
        try:
            body = response.json()
        except ValueError:
            return ATSValidationError(
                f"Ashby answered {response.status_code} with a body that is not JSON.",
                status_code=response.status_code,
                request_id=self.vendor_request_id(response),
            )
        if not isinstance(body, Mapping) or body.get("success") is not False:
            return None
        code, message, request_id, parameters = ashby_errors(body)
        kw: dict[str, Any] = {
            "status_code": response.status_code,
            "vendor_code": code[:60],
            "request_id": request_id or self.vendor_request_id(response),
        }
        text = f"Ashby refused the call: {message or code or 'success: false'}"
        if code == constants.CODE_MISSING_PERMISSION:
            named = self._named_permission(parameters, message)
            return ATSPermissionError(
                self._permission_text(message, named), details={"missing_permission": named}, **kw
            )
        if code in constants.CODE_RATE_LIMITED:
            return ATSRateLimited(text, **kw)
        if code.endswith("_not_found"):
            return ATSNotFound(text, **kw)
        if code in ("unauthenticated", "invalid_credentials", "token_expired", "unauthorized"):
            return ATSAuthError(f"Ashby: {REAUTHORIZE_HINT}", **kw)
        return ATSValidationError(text, **kw)

    def _explain(self, error: ATSError | None, response: requests.Response) -> ATSError | None:
        """Ashby-specific wording for the generic HTTP classes (shown as the integration's status)."""
        if error is None:
            return None
        if isinstance(error, ATSAuthError):
            if self.integration.auth_kind == AuthKind.OAUTH2:
                error.message = f"Ashby answered 401 Unauthorized: {REAUTHORIZE_HINT}"
            else:
                error.message = (
                    "Ashby answered 401 Unauthorized: no API key reached Ashby. Enter the API key "
                    "again (it goes in the Basic-auth username, with a blank password)."
                )
        elif isinstance(error, ATSPermissionError):
            if (
                error.vendor_code == constants.CODE_MISSING_PERMISSION
                or constants.CODE_MISSING_PERMISSION in response.text
            ):
                error.vendor_code = constants.CODE_MISSING_PERMISSION
                try:
                    parameters = ashby_errors(response.json()).parameters
                except ValueError:
                    parameters = ()
                named = self._named_permission(parameters, error.message)
                error.message = self._permission_text(error.message, named)
                error.details = {"missing_permission": named}
            elif "1010" in response.text[:2000]:
                error.message = (
                    "Ashby's firewall refused the request (Cloudflare error 1010: User-Agent rejected)."
                )
            elif self.integration.auth_kind == AuthKind.OAUTH2:
                error.message = f"Ashby answered 403 Forbidden: {REAUTHORIZE_HINT}"
            else:
                error.message = (
                    "Ashby answered 403 Forbidden: the API key is wrong or deactivated. Create a new "
                    "key in Ashby Admin → Integrations → API keys and save it here."
                )
        elif error.status_code and error.status_code >= 500:
            error.message = f"Ashby failed ({error.status_code}); we retry with backoff." + (
                f" Ashby request id {error.request_id}." if error.request_id else ""
            )
        return error

    def missing_permission(self, error: ATSError | None = None) -> str:
        """The permission a 403 missing_endpoint_permission is about, as classify() resolved it
        (`_named_permission`), else the one the spec says this endpoint requires."""
        details = error.details if error is not None else None
        named = details.get("missing_permission") if isinstance(details, Mapping) else ""
        return str(named or "") or constants.ENDPOINT_PERMISSIONS.get(self.operation, "")

    def _named_permission(self, parameters: tuple[str, ...], message: str) -> str:
        """Ashby's `errors[].parameter` first: the structured answer, where the message is prose
        that may mention other permissions ("has candidatesRead, lacks candidatesWrite"). Then the
        permission the spec says this endpoint requires. Only for a call the spec table does not
        know, the permission the message names first."""
        if parameters:
            return parameters[0]
        required = constants.ENDPOINT_PERMISSIONS.get(self.operation, "")
        if required:
            return required
        found = [(message.find(p), p) for p in constants.API_KEY_PERMISSIONS if p in message]
        return min(found)[1] if found else ""

    def _permission_text(self, detail: str, named: str) -> str:
        endpoint = f" for {self.operation}" if self.operation else ""
        if self.integration.auth_kind == AuthKind.OAUTH2:
            if self.operation in (constants.EP_WEBHOOK_CREATE, constants.EP_WEBHOOK_DELETE):
                scope = constants.SCOPE_WEBHOOK_WRITE
            elif named.endswith("Read"):
                scope = constants.SCOPE_CANDIDATE_READ
            else:
                scope = constants.SCOPE_CANDIDATE_WRITE
            fix = f"re-authorize and approve the {scope} scope"
        else:
            fix = f"in Ashby Admin → API keys, give the key the {named or constants.PERMISSION_CANDIDATES_WRITE} permission"
        return (
            f"Ashby refused the call{endpoint}: missing_endpoint_permission "
            f"({detail or 'endpoint permission missing'}). Fix: {fix}."
        )

    def error_message(self, response: requests.Response) -> tuple[str, str]:
        try:
            body = response.json()
        except ValueError:
            return "", ""
        errors = ashby_errors(body)
        return errors.message, errors.code

    def vendor_request_id(self, response: requests.Response) -> str:
        header = response.headers.get(constants.REQUEST_ID_HEADER, "")
        if header:
            return header
        try:
            return ashby_errors(response.json()).request_id
        except ValueError:
            return ""

    # -- operations --
    def call(self, endpoint: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self.operation = endpoint
        response = self.request(
            "POST",
            f"/{endpoint}",
            operation=endpoint,
            json=dict(body or {}),
            headers={"Accept": constants.ACCEPT, "Content-Type": "application/json"},
        )
        # Kept for the caller to show next to warnings: Ashby support asks for it (seed 002 §6).
        self.last_request_id = self.vendor_request_id(response)
        data = response.json()
        return data if isinstance(data, dict) else {}

    def api_key_info(self) -> dict[str, Any]:
        return self.call(constants.EP_API_KEY_INFO)

    def webhook_create(self, *, webhook_type: str, request_url: str, secret_token: str) -> dict[str, Any]:
        return self.call(
            constants.EP_WEBHOOK_CREATE,
            {"webhookType": webhook_type, "requestUrl": request_url, "secretToken": secret_token},
        )

    def webhook_delete(self, *, webhook_id: str) -> dict[str, Any]:
        return self.call(constants.EP_WEBHOOK_DELETE, {"webhookId": webhook_id})

    def assessment_update(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.call(constants.EP_ASSESSMENT_UPDATE, body)

    def candidate_create_note(self, *, candidate_id: str, html: str) -> dict[str, Any]:
        return self.call(
            constants.EP_CANDIDATE_CREATE_NOTE,
            {
                "candidateId": candidate_id,
                "note": {"type": "text/html", "value": html},
                "sendNotifications": False,
            },
        )
