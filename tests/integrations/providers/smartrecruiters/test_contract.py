import re
from datetime import timedelta

from django.utils import timezone

from assessments.models import Result
from integrations.base import hmac_sha256_hex
from integrations.models import IntegrationStatus, Token
from integrations.providers.smartrecruiters import constants
from tests.contract import ProviderContractTests

API = constants.API_BASES[("sandbox", "us")]
TOKEN_URL = constants.OAUTH_HOSTS["sandbox"] + constants.TOKEN_PATH


def give_token(integration, scopes=constants.SCOPES):
    return Token.objects.create(
        integration=integration,
        access_token="sr-access-1",
        refresh_token="sr-refresh-1",
        access_expires_at=timezone.now() + timedelta(hours=1),
        scopes_requested=list(constants.SCOPES),
        scopes_granted=list(scopes),
    )


def give_result(run, overall=72):
    return Result.objects.create(
        run=run,
        instrument_version=run.instrument_version,
        overall_score=overall,
        dimensions=[{"key": "O", "label": "Openness", "raw": 40, "score": 75}],
        summary="Curious and steady.",
        duration_seconds=900,
    )


class TestSmartRecruitersContract(ProviderContractTests):
    provider_key = "smartrecruiters"
    sample_event = "candidate.assessment.completed"

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        # Seed 001: X-SmartRecruiters-Signature = hex HMAC-SHA256 of the raw body. The Webhooks
        # API's v1 scheme is covered in test_webhooks.py.
        return {constants.SEED_SIGNATURE_HEADER: hmac_sha256_hex(secret, body)}

    def make_integration(self, **kwargs):
        kwargs.setdefault("auth_kind", "oauth2")
        kwargs.setdefault("region", "us")
        kwargs.setdefault("credentials", {"client_id": "client-123", "client_secret": "client-secret-xyz"})
        integration = super().make_integration(**kwargs)
        if integration.status != IntegrationStatus.PENDING:
            give_token(integration)
        return integration

    def unknown_event_body(self) -> bytes:
        return b'{"id": "evt_unknown_1", "event": "offer.approval.exploded", "data": {}}'

    def writeback_endpoint(self, integration):
        return "PATCH", re.compile(re.escape(API) + r"/assessment-api/v202010/orders/[^/]+/results")

    def prepare_writeback(self, mocked_responses, integration, run) -> None:
        give_result(run)
        mocked_responses.post(
            TOKEN_URL, json={"access_token": "sr-access-2", "expires_in": 1800, "token_type": "Bearer"}
        )

    def error_body(self, status: int):
        return {"code": f"E{status}", "message": f"error {status}", "errors": [{"code": "X", "message": "x"}]}

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.get(API + "/configuration/company", json={"identifier": "AcmeCorp", "name": "Acme"})
        mocked_responses.post(
            API + "/assessment-api/v202010/integration/company/AcmeCorp",
            json={"companyId": "AcmeCorp"},
            status=201,
        )
        subs = API + constants.VENDOR_SUBSCRIPTIONS_PATH
        mocked_responses.get(subs, json={"content": []})
        mocked_responses.post(subs, json={"id": "sub-1", "status": "inactive"}, status=201)
        mocked_responses.put(subs + "/sub-1/activation", status=204)
        mocked_responses.post(subs + "/sub-1/secret-key", json={"secretKey": "sr-generated-key"}, status=201)
