from typing import Any

import requests

from integrations.base import BaseClient, DeliveryResult
from integrations.services.oauth import token_get_access


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class FakeClient(BaseClient):
    request_id_header = "X-Request-Id"

    def auth(self) -> requests.auth.AuthBase | None:
        if self.integration.auth_kind == "oauth2":
            return _Bearer(token_get_access(integration=self.integration))
        return _Bearer(self.integration.credential("api_key", ""))

    def me(self) -> dict[str, Any]:
        return self.request("GET", "/me", operation="me").json()

    def post_result(self, body: dict[str, Any]) -> DeliveryResult:
        data = self.request("POST", "/results", json=body, operation="results.create").json()
        return DeliveryResult(external_ref=str(data.get("id", "")), confirmed=False)
