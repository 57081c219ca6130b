import re

from integrations.base import hmac_sha256_hex
from integrations.providers.ashby import constants
from tests.contract import ProviderContractTests

from .helpers import add_result

API = constants.API_BASE


class TestAshbyContract(ProviderContractTests):
    provider_key = "ashby"
    sample_event = "candidate.created"

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        # The real scheme; the seed's X-Ashby-Webhook-Signature has its own tests.
        return {constants.SIGNATURE_HEADER: "sha256=" + hmac_sha256_hex(secret, body)}

    def unknown_event_body(self) -> bytes:
        return b'{"webhookActionId": "e0e0e0e0-0000-4000-8000-000000000001", "action": "offerExploded", "data": {}}'

    def make_run(self, integration):
        run = super().make_run(integration)
        add_result(run)
        return run

    def writeback_endpoint(self, integration):
        return "POST", re.compile(re.escape(API) + r"/(assessment\.update|candidate\.createNote)$")

    def error_body(self, status: int):
        code = {401: "unauthenticated", 403: "missing_endpoint_permission", 429: "rate_limit_exceeded"}.get(
            status, "internal_error"
        )
        return {
            "success": False,
            "errors": [code],
            "errorInfo": {"code": code, "message": f"error {status}", "requestId": "01JTESTREQUEST"},
        }

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
        mocked_responses.post(
            API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
        )
