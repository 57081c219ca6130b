import pytest

from integrations.registry import get_provider

SANDBOX_PROVIDER = "tests.integrations.console.sandbox.ConsoleSimProvider"


@pytest.fixture
def consolesim(settings):
    """Registers the console sandbox ATS (and its simulator URLs) for this test."""
    settings.ATS_PROVIDERS = [*settings.ATS_PROVIDERS, SANDBOX_PROVIDER]
    settings.ROOT_URLCONF = "tests.integrations.console.urls"
    settings.ATS_SIMULATORS_ENABLED = True
    settings.INTEGRATIONS_CONSOLE_POLL_SECONDS = 1
    return get_provider("consolesim")
