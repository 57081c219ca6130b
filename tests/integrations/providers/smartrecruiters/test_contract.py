import hashlib
import hmac
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Result
from integrations.models import IntegrationStatus, Token, WritebackStatus
from integrations.providers.smartrecruiters import constants
from tests.contract import ProviderContractTests

API = constants.API_BASE
TOKEN_URL = constants.AUTHORIZATION_CODE_TOKEN_URL
CLIENT_TOKEN_URL = constants.CLIENT_CREDENTIALS_TOKEN_URL
COMPANY_CREDENTIALS = {"company_client_id": "sr-company-1", "company_client_secret": "sr-company-secret-1"}


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
        dimensions=[{"key": "O", "label": "Openness", "raw": 40, "raw_min": 10, "raw_max": 50, "score": 75}],
        summary="Curious and steady.",
        duration_seconds=900,
    )


def v1_headers(body: bytes, secret: str, event: str) -> dict[str, str]:
    """The Webhooks API's headers and v1 signature (SRD /reference/subscriptionsgeneratesecretkey-1)."""
    headers = {
        "event-name": event,
        "event-id": "evt-" + hashlib.sha256(body).hexdigest()[:12],
        "event-version": "v201910",  # the version SR reports (read-only; SRD signature example)
        "link": "<https://api.smartrecruiters.com/candidates/cid>; rel=self",
        "smartrecruiters-timestamp": str(int(time.time())),
    }
    message = b".".join(
        [headers["smartrecruiters-timestamp"].encode(), body]
        + [headers[h].encode() for h in ("event-id", "event-name", "event-version", "link")]
    )
    headers["smartrecruiters-signature"] = (
        "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    )
    return headers


class TestSmartRecruitersContract(ProviderContractTests):
    provider_key = "smartrecruiters"
    sample_event = "application.status.updated"
    _event = sample_event

    def fixture_body(self, name: str) -> bytes:
        self._event = name.split("__")[0]  # the Webhooks API names the event in a header, not the body
        return super().fixture_body(name)

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        # The Webhooks API's v1 scheme; the seed's X-SmartRecruiters-Signature is in test_webhooks.py.
        return v1_headers(body, secret, self._event)

    def make_integration(self, **kwargs):
        kwargs.setdefault("auth_kind", "oauth2")
        kwargs.setdefault("region", "us")
        kwargs.setdefault(
            "credentials",
            {"client_id": "client-123", "client_secret": "client-secret-xyz", **COMPANY_CREDENTIALS},
        )
        integration = super().make_integration(**kwargs)
        if integration.status != IntegrationStatus.PENDING:
            give_token(integration)
        return integration

    def unknown_event_body(self) -> bytes:
        self._event = "offer.approval.exploded"
        return b'{"job_id":"job-1","candidate_id":"cand-1"}'

    def writeback_kind(self, integration, run) -> str:
        # The result is the write the failure classes are about; the report PDF is a second,
        # independent outbox row (test_partner_flow.py covers it).
        return "assessment.result"

    def writeback_endpoint(self, integration):
        return "PATCH", re.compile(re.escape(API) + r"/assessment-api/v202010/orders/[^/]+/results")

    def prepare_writeback(self, mocked_responses, integration, run) -> None:
        # Results go with the company credentials SR issued (client credentials grant).
        give_result(run)
        mocked_responses.post(
            CLIENT_TOKEN_URL,
            json={"access_token": "sr-company-at", "expires_in": 1800, "token_type": "Bearer"},
        )

    def error_body(self, status: int):
        return {"code": f"E{status}", "message": f"error {status}", "errors": [{"code": "X", "message": "x"}]}

    def credentials_check_endpoint(self, integration):
        # make_integration holds the company credentials SR issued at consent: the check is a
        # cheap read with them (provider.validate_credentials).
        return "GET", re.compile(re.escape(API) + r"/jobs(\?.*)?$")

    def prepare_credentials_check(self, mocked_responses, integration) -> None:
        # The company credentials' token (client credentials grant), taken before the read.
        mocked_responses.post(
            CLIENT_TOKEN_URL,
            json={"access_token": "sr-company-at", "expires_in": 1800, "token_type": "Bearer"},
        )

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        mocked_responses.get(API + "/configuration/company", json={"identifier": "AcmeCorp", "name": "Acme"})
        # No partner (master) credentials are configured here: registration is skipped with a
        # reason, the connect goes on (test_partner_flow.py covers the registration).
        subs = API + constants.VENDOR_SUBSCRIPTIONS_PATH
        mocked_responses.get(subs, json=[])  # SRO Subscriptions: an array
        events = [{"name": e, "version": "v201910"} for e in constants.SUBSCRIBED_EVENTS]
        mocked_responses.post(subs, json={"id": "sub-1", "status": "inactive", "events": events}, status=201)
        mocked_responses.put(subs + "/sub-1/activation", status=204)
        mocked_responses.post(subs + "/sub-1/secret-key", json={"secretKey": "sr-generated-key"}, status=201)

    # SR's results go with the company credentials SR issued at the consent step, not with the
    # customer's OAuth token: a 401/403 there means SR no longer takes those credentials, which a
    # re-authorization cannot restore (only the company's consent in Apps & Integrations can). So
    # for SR the contract's "right state" is held and explained, the integration connected.
    @pytest.mark.django_db
    def test_writeback_401_ends_in_needs_reauth(self, mocked_responses):
        self._assert_held_for_consent(*self._deliver_with_status(mocked_responses, 401))

    @pytest.mark.django_db
    def test_writeback_403_ends_in_needs_reauth_with_reason(self, mocked_responses):
        self._assert_held_for_consent(*self._deliver_with_status(mocked_responses, 403))

    def _assert_held_for_consent(self, message, integration):
        assert message.status == WritebackStatus.RETRYING and message.next_attempt_at
        assert message.last_error_class == "CompanyCredentialsRefused"
        assert "Apps & Integrations → JobCannon → Connect" in message.last_error
        assert integration.status == IntegrationStatus.CONNECTED
        assert not integration.credential("company_client_id"), "the refused credentials are forgotten"
        assert integration.provider_settings["partner_registered"] is False
