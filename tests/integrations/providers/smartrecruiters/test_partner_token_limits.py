"""The partner (master) credential's token request spends that credential's limits.

SRD /docs/rate-limiting: 10 requests/second and 8 concurrent requests, counted per credential.
Every integration's partner calls use the one master credential (account `partner:<client id>`,
client.SmartRecruitersPartnerClient), and so does the client-credentials token request that
precedes them: N consents at once must not send N master token requests each under its own
integration's limit."""

import pytest
import responses

from integrations.base import LocalRateLimited
from integrations.providers.smartrecruiters import constants
from integrations.services.concurrency import concurrency_slots
from integrations.services.ratelimit import rate_limit_acquire

from .conftest import MASTER_ID
from .test_contract import API, CLIENT_TOKEN_URL

SETUP_URL = f"{API}{constants.ASSESSMENT_API}/integration/company/co-b"


def _sr_answers(rsps: responses.RequestsMock) -> None:
    rsps.add(
        "POST",
        CLIENT_TOKEN_URL,
        json={"access_token": "master-token", "token_type": "bearer", "expires_in": 600},
    )
    rsps.add("POST", SETUP_URL, json={"clientId": "c", "clientSecret": "s"})


@pytest.mark.django_db
def test_the_master_token_request_is_refused_locally_when_the_partner_bucket_is_spent(partner):
    provider, a, b = partner
    client_b = provider.partner_client(b)
    assert client_b.rate_limit_account == f"partner:{MASTER_ID}"
    # Other customers' partner calls spent all but one of the master credential's second: the
    # setUpIntegration takes that one, and the token it needs first (none is cached) finds none.
    for _ in range(constants.RATE_LIMIT_BURST - 1):
        rate_limit_acquire(integration=a, provider=provider, account=client_b.rate_limit_account)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _sr_answers(rsps)
        with pytest.raises(LocalRateLimited):
            client_b.integration_setup(company_id="co-b", body={})
        assert [c.request.url for c in rsps.calls] == [], "nothing reached SmartRecruiters"


@pytest.mark.django_db
def test_the_master_token_request_does_not_spend_the_integrations_own_bucket(partner):
    provider, _a, b = partner
    for _ in range(constants.RATE_LIMIT_BURST):  # b's own credential spent its second
        rate_limit_acquire(integration=b, provider=provider)
    with responses.RequestsMock() as rsps:
        _sr_answers(rsps)
        assert provider.partner_client(b).integration_setup(company_id="co-b", body={})["clientId"] == "c"
        assert [c.request.url for c in rsps.calls] == [CLIENT_TOKEN_URL, SETUP_URL]


@pytest.mark.django_db
def test_a_consent_waits_for_the_master_credentials_8_concurrent_requests(partner):
    """Eight partner calls of other consents are in flight (SR allows 8 per credential): the
    next consent's master token request does not go out beside them."""
    provider, a, b = partner
    client_b = provider.partner_client(b)
    in_flight = [("all", constants.CONCURRENT_REQUESTS)]
    slots = [
        concurrency_slots(
            provider=provider, integration=a, limits=in_flight, account=client_b.rate_limit_account
        )
        for _ in range(constants.CONCURRENT_REQUESTS)
    ]
    for slot in slots:
        slot.__enter__()
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            _sr_answers(rsps)
            with pytest.raises(LocalRateLimited) as refused:
                client_b.integration_setup(company_id="co-b", body={})
            assert "8 concurrent" in refused.value.message
            assert [c.request.url for c in rsps.calls] == [], "no ninth request reached SmartRecruiters"
    finally:
        for slot in slots:
            slot.__exit__(None, None, None)
    with responses.RequestsMock() as rsps:  # the slots given back, the consent goes through
        _sr_answers(rsps)
        assert client_b.integration_setup(company_id="co-b", body={})["clientId"] == "c"
