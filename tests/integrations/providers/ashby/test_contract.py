"""Ashby against ProviderContractTests: as the real API speaks (an `applicationSubmit` delivery
signed `Ashby-Signature: sha256=<hex>`), and again with seed 000's alias (a `candidate.created`
delivery signed `X-Ashby-Webhook-Signature`), which is still handled when delivered."""

import re

from integrations.base import hmac_sha256_hex
from integrations.providers.ashby import constants
from tests.contract import ProviderContractTests

from .helpers import add_result

API = constants.API_BASE


class TestAshbyContract(ProviderContractTests):
    provider_key = "ashby"
    # A real webhookType (the spec's webhook.create enum and `webhooks:` section), the one the
    # assessments register; tests/fixtures/ashby/webhooks/README.md says where its body comes from.
    sample_event = constants.EVENT_APPLICATION_SUBMIT

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        # https://developers.ashbyhq.com/docs/authenticating-webhooks
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
        # 403: Ashby's answer to a wrong or deactivated key (reference §3.1; the code is the
        # simulator's, Ashby publishes none), which is a credentials failure. Its other 403,
        # missing_endpoint_permission, is not: the key works and the write is held with the
        # permission named (test_api_key_scopes.py).
        code = {401: "unauthenticated", 403: "invalid_api_key", 429: "rate_limit_exceeded"}.get(
            status, "internal_error"
        )
        return {
            "success": False,
            "errors": [code],
            "errorInfo": {"code": code, "message": f"error {status}", "requestId": "01JTESTREQUEST"},
        }

    def credentials_check_endpoint(self, integration):
        return "POST", API + "/apiKey.info"

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
        mocked_responses.post(
            API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
        )


class TestAshbySeedAliasContract(TestAshbyContract):
    """Seed 000's names: the `candidate.created` event (registered as applicationSubmit, still
    handled when delivered) and the `X-Ashby-Webhook-Signature` header."""

    sample_event = constants.EVENT_CANDIDATE_CREATED

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {constants.SEED_SIGNATURE_HEADER: hmac_sha256_hex(secret, body)}
