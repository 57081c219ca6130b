import pytest

from integrations.registry import get_provider

from .helpers import connect_via_simulator, sandbox_integration

MASTER_ID = "jobcannon-master"


@pytest.fixture
def partner(settings, tmp_path):
    """(provider, a, b): two connected SmartRecruiters integrations sharing the partner (master)
    credential MASTER_ID, with limiter state of their own (b holds an OAuth token)."""
    from tests.factories import IntegrationFactory

    from .test_contract import give_token

    settings.RATE_LIMIT_SQLITE_PATH = str(tmp_path / "ratelimit.sqlite3")
    settings.RATE_LIMIT_NAMESPACE = f"sr-partner-{tmp_path.name}"
    settings.CONCURRENCY_WAIT_SECONDS = 0.05
    settings.SMARTRECRUITERS_PARTNER_CLIENT_ID = MASTER_ID
    settings.SMARTRECRUITERS_PARTNER_CLIENT_SECRET = "master-secret"
    provider = get_provider("smartrecruiters")
    a, b = (
        IntegrationFactory(provider="smartrecruiters", auth_kind="oauth2", status="connected")
        for _ in range(2)
    )
    give_token(b)
    return provider, a, b


@pytest.fixture
def sr_sim(simulators, workspace, user):
    """A sandbox SmartRecruiters integration wired to the built-in simulator (demo_setup).

    SR allows 10 requests/second (our limiter and the sandbox both hold to it by default); these
    tests drive whole flows in a fraction of a second, so both get a roomier limit unless a test
    asks for SR's (real_rate_limit=True), as test_rate_limits.py's
    test_25_calls_at_srs_real_limit_reach_the_sandbox_at_most_10_a_second_and_none_gets_429 does."""

    def make(*, region="us", provider_settings=None, real_rate_limit=False):
        roomy = {} if real_rate_limit else {"rate_limit": {"per_second": 200, "burst": 200}}
        integration = sandbox_integration(
            workspace, user, region=region, provider_settings={**roomy, **(provider_settings or {})}
        )
        extra = get_provider("smartrecruiters").demo_setup(integration)
        if not real_rate_limit:
            from integrations.providers.smartrecruiters import simulator_state as sim

            company = sim.get("company", extra["company_id"])
            sim.put("company", company["id"], {**company, "rate_limit": 200})
        integration.refresh_from_db()
        integration.demo = extra
        return integration

    return make


@pytest.fixture(autouse=True)
def _fresh_client_credentials_tokens(monkeypatch):
    """Client-credentials tokens are cached in Django's cache (client.py), which a Redis test run
    keeps across tests: every test starts without, under cache keys of its own."""
    import uuid

    from integrations.providers.smartrecruiters import client

    monkeypatch.setattr(client, "TOKEN_CACHE_PREFIX", f"{client.TOKEN_CACHE_PREFIX}{uuid.uuid4().hex}:")


@pytest.fixture
def connected(client_in_workspace, sr_sim):
    """make(**settings): a sandbox SmartRecruiters integration connected through the simulator's
    pages, as the customer would: JobCannon approved in SR's Apps & Integrations (the consent
    setUpIntegration needs), then the OAuth app authorized (which registers the partner API)."""

    def make(**kwargs):
        integration = sr_sim(**kwargs)
        connect_via_simulator(client_in_workspace, integration)
        integration.refresh_from_db()
        return integration

    return make


@pytest.fixture
def sr_integration(db):
    """An OAuth SmartRecruiters integration with a token and the webhook secret the webhook tests
    sign with (test_webhooks.SECRET)."""
    from tests.factories import IntegrationFactory

    from .test_contract import give_token
    from .test_webhooks import SECRET

    integration = IntegrationFactory(
        provider="smartrecruiters",
        auth_kind="oauth2",
        region="us",
        webhook_secrets=[{"secret": SECRET, "created_at": "2026-01-01T00:00:00+00:00"}],
    )
    give_token(integration)
    return integration


@pytest.fixture
def sr(db):
    """An OAuth SmartRecruiters integration with a token and no other credentials (the sync tests,
    on mocked HTTP)."""
    from tests.factories import IntegrationFactory

    from .test_contract import give_token

    integration = IntegrationFactory(
        provider="smartrecruiters", auth_kind="oauth2", region="us", credentials={}
    )
    give_token(integration)
    return integration
