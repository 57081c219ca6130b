import re

from integrations.providers.knit import constants
from integrations.providers.knit.webhooks import sign
from integrations.registry import get_provider
from tests.contract import ProviderContractTests

from .helpers import INTEGRATION_ID, scored_run


class TestKnitProviderContract(ProviderContractTests):
    provider_key = "knit"
    sample_event = "record.new"

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        return {constants.SIGNATURE_HEADER: sign(secret, body)}

    def make_integration(self, **kwargs):
        # Knit signs with the Knit API key: the contract's secret *is* the key. During a key change
        # the newest webhook secret is the new key and the one after it the previous key.
        secrets = kwargs.get("webhook_secrets") or [{"secret": self.test_secret}]
        credentials = {"api_key": secrets[0]["secret"], "integration_id": INTEGRATION_ID}
        if len(secrets) > 1:
            credentials["previous_api_key"] = secrets[1]["secret"]
        kwargs.setdefault("credentials", credentials)
        return super().make_integration(**kwargs)

    def unknown_event_body(self) -> bytes:
        return b'{"eventType": "offer.exploded", "eventId": "evt_unknown_1", "eventData": {}}'

    def writeback_endpoint(self, integration):
        # The default result mode: Ashby's assessment.update through Knit's passthrough.
        # Knit's host depends on the integration's environment (provider.api_base_url).
        base = get_provider("knit").api_base_url(integration)
        return "POST", re.compile(re.escape(f"{base}/{constants.PATH_PASSTHROUGH}"))

    def credentials_check_endpoint(self, integration):
        # Knit's List Jobs (constants.PATH_AUTH_CHECK), on the host of the integration's environment.
        base = get_provider("knit").api_base_url(integration)
        return "GET", re.compile(re.escape(f"{base}/{constants.PATH_AUTH_CHECK}") + r"(\?.*)?$")

    def make_run(self, integration):
        return scored_run(integration)
