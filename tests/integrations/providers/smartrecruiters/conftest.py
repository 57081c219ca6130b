import pytest

from integrations.registry import get_provider
from integrations.services.integrations import integration_create


@pytest.fixture
def sr_sim(simulators, workspace, user):
    """A sandbox SmartRecruiters integration wired to the built-in simulator (demo_setup)."""

    def make(*, region="us", provider_settings=None):
        integration = integration_create(
            workspace=workspace,
            provider="smartrecruiters",
            environment="sandbox",
            auth_kind="oauth2",
            region=region,
            created_by=user,
            provider_settings={"use_simulator": True, **(provider_settings or {})},
        )
        extra = get_provider("smartrecruiters").demo_setup(integration)
        integration.refresh_from_db()
        integration.demo = extra
        return integration

    return make
