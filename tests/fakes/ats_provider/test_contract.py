import re

from integrations.base import hmac_sha256_hex
from tests.contract import ProviderContractTests
from tests.fakes.ats_provider import constants


class TestFakeProviderContract(ProviderContractTests):
    provider_key = "fake"
    sample_event = "candidate.created"

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {constants.SIGNATURE_HEADER: "sha256=" + hmac_sha256_hex(secret, body)}

    def unknown_event_body(self) -> bytes:
        return b'{"id": "evt_unknown_1", "type": "offer.exploded", "data": {}}'

    def writeback_endpoint(self, integration):
        return "POST", re.compile(re.escape(constants.API_BASE) + "/results")

    def credentials_check_endpoint(self, integration):
        return "GET", constants.API_BASE + "/me"

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.get(constants.API_BASE + "/me", json={"name": "Fake Admin"})
