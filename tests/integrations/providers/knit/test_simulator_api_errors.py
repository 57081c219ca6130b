"""The sandbox Knit answers errors in the order a real service does: who is calling first, then
whether the API exists; and a sandbox account of another category makes the explained 404 of the
credential check reachable without mocks."""

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus
from integrations.providers.knit.selectors import knit_assessment_secrets
from integrations.providers.knit.simulator import sim_account_create
from integrations.services.integrations import integration_create, integration_credentials_check


@pytest.fixture
def account(simulators):
    return sim_account_create("Acme (Ashby)")


def knit_headers(account, key: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {key or account['api_key']}",
        "X-Knit-Integration-Id": account["integration_id"],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["ats.jobs", "ats.assessment.secrets.revoke"])
def test_an_unknown_api_asks_for_credentials_before_saying_it_does_not_exist(client, account, path):
    url = f"/sim/knit/v1.0/{path}"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.json()["success"] is False
    assert anonymous.headers["X-Knit-Execution-Id"].startswith("exe_")
    assert client.get(url, headers=knit_headers(account, key="knit_wrong_key")).status_code == 401
    known = client.get(url, headers=knit_headers(account))
    assert known.status_code == 404 and f"No such API: {path}" in known.json()["error"]["msg"]


def switch_category(client, account, category: str) -> None:
    response = client.post(
        reverse("integrations:sim-knit:dashboard"),
        {
            "action": "update",
            "integration_id": account["integration_id"],
            "webhook_url": "",
            "sign_mode": "raw",
            "fail_next": "",
            "category": category,
        },
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_sandbox_account_of_another_category_has_no_list_jobs(client, account):
    switch_category(client, account, "hris")
    page = client.get(reverse("integrations:sim-knit:dashboard")).content.decode()
    assert 'value="hris" selected' in page

    listed = client.get(reverse("integrations:sim-knit:api-job-list"), headers=knit_headers(account))

    assert listed.status_code == 404 and listed.json()["success"] is False
    assert "HRIS" in listed.json()["error"]["msg"] and listed.headers["X-Knit-Execution-Id"].startswith(
        "exe_"
    )
    # Auth still comes first for it.
    assert client.get(reverse("integrations:sim-knit:api-job-list")).status_code == 401


@pytest.mark.django_db
def test_the_explained_404_of_the_credential_check_is_reachable_in_the_sandbox(
    client, account, workspace, user
):
    switch_category(client, account, "hris")
    integration = integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )
    integration.credentials = {"api_key": account["api_key"], "integration_id": account["integration_id"]}
    integration.provider_settings = {"use_simulator": True}
    integration.save()

    assert integration_credentials_check(integration=integration).ok is False

    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING
    reason = integration.status_reason
    assert "404" in reason and "List Jobs" in reason and account["integration_id"] in reason
    assert "Knit execution id exe_" in reason and "ATS category" in reason
    assert not knit_assessment_secrets(integration=integration)

    # Back to the ATS category, the same keys connect.
    switch_category(client, account, "ats")
    assert integration_credentials_check(integration=integration), integration.status_reason
