"""Which Knit host an integration calls: production at api.getknit.dev (Knit's docs), a sandbox
integration off the simulator at api.sandbox.getknit.dev ([2nd], constants.API_BASE_SANDBOX)."""

import re

import pytest

from integrations.models import IntegrationStatus, OutboundCall
from integrations.providers.knit import constants
from integrations.providers.knit.selectors import knit_assessment_secrets
from integrations.services.integrations import integration_create, integration_credentials_check

SECRETS = {
    "success": True,
    "data": {"secretKey": "knit_ashby_secret_0001", "baseUrl": "https://x.example.com/"},
}
JOBS = {"success": True, "data": {"jobs": [], "nextPageToken": None}}


def knit_live(workspace, user, environment: str):
    """A Knit integration with real-looking keys and the simulator off."""
    integration = integration_create(
        workspace=workspace, provider="knit", environment=environment, auth_kind="api_key", created_by=user
    )
    integration.credentials = {"api_key": f"knit_{environment}_key_0001", "integration_id": "int_ashby_0001"}
    integration.save()
    return integration


def knit_answers(mocked_responses, base: str) -> None:
    mocked_responses.get(re.compile(re.escape(f"{base}/{constants.PATH_JOB_LIST}")), json=JOBS)
    mocked_responses.post(re.compile(re.escape(f"{base}/{constants.PATH_SECRETS_CREATE}")), json=SECRETS)


def called_hosts(mocked_responses) -> set[str]:
    return {re.sub(r"^(https://[^/]+)/.*$", r"\1", call.request.url) for call in mocked_responses.calls}


@pytest.mark.django_db
def test_a_sandbox_integration_off_the_simulator_calls_knits_sandbox_host(mocked_responses, workspace, user):
    integration = knit_live(workspace, user, "sandbox")
    knit_answers(mocked_responses, constants.API_BASE_SANDBOX)

    assert integration_credentials_check(integration=integration), integration.status_reason

    assert called_hosts(mocked_responses) == {"https://api.sandbox.getknit.dev"}
    assert knit_assessment_secrets(integration=integration)[0].secret_key == "knit_ashby_secret_0001"


@pytest.mark.django_db
def test_a_production_integration_calls_api_getknit_dev(mocked_responses, workspace, user):
    integration = knit_live(workspace, user, "production")
    knit_answers(mocked_responses, constants.API_BASE)

    assert integration_credentials_check(integration=integration), integration.status_reason

    assert called_hosts(mocked_responses) == {"https://api.getknit.dev"}
    assert OutboundCall.objects.filter(integration=integration).count() == 2


@pytest.mark.django_db
def test_a_401_names_the_knit_host_that_was_called(mocked_responses, workspace, user):
    integration = knit_live(workspace, user, "sandbox")
    mocked_responses.get(
        re.compile(re.escape(f"{constants.API_BASE_SANDBOX}/{constants.PATH_JOB_LIST}")),
        status=401,
        json={"success": False, "error": {"msg": "Invalid API key"}},
        headers={"X-Knit-Execution-Id": "exe_401_check"},
    )

    assert integration_credentials_check(integration=integration).ok is False

    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING
    reason = integration.status_reason
    assert "https://api.sandbox.getknit.dev/v1.0" in reason and "int_ashby_0001" in reason
    # The sandbox host is second-hand: the sentence says so, so a customer whose sandbox key works
    # elsewhere knows what to report.
    assert "public sample code" in reason
