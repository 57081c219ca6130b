"""Audit a1920-r2 G8: the company client-credentials token is shared by every process (the web
server and each worker), held in Django's cache until shortly before it lapses, and encrypted
there. A result PATCH and its attachment POST, sent by two outbox rows, fetched a token each
(per-process memory), spending SR's 10 requests/s per credential twice."""

import pickle

import pytest

from integrations.models import OutboundCall
from integrations.providers.smartrecruiters import constants
from integrations.registry import get_provider
from tests.factories import IntegrationFactory

from .test_contract import COMPANY_CREDENTIALS

pytestmark = pytest.mark.django_db
TOKEN = constants.CLIENT_CREDENTIALS_TOKEN_URL
RESULTS = constants.API_BASE + "/assessment-api/v202010/orders/ord-1/results"


@pytest.fixture
def private_cache(settings, tmp_path):
    """Django's cache as a private in-memory one, so this test may clear and read it."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }
    from django.core.cache import cache

    return cache


def _token_requests(integration) -> int:
    return OutboundCall.objects.filter(
        integration=integration, operation="identity.token.client_credentials"
    ).count()


def test_a_result_and_its_attachment_fetch_one_company_token_kept_encrypted_in_the_shared_cache(
    mocked_responses, private_cache
):
    provider = get_provider("smartrecruiters")
    integration = IntegrationFactory(provider="smartrecruiters", credentials=dict(COMPANY_CREDENTIALS))
    mocked_responses.post(TOKEN, json={"access_token": "company-at-42", "expires_in": 1800})
    mocked_responses.patch(RESULTS, json={})
    mocked_responses.post(RESULTS + "/attachment", json={"url": "https://sr.example/a.pdf"}, status=201)

    # Two outbox rows, two clients (as two worker processes would build them).
    provider.company_client(integration).order_results_update(url=RESULTS, body={"status": "COMPLETED"})
    provider.company_client(integration).order_attachment_add(
        results_url=RESULTS, name="report.pdf", content=b"%PDF-1.4", content_type="application/pdf"
    )
    assert _token_requests(integration) == 1
    auths = [c.request.headers.get("Authorization") for c in mocked_responses.calls[1:]]
    assert auths == ["Bearer company-at-42", "Bearer company-at-42"]

    # Held in Django's cache (what every process shares), never in plain text.
    stored = [pickle.loads(value) for value in private_cache._cache.values()]
    assert stored and not any("company-at-42" in str(value) for value in stored)
    private_cache.clear()  # another process's view without the shared entry: it asks SR again
    provider.company_client(integration).order_results_update(url=RESULTS, body={"status": "COMPLETED"})
    assert _token_requests(integration) == 2


def test_with_the_cache_down_each_call_fetches_its_own_token_and_still_goes_out(
    mocked_responses, monkeypatch
):
    """Redis down or no cache table (issue 21's degraded mode): the token cache is a saving, never
    a dependency: the result still reaches SR, with a token of its own."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "set", "delete"):
        monkeypatch.setattr(cache, method, down)
    provider = get_provider("smartrecruiters")
    integration = IntegrationFactory(provider="smartrecruiters", credentials=dict(COMPANY_CREDENTIALS))
    mocked_responses.post(TOKEN, json={"access_token": "company-at-43", "expires_in": 1800})
    mocked_responses.patch(RESULTS, json={})

    provider.company_client(integration).order_results_update(url=RESULTS, body={"status": "COMPLETED"})
    provider.company_client(integration).order_results_update(url=RESULTS, body={"status": "COMPLETED"})

    assert _token_requests(integration) == 2
    assert [
        c.request.headers.get("Authorization") for c in mocked_responses.calls if c.request.method == "PATCH"
    ] == ["Bearer company-at-43"] * 2
