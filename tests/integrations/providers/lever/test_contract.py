import hashlib
import json
import re
import time

from integrations.base import hmac_sha256_hex
from integrations.providers.lever import constants, mappers
from tests.contract import ProviderContractTests

from .helpers import add_result

API = constants.API_BASE_SANDBOX
TEMPLATE = {
    "id": "tmpl-1",
    "text": constants.FEEDBACK_TEMPLATE_NAME,
    "fields": [{"id": f"f-{key}", "type": kind, "text": text} for key, kind, text in mappers.TEMPLATE_FIELDS],
}


class TestLeverContract(ProviderContractTests):
    """Lever as it really signs (LD "Request signing",
    https://hire.lever.co/developer/documentation): inside the body, `signature` =
    hex HMAC-SHA256(signature token, token + triggeredAt); `data` is not covered."""

    provider_key = "lever"
    sample_event = "candidateStageChange"
    signed_fields = ("token", "triggeredAt")
    # LD: "cache the token value locally and not honor any subsequent request with the same token".
    resent_after_processing = (409, "replayed_token")

    def signed(self, body: bytes, secret: str) -> tuple[bytes, dict[str, str]]:
        """The fixture as Lever sends it now: its own token (or one derived from the body, so the
        same fixture is the same delivery), triggeredAt = now, the signature over both."""
        payload = json.loads(body)
        payload["token"] = payload.get("token") or hashlib.sha256(body).hexdigest()[:48]
        payload["triggeredAt"] = int(time.time() * 1000)
        payload["signature"] = hmac_sha256_hex(secret, f"{payload['token']}{payload['triggeredAt']}".encode())
        return json.dumps(payload).encode(), {}

    def unsigned(self, body: bytes) -> bytes:
        payload = json.loads(body)
        payload.pop("signature", None)
        return json.dumps(payload).encode()

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        """Seed 004's header, the one Lever scheme that signs arbitrary bytes (whole body). The
        contract signs through signed(); TestLeverSeedSignatureContract runs it with this."""
        return {constants.SIGNATURE_HEADER: hmac_sha256_hex(secret, body)}

    def unknown_event_body(self) -> bytes:
        return b'{"id": "evt-unknown-1", "event": "offerCreated", "triggeredAt": 1767225600000, "data": {}}'

    def make_run(self, integration):
        run = super().make_run(integration)
        add_result(run)
        return run

    def writeback_endpoint(self, integration):
        return "POST", re.compile(re.escape(API) + r"/opportunities/[^/]+/feedback(\?.*)?$")

    def prepare_writeback(self, mocked_responses, integration, run) -> None:
        mocked_responses.get(API + "/feedback_templates", json={"data": [TEMPLATE], "hasNext": False})
        mocked_responses.get(
            API + "/users",
            json={"data": [{"id": "user-1", "name": "Sam", "accessRole": "super admin"}], "hasNext": False},
        )

    def error_body(self, status: int):
        return {
            "code": {401: "Unauthorized", 403: "Forbidden", 429: "TooManyRequests"}.get(
                status, "ServerError"
            ),
            "message": f"error {status}",
        }

    def credentials_check_endpoint(self, integration):
        # The API-key scheme probe (provider._api_key_scheme): the first of validate_credentials' calls.
        return "GET", re.compile(re.escape(API) + r"/opportunities(\?.*)?$")

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.get(API + "/opportunities", json={"data": [], "hasNext": False})
        mocked_responses.get(API + "/feedback_templates", json={"data": [TEMPLATE], "hasNext": False})
        mocked_responses.get(API + "/webhooks", json={"data": [], "hasNext": False})
        mocked_responses.post(
            API + "/webhooks",
            status=201,
            json={"data": {"id": "wh-1", "configuration": {"signatureToken": "tok"}}},
        )


class TestLeverSeedSignatureContract(TestLeverContract):
    """Seed 004's scheme, still accepted: X-Lever-Signature = hex HMAC-SHA256 of the raw body."""

    sample_event = "application.created"
    signed_fields = ()

    def signed(self, body: bytes, secret: str) -> tuple[bytes, dict[str, str]]:
        return body, self.sign(body, secret)

    def unsigned(self, body: bytes) -> bytes:
        return body
