"""The customer's Knit setup page and services, against the built-in Knit simulator."""

import re

import pytest
from django.urls import reverse

from integrations.models import (
    ActivityLevel,
    Integration,
    IntegrationActivity,
    IntegrationStatus,
    OutboundCall,
)
from integrations.providers.knit.selectors import knit_assessment_secrets
from integrations.providers.knit.simulator import sim_account_create
from integrations.providers.knit.simulator_ashby import account_for_secret
from integrations.registry import get_provider
from integrations.services.integrations import integration_create
from tests.factories import MembershipFactory, WorkspaceFactory

from .helpers import knit_integration


def setup_url(integration) -> str:
    return reverse("integrations:integration-knit:setup", args=[integration.pk])


def action_url(integration, action: str) -> str:
    return reverse("integrations:integration-knit:action", args=[integration.pk, action])


@pytest.fixture
def knit_sandbox(workspace, user):
    return integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )


@pytest.fixture
def account(simulators):
    return sim_account_create("Acme (Ashby)")


def connect(client, integration, account, **extra):
    data = {
        "api_key": account["api_key"],
        "integration_id": account["integration_id"],
        "use_simulator": "on",
        **extra,
    }
    return client.post(setup_url(integration), data)


@pytest.mark.django_db
def test_connecting_checks_both_credentials_live_and_shows_the_secrets_for_ashby(
    client_in_workspace, knit_sandbox, account
):
    response = connect(client_in_workspace, knit_sandbox, account)
    assert response.status_code == 302
    knit_sandbox.refresh_from_db()
    assert knit_sandbox.status == IntegrationStatus.CONNECTED, knit_sandbox.status_reason
    [secret] = knit_assessment_secrets(integration=knit_sandbox)
    assert secret.state == "active" and secret.base_url.startswith("http://testserver/sim/knit/workflows/")
    # Knit signs webhooks with the Knit API key: it is the only verification secret now.
    assert knit_sandbox.secrets_for_verification() == [account["api_key"]]
    page = client_in_workspace.get(setup_url(knit_sandbox)).content.decode()
    assert (
        secret.secret_key in page and secret.base_url in page and 'data-knit-copy="secret-key-active"' in page
    )
    assert "partnership channel" in page and f"/webhooks/knit/{knit_sandbox.public_id}/" in page
    assert set(OutboundCall.objects.filter(integration=knit_sandbox).values_list("path", flat=True)) == {
        "/sim/knit/v1.0/ats.job.list",
        "/sim/knit/v1.0/ats.assessment.secrets.create",
    }
    # Each call keeps the execution id Knit answered it with (X-Knit-Execution-Id).
    request_ids = list(
        OutboundCall.objects.filter(integration=knit_sandbox).values_list("vendor_request_id", flat=True)
    )
    assert (
        len(request_ids) == 2
        and all(r.startswith("exe_") for r in request_ids)
        and len(set(request_ids)) == 2
    )
    # Ashby can use the key at "Knit" straight away.
    assert account_for_secret(secret.secret_key).key == account["integration_id"]


@pytest.mark.django_db
def test_a_wrong_integration_id_is_named_in_the_status(client_in_workspace, knit_sandbox, account):
    connect(client_in_workspace, knit_sandbox, account, integration_id="int_wrong")
    knit_sandbox.refresh_from_db()
    assert knit_sandbox.status == IntegrationStatus.PENDING
    assert "int_wrong" in knit_sandbox.status_reason
    assert not knit_assessment_secrets(integration=knit_sandbox)


@pytest.mark.django_db
def test_the_setup_page_says_knit_has_not_published_the_update_body(client_in_workspace, knit_sandbox):
    page = client_in_workspace.get(setup_url(knit_sandbox)).content.decode()
    assert "Not published by Knit:" in page and "not the update&#x27;s request body" in page
    assert "expired <code>EXPIRED</code>" in page and "started <code>STARTED</code>" in page
    assert "has not published its request body" in page  # next to the choice itself
    # The passthrough (Ashby's published body) is what a new integration uses, and the page says so.
    checked = re.search(r'<input[^>]*name="result_mode"[^>]*checked[^>]*>', page)
    assert checked and 'value="passthrough"' in checked.group(0)


