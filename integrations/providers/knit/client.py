"""HTTP to Knit: the only module that talks to Knit's API (provider.api_base_url: api.getknit.dev,
Knit's sandbox host, or the built-in simulator)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.base import (
    ATSError,
    ATSValidationError,
    BaseClient,
    _parse_retry_after,
    response_json_or_none,
)

from . import constants


class KnitAuth(requests.auth.AuthBase):
    """Knit authenticates every call with two headers: the account's API key as a Bearer token
    and the customer's integration id (https://developers.getknit.dev/reference/authenticating-your-apis-with-knit)."""

    def __init__(self, api_key: str, integration_id: str):
        self.api_key = api_key
        self.integration_id = integration_id

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.api_key}"
        r.headers[constants.AUTH_HEADER_INTEGRATION] = self.integration_id
        return r


@dataclass(frozen=True)
class AssessmentSecrets:
    """What "Create ATS Assessment Secrets" returns: the API key Ashby uses and its base URL."""

    secret_key: str
    base_url: str


class KnitClient(BaseClient):
    # Knit's "Unique Id for each API call" (constants.EXECUTION_ID_HEADER): stored on every
    # OutboundCall as vendor_request_id, and on errors, so a failure can be quoted to Knit support.
    request_id_header = constants.EXECUTION_ID_HEADER

    def auth(self) -> requests.auth.AuthBase | None:
        return KnitAuth(
            self.integration.credential("api_key", ""), self.integration.credential("integration_id", "")
        )

    def classify(self, response: requests.Response) -> ATSError | None:
        # Knit wraps answers in {"success": bool, "data": ..., "error": {"msg": ...}}; a 200 with
        # success:false is a refusal, not a success.
        if _is_passthrough(response):
            wrapped = _passthrough_wrapped(response)
            if wrapped is not None:
                # Knit delivered the call; whether Ashby applied it is in the wrapped answer, whatever
                # Knit's own status (public passthrough clients read Knit's HTTP status as the app's).
                # Judged here so the OutboundCall row records Ashby's refusal too.
                from .passthrough import ashby_outcome

                outcome = ashby_outcome(
                    wrapped, request_id=self.vendor_request_id(response), knit_status=response.status_code
                )
                if outcome is not None and outcome.retry_after is None:
                    outcome.retry_after = _retry_after(response, wrapped)
                return outcome
        error = super().classify(response)
        if error is not None:
            return error
        body = response_json_or_none(response)
        if isinstance(body, dict) and body.get("success") is False:
            message, code = self.error_message(response)
            return ATSValidationError(
                message or "Knit refused the request.",
                status_code=response.status_code,
                vendor_code=code,
                request_id=self.vendor_request_id(response),
            )
        if _is_passthrough(response):
            # Knit said success but wrapped no answer from Ashby: not a confirmed delivery.
            from .passthrough import ashby_outcome

            return ashby_outcome(_data(response), request_id=self.vendor_request_id(response))
        return None

    def error_message(self, response: requests.Response) -> tuple[str, str]:
        body = response_json_or_none(response)
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                return str(error.get("msg") or error.get("message") or ""), str(error.get("code") or "")
            if isinstance(error, str) and error:
                return error, ""
            if body.get("msg"):
                return str(body["msg"]), ""
        return super().error_message(response)

    def auth_check(self) -> Mapping[str, Any]:
        """List Jobs, the documented read the sync uses too (constants.PATH_AUTH_CHECK). No page
        size is sent: Knit documents none for its list APIs, it picks the page size itself."""
        response = self.request(
            "GET", constants.PATH_AUTH_CHECK, operation=f"{constants.PATH_AUTH_CHECK} (credential check)"
        )
        return _data(response)

    def create_assessment_secrets(self) -> AssessmentSecrets:
        data = _data(
            self.request(
                "POST", constants.PATH_SECRETS_CREATE, json={}, operation="ats.assessment.secrets.create"
            )
        )
        secret_key, base_url = str(data.get("secretKey") or ""), str(data.get("baseUrl") or "")
        if not secret_key or not base_url:
            raise ATSValidationError(
                "Knit answered Create ATS Assessment Secrets without secretKey and baseUrl."
            )
        return AssessmentSecrets(secret_key=secret_key, base_url=base_url)

    def revoke_assessment_secret(self, secret_key: str) -> None:
        self.request(
            "POST",
            constants.PATH_SECRETS_REVOKE,
            json={"secretKey": secret_key},
            operation="ats.assessment.secrets.revoke",
        )

    def update_candidate_assessment(self, body: Mapping[str, Any], *, attempt: int = 1) -> Mapping[str, Any]:
        response = self.request(
            "POST",
            constants.PATH_ASSESSMENT_UPDATE,
            json=dict(body),
            attempt=attempt,
            operation="ats.candidate.assessment.update",
        )
        return _data(response)

    def passthrough(self, body: Mapping[str, Any], *, attempt: int = 1) -> Mapping[str, Any]:
        """Knit's passthrough (body built by passthrough.request_body). Knit's own success:true is
        not enough: `classify` judges the wrapped Ashby answer (passthrough.ashby_outcome), so a
        refusal raises, and is logged on the OutboundCall, like a direct call to Ashby would be."""
        response = self.request(
            "POST",
            constants.PATH_PASSTHROUGH,
            json=dict(body),
            attempt=attempt,
            operation="passthrough (Ashby assessment.update)",
        )
        return _data(response)


def _is_passthrough(response: requests.Response) -> bool:
    path = urlsplit(response.request.url or "").path if response.request is not None else ""
    return path.rstrip("/").endswith("/" + constants.PATH_PASSTHROUGH)


def _passthrough_wrapped(response: requests.Response) -> Mapping[str, Any] | None:
    """Knit's passthrough `data` when it carries the app's answer (data.response), else None (an
    answer from Knit itself: its key check, its own outage)."""
    data = _data(response)
    return data if isinstance(data.get("response"), Mapping) else None


def _retry_after(response: requests.Response, wrapped: Mapping[str, Any]) -> float | None:
    """Retry-After from Knit's answer, or from the app's headers Knit wrapped."""
    headers = wrapped["response"].get("headers")
    app = {str(k).lower(): v for k, v in headers.items()} if isinstance(headers, Mapping) else {}
    return _parse_retry_after(response.headers.get("Retry-After") or str(app.get("retry-after") or ""))


def _data(response: requests.Response) -> Mapping[str, Any]:
    """The `data` member of Knit's envelope (or the whole body when there is no envelope)."""
    body = response_json_or_none(response)
    if not isinstance(body, dict):
        return {}
    data = body.get("data", body)
    return data if isinstance(data, dict) else {}
