import json

from integrations.base import (
    ATSProvider,
    CredentialCheck,
    DeliveryResult,
    InboundRequest,
    OAuth2Config,
    ParsedWebhook,
    RateLimit,
    Verification,
)

from . import constants, mappers, webhooks
from .client import FakeClient


class FakeProvider(ATSProvider):
    """Registered only in test settings (jobcannon/settings/test.py)."""

    key = "fake"
    name = "Fake ATS"
    hidden = True
    auth_kinds = ("oauth2", "api_key")
    rate_limit = RateLimit(per_second=50, burst=50)
    client_class = FakeClient
    event_handlers = webhooks.EVENT_HANDLERS
    ignored_events = webhooks.IGNORED_EVENTS

    def api_base_url(self, integration) -> str:
        return constants.API_BASE

    def oauth_config(self, integration) -> OAuth2Config:
        return OAuth2Config(
            authorize_url=constants.AUTHORIZE_URL,
            token_url=constants.TOKEN_URL,
            scopes=constants.SCOPES,
            refresh_token_lifetime_days=365,
        )

    def client(self, integration) -> FakeClient:
        return FakeClient(integration, self)

    def validate_credentials(self, integration) -> CredentialCheck:
        me = self.client(integration).me()
        return CredentialCheck(ok=True, message=f"Connected as {me.get('name', 'unknown')}.")

    def verify_webhook(self, integration, request: InboundRequest, secrets: list[str]) -> Verification:
        return webhooks.verify(request, secrets)

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        payload = json.loads(request.body)
        return ParsedWebhook(event_type=str(payload["type"]), external_id=str(payload["id"]))

    def on_run_event(self, integration, run, event: str) -> list[str]:
        return [f"result:{event}"]

    def deliver(self, integration, message) -> DeliveryResult:
        return self.client(integration).post_result(mappers.result_body(message.run))