@pytest.mark.django_db
def test_missing_integration_id_is_a_form_error(client_in_workspace, knit_sandbox, account):
    response = connect(client_in_workspace, knit_sandbox, account, integration_id="")
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@pytest.mark.django_db
def test_the_sandbox_key_cannot_be_used_for_production(
    client_in_workspace, workspace, user, knit_sandbox, account
):
    connect(client_in_workspace, knit_sandbox, account)
    production = integration_create(
        workspace=workspace, provider="knit", environment="production", auth_kind="api_key", created_by=user
    )
    response = connect(client_in_workspace, production, account)
    assert response.status_code == 400
    assert "already used by your sandbox Knit integration" in response.content.decode()
    production.refresh_from_db()
    assert not production.credential("api_key")
    assert "use_simulator" not in response.content.decode()  # no simulator option for production


@pytest.mark.django_db
def test_rotating_secrets_keeps_the_old_key_working_until_the_customer_confirms(
    client_in_workspace, knit_sandbox, account
):
    connect(client_in_workspace, knit_sandbox, account)
    knit_sandbox.refresh_from_db()
    [old] = knit_assessment_secrets(integration=knit_sandbox)
    client_in_workspace.post(action_url(knit_sandbox, "secrets-create"))
    knit_sandbox.refresh_from_db()
    new, still = knit_assessment_secrets(integration=knit_sandbox)
    assert (new.state, still.state, still.secret_key) == ("pending", "active", old.secret_key)
    account_for_secret(old.secret_key)  # both work during the change
    account_for_secret(new.secret_key)
    page = client_in_workspace.get(setup_url(knit_sandbox)).content.decode()
    assert "Ashby has the new key: retire the old one" in page

    client_in_workspace.post(action_url(knit_sandbox, "secrets-confirm"))
    knit_sandbox.refresh_from_db()
    [current] = knit_assessment_secrets(integration=knit_sandbox)
    assert current.secret_key == new.secret_key and current.state == "active"
    assert old.secret_key not in client_in_workspace.get(setup_url(knit_sandbox)).content.decode()
    assert IntegrationActivity.objects.filter(integration=knit_sandbox, kind="knit.secrets_rotated").exists()


def _revoke_calls(integration) -> list[int | None]:
    return list(
        OutboundCall.objects.filter(
            integration=integration, path="/sim/knit/v1.0/ats.assessment.secrets.revoke"
        ).values_list("status_code", flat=True)
    )


@pytest.mark.django_db
def test_confirming_a_rotation_retires_the_old_key_here_and_says_to_ask_knit_support_to_revoke_it(
    client_in_workspace, knit_sandbox, account
):
    """Knit documents no revoke call: the sandbox answers it 404 like any API Knit does not have,
    JobCannon retires the old key on its side and the activity log tells the customer to ask Knit
    support, because Knit still accepts the old key from Ashby until then."""
    connect(client_in_workspace, knit_sandbox, account)
    knit_sandbox.refresh_from_db()
    [old] = knit_assessment_secrets(integration=knit_sandbox)
    client_in_workspace.post(action_url(knit_sandbox, "secrets-create"))
    client_in_workspace.post(action_url(knit_sandbox, "secrets-confirm"))

    knit_sandbox.refresh_from_db()
    [current] = knit_assessment_secrets(integration=knit_sandbox)
    assert current.state == "active" and current.secret_key != old.secret_key
    assert _revoke_calls(knit_sandbox) == [404]
    entry = IntegrationActivity.objects.get(integration=knit_sandbox, kind="knit.secrets_rotated")
    assert entry.level == ActivityLevel.WARNING
    assert "was revoked" not in entry.message and "Knit revoked" not in entry.message
    ask = f"ask Knit support to revoke the secret key ending {old.secret_key[-4:]}"
    assert ask in entry.message
    detail = client_in_workspace.get(reverse("integrations:detail", args=[knit_sandbox.pk])).content.decode()
    assert ask in detail
    # Nothing revoked it at Knit: Ashby's old key still works there until Knit support acts.
    assert account_for_secret(old.secret_key).key == account["integration_id"]


