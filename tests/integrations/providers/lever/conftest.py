import pytest

from integrations.services.integrations import integration_credentials_check

from .helpers import sim_integration


@pytest.fixture
def connected(simulators, workspace):
    """A workspace's Lever integration on the sandbox, its credentials checked (webhooks registered)."""
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    return integration
