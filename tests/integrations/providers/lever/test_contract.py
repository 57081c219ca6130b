import re

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
    provider_key = "lever"
    sample_event = "application.created"

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        # Seed 004's scheme covers the raw body; the real in-body scheme has its own tests.
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

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.get(API + "/opportunities", json={"data": [], "hasNext": False})
        mocked_responses.get(API + "/feedback_templates", json={"data": [TEMPLATE], "hasNext": False})
        mocked_responses.get(API + "/webhooks", json={"data": [], "hasNext": False})
        mocked_responses.post(
            API + "/webhooks",
            status=201,
            json={"data": {"id": "wh-1", "configuration": {"signatureToken": "tok"}}},
        )