@pytest.mark.django_db
def test_discarding_a_new_secret_says_to_ask_knit_support_to_revoke_it(
    client_in_workspace, knit_sandbox, account
):
    connect(client_in_workspace, knit_sandbox, account)
    client_in_workspace.post(action_url(knit_sandbox, "secrets-create"))
    knit_sandbox.refresh_from_db()
    pending, _ = knit_assessment_secrets(integration=knit_sandbox)
    client_in_workspace.post(action_url(knit_sandbox, "secrets-discard"))

    assert _revoke_calls(knit_sandbox) == [404]
    entry = IntegrationActivity.objects.get(integration=knit_sandbox, kind="knit.secrets_discarded")
    assert f"ask Knit support to revoke the secret key ending {pending.secret_key[-4:]}" in entry.message


@pytest.mark.django_db
def test_discarding_a_new_secret_keeps_the_current_one(client_in_workspace, knit_sandbox, account):
    connect(client_in_workspace, knit_sandbox, account)
    client_in_workspace.post(action_url(knit_sandbox, "secrets-create"))
    client_in_workspace.post(action_url(knit_sandbox, "secrets-discard"))
    knit_sandbox.refresh_from_db()
    [current] = knit_assessment_secrets(integration=knit_sandbox)
    assert current.state == "active"
    account_for_secret(current.secret_key)


@pytest.mark.django_db
def test_confirm_without_a_pending_secret_explains(client_in_workspace, knit_sandbox, account):
    connect(client_in_workspace, knit_sandbox, account)
    response = client_in_workspace.post(action_url(knit_sandbox, "secrets-confirm"), follow=True)
    assert "no new secret waiting" in response.content.decode()


@pytest.mark.django_db
def test_changing_the_knit_api_key_keeps_the_previous_one_verifying_until_retired(
    client_in_workspace, knit_sandbox, account
):
    from integrations.providers.knit.simulator import sim_account_register

    connect(client_in_workspace, knit_sandbox, account)
    sim_account_register(api_key="knit_sandbox_rotated_key_0002", integration_id=account["integration_id"])
    connect(client_in_workspace, knit_sandbox, {**account, "api_key": "knit_sandbox_rotated_key_0002"})
    knit_sandbox.refresh_from_db()
    assert knit_sandbox.status == IntegrationStatus.CONNECTED
    assert knit_sandbox.secrets_for_verification() == ["knit_sandbox_rotated_key_0002", account["api_key"]]
    assert (
        "Retire the previous Knit API key"
        in client_in_workspace.get(setup_url(knit_sandbox)).content.decode()
    )
    client_in_workspace.post(action_url(knit_sandbox, "retire-previous-key"))
    knit_sandbox.refresh_from_db()
    assert knit_sandbox.secrets_for_verification() == ["knit_sandbox_rotated_key_0002"]
    assert not knit_sandbox.credential("previous_api_key")


@pytest.mark.django_db
def test_settings_reject_an_unknown_assessment_in_the_package_mapping(client_in_workspace, knit_sandbox):
    data = {
        "default_instrument": "big5",
        "package_map": "pkg_1 = astrology",
        "result_mode": "assessment_update",
    }
    response = client_in_workspace.post(action_url(knit_sandbox, "settings"), data)
    assert response.status_code == 400
    assert "unknown assessment" in response.content.decode()
    data["package_map"] = "pkg_1 = disc\n\npkg_2=eq"
    data["result_mode"] = "passthrough"
    assert client_in_workspace.post(action_url(knit_sandbox, "settings"), data).status_code == 302
    knit_sandbox.refresh_from_db()
    assert knit_sandbox.provider_settings["package_map"] == {"pkg_1": "disc", "pkg_2": "eq"}
    assert knit_sandbox.provider_settings["result_mode"] == "passthrough"


@pytest.mark.django_db
def test_setup_page_is_scoped_to_the_workspace_and_to_knit(client_in_workspace, workspace):
    foreign = knit_integration(workspace=WorkspaceFactory())
    assert client_in_workspace.get(setup_url(foreign)).status_code == 404
    fake = knit_integration(workspace=workspace, provider="fake")
    assert client_in_workspace.get(setup_url(fake)).status_code == 404


@pytest.mark.django_db
def test_members_see_masked_secrets_and_cannot_change_the_setup(client, knit_sandbox, account):
    knit_sandbox.credentials = {
        "api_key": "k" * 12,
        "integration_id": "int_1",
        "assessment_secrets": [
            {
                "secret_key": "knit_ashby_secret_value_1234",
                "base_url": "https://example.com/b/",
                "state": "active",
            }
        ],
    }
    knit_sandbox.save()
    member = MembershipFactory(workspace=knit_sandbox.workspace, role="member")
    client.force_login(member.user)
    page = client.get(setup_url(knit_sandbox)).content.decode()
    assert "knit_ashby_secret_value_1234" not in page and "1234" in page
    assert client.post(setup_url(knit_sandbox), {"integration_id": "x"}).status_code == 403
    assert client.post(action_url(knit_sandbox, "secrets-create")).status_code == 403


@pytest.mark.django_db
def test_integration_detail_page_links_to_the_knit_setup(client_in_workspace, knit_sandbox):
    page = client_in_workspace.get(reverse("integrations:detail", args=[knit_sandbox.pk])).content.decode()
    assert setup_url(knit_sandbox) in page and "Knit signs with your Knit API key" in page


@pytest.mark.django_db
def test_demo_setup_makes_no_http_call_and_returns_the_knit_key_as_webhook_secret(workspace, simulators):
    integration = integration_create(
        workspace=workspace, provider="knit", auth_kind="api_key", provider_settings={"use_simulator": True}
    )
    extra = get_provider("knit").demo_setup(integration)
    integration.refresh_from_db()
    assert extra["webhook_secret"] == integration.credential("api_key") == extra["knit_api_key"]
    assert integration.secrets_for_verification() == [extra["webhook_secret"]]
    assert (
        integration.status == IntegrationStatus.PENDING
        and "Test credentials now" in integration.status_reason
    )
    assert not OutboundCall.objects.exists()
    # "Test credentials now" then goes green through real calls to the simulator.
    from integrations.services.integrations import integration_credentials_check

    ok = integration_credentials_check(integration=Integration.objects.get(pk=integration.pk))
    integration.refresh_from_db()
    assert ok, integration.status_reason
    assert knit_assessment_secrets(integration=integration)


@pytest.mark.django_db
def test_a_404_from_knits_list_jobs_is_explained_in_the_status(mocked_responses, workspace, user):
    import re

    from integrations.providers.knit import constants
    from integrations.services.integrations import integration_credentials_check

    integration = integration_create(
        workspace=workspace, provider="knit", environment="production", auth_kind="api_key", created_by=user
    )
    integration.credentials = {"api_key": "knit_live_key_0001", "integration_id": "int_hris_0001"}
    integration.save()
    mocked_responses.get(
        re.compile(re.escape(f"{constants.API_BASE}/ats.job.list")),
        status=404,
        json={"success": False, "error": {"msg": "Not supported for this integration"}},
        headers={"X-Knit-Execution-Id": "exe_404_check"},
    )

    assert integration_credentials_check(integration=integration).ok is False

    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING
    reason = integration.status_reason
    assert "404" in reason and "List Jobs" in reason and "int_hris_0001" in reason
    assert "exe_404_check" in reason and "ATS category" in reason
    assert not knit_assessment_secrets(integration=integration)
    assert OutboundCall.objects.get(integration=integration).vendor_request_id == "exe_404_check"


@pytest.mark.django_db
def test_the_simulator_has_no_undocumented_revoke_call(client, account):
    headers = {
        "Authorization": f"Bearer {account['api_key']}",
        "X-Knit-Integration-Id": account["integration_id"],
    }
    response = client.post(
        "/sim/knit/v1.0/ats.assessment.secrets.revoke",
        data={"secretKey": "knit_ashby_any"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 404 and response.json()["success"] is False
    assert response.headers["X-Knit-Execution-Id"].startswith("exe_")


@pytest.mark.django_db
def test_the_simulator_has_no_undocumented_ats_jobs_and_answers_like_knit(client, account):
    headers = {
        "Authorization": f"Bearer {account['api_key']}",
        "X-Knit-Integration-Id": account["integration_id"],
    }
    response = client.get("/sim/knit/v1.0/ats.jobs", headers=headers)
    assert response.status_code == 404 and response.json()["success"] is False
    assert response.headers["X-Knit-Execution-Id"].startswith("exe_")
    listed = client.get("/sim/knit/v1.0/ats.job.list", headers=headers)
    assert listed.status_code == 200 and listed.json()["data"] == {"jobs": [], "nextPageToken": None}
    assert listed.headers["X-Knit-Execution-Id"] != response.headers["X-Knit-Execution-Id"]
