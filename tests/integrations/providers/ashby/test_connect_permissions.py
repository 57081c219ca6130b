"""Connecting with an API key that lacks a permission: Ashby's OpenAPI says apiKey.info "Requires
the apiKeysRead permission" and webhook.create / webhook.delete "Requires the apiKeysWrite" one.
A 403 missing_endpoint_permission proves the key works: the connect finishes, the missing
permission is named on the integration (state, page, checklist, log), and granting it clears it.
Also: webhook.create is only ever sent Ashby's own webhook types, and the guide and the connect
page say what the real API needs."""

import base64
import json
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from jsonschema import Draft202012Validator

from integrations.models import IntegrationActivity, IntegrationStatus
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.guide import setup_steps
from integrations.registry import get_provider
from integrations.services.integrations import integration_credentials_check

from .helpers import (
    FORBIDDEN_SHAPES,
    ashby_integration,
    forbidden,
    forbidden_as_published,
    sim_integration,
    sim_permission_errors,
)

API = constants.API_BASE
SPEC_USED = Path(__file__).parents[3] / "fixtures" / "ashby" / "openapi" / "ashby-api-used-openapi.yml"
# A key made as the old setup guide said: "Candidates read and write" only.
CANDIDATE_ONLY = ["candidatesRead", "candidatesWrite", "jobsRead", "interviewsRead"]


@pytest.mark.parametrize("shape", list(FORBIDDEN_SHAPES))
@pytest.mark.django_db
def test_a_key_with_only_candidate_permissions_connects_and_names_both_missing_ones(
    simulators, client_in_workspace, workspace, shape
):
    """Both 403 bodies: the spec's (`errors` of strings, what the simulator sends by default) and
    the [3P] `{message, parameter}` objects."""
    integration, account = sim_integration(workspace=workspace, permissions=CANDIDATE_ONLY)
    sim_permission_errors(account, shape)

    assert integration_credentials_check(integration=integration), integration.status_reason
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    # The state itself names what is missing, in one line, by Ashby's permission names.
    assert_reason_names(integration, ["apiKeysRead", "apiKeysWrite"])
    assert "candidatesWrite" not in integration.status_reason
    missing = integration.provider_settings["missing_permissions"]
    assert {p: m["endpoint"] for p, m in missing.items()} == {
        "apiKeysRead": "apiKey.info",
        "apiKeysWrite": "webhook.create",
    }
    assert {w["status"] for w in integration.provider_settings["webhooks"]} == {"needs_permission"}
    assert not sim.list_for("webhook", account)
    logged = IntegrationActivity.objects.filter(integration=integration, kind="ashby.permission_missing")
    assert sorted(line.data["permission"] for line in logged) == ["apiKeysRead", "apiKeysWrite"]
    valid = IntegrationActivity.objects.get(integration=integration, kind="credentials.valid")
    assert "apiKeysRead" in valid.message

    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="ashby-missing-apiKeysRead"' in page and 'id="ashby-missing-apiKeysWrite"' in page
    assert 'id="warning-ashby-missing-apiKeysWrite"' in page
    assert "give the JobCannon key the apiKeysWrite permission" in page
    check = next(
        c for c in get_provider("ashby").checklist_checks(integration) if c.key == "ashby_permissions"
    )
    assert check.ok is False and "apiKeysWrite (needed by webhook.create)" in check.detail

    # The customer grants both permissions in Ashby, then clicks Test credentials now.
    key = sim.get("api_key", sim.digest(integration.credential("api_key")))
    key.data = {**key.data, "permissions": sim.ALL_PERMISSIONS}
    key.save()
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["missing_permissions"] == {}
    assert integration.status == IntegrationStatus.CONNECTED and integration.status_reason == ""
    assert {w["status"] for w in integration.provider_settings["webhooks"]} == {"enabled"}
    assert sim.list_for("webhook", account)
    assert (
        IntegrationActivity.objects.filter(integration=integration, kind="ashby.permission_granted").count()
        == 2
    )
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "ashby-missing-" not in page


def assert_reason_names(integration, permissions: list[str]) -> None:
    """status_reason: one line naming exactly the missing permissions (and no other Ashby
    permission), each with the endpoint that needs it."""
    reason = integration.status_reason
    assert reason and "\n" not in reason, reason
    named = {p for p in set(constants.ENDPOINT_PERMISSIONS.values()) | {"organizationRead"} if p in reason}
    assert named == set(permissions), reason
    for permission in permissions:
        endpoint = integration.provider_settings["missing_permissions"][permission]["endpoint"]
        assert f"{permission} (needed by {endpoint})" in reason, reason


def published_error_schema(endpoint: str) -> dict:
    """The error branch of the endpoint's response in Ashby's OpenAPI: the shared error schema,
    `errors: {type: array, items: {type: string}}`, `errorInfo: {code, message, requestId}`."""
    spec = yaml.safe_load(SPEC_USED.read_text())
    content = spec["paths"][f"/{endpoint}"]["post"]["responses"]["200"]["content"]["application/json"]
    return next(b for b in content["schema"]["oneOf"] if b.get("title") != "Success response")


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("apiKey.info", {}),
        (
            "webhook.create",
            {
                "webhookType": "applicationSubmit",
                "requestUrl": "https://example.com/webhook",
                "secretToken": "0c2f9463f87641919f8106a2c49d7a57",
            },
        ),
    ],
)
@pytest.mark.django_db
def test_the_simulators_permission_403_is_the_published_error_schema(client, endpoint, body):
    """The simulator imitates Ashby as published: by default its 403 missing_endpoint_permission
    has `errors` of strings, as the spec's shared error schema types them (not the [3P] objects)."""
    sim.account_ensure("acct-shape", "Test workspace")
    key = sim.api_key_create("acct-shape", permissions=CANDIDATE_ONLY)
    response = client.post(
        f"/sim/ashby/{endpoint}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()},
    )
    assert response.status_code == 403
    answer = response.json()
    assert list(Draft202012Validator(published_error_schema(endpoint)).iter_errors(answer)) == []
    assert answer["errors"] == ["missing_endpoint_permission"]
    assert answer["errorInfo"]["code"] == "missing_endpoint_permission"


@pytest.mark.django_db
def test_a_wrong_key_still_fails_the_connect(simulators):
    integration, _ = sim_integration()
    integration.credentials = {"api_key": "ashby_sim_not_a_key"}
    integration.save()
    assert not integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING
    assert "wrong or deactivated" in integration.status_reason


@pytest.mark.parametrize("shape", list(FORBIDDEN_SHAPES))
@pytest.mark.django_db
def test_ashbys_403_on_webhook_create_is_named_and_the_connect_finishes(mocked_responses, shape):
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(API + "/webhook.create", status=403, json=FORBIDDEN_SHAPES[shape]("apiKeysWrite"))

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert list(integration.provider_settings["missing_permissions"]) == ["apiKeysWrite"]
    hooks = integration.provider_settings["webhooks"] + integration.provider_settings["sync_webhooks"]
    assert {w["status"] for w in hooks} == {"needs_permission"}
    assert "apiKeysWrite" in hooks[0]["note"]
    creates = [c for c in mocked_responses.calls if c.request.url.endswith("/webhook.create")]
    assert len(creates) == 1, "one refusal is enough: the others would be refused too"
    assert_reason_names(integration, ["apiKeysWrite"])

    # Granted in Ashby, then Test credentials now: the line goes, the integration stays connected.
    mocked_responses.replace(
        "POST", API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["missing_permissions"] == {}
    assert integration.status == IntegrationStatus.CONNECTED and integration.status_reason == ""


@pytest.mark.django_db
def test_a_connected_integration_whose_key_loses_api_keys_write_names_it_until_granted(mocked_responses):
    """Checked again while connected (Test credentials now): the 403 puts the permission in
    status_reason, still connected; granted, the next check clears it."""
    integration = ashby_integration(status=IntegrationStatus.CONNECTED)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(API + "/webhook.create", status=403, json=forbidden_as_published("apiKeysWrite"))

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert_reason_names(integration, ["apiKeysWrite"])
    assert "Ashby Admin" in integration.status_reason, "says where to grant it"

    mocked_responses.replace(
        "POST", API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED and integration.status_reason == ""


@pytest.mark.django_db
def test_a_403_that_names_no_permission_is_explained_with_the_endpoints_own(mocked_responses):
    """Ashby's 403 may carry only `errors: ["missing_endpoint_permission"]`: the permission is then
    the one the spec states for the endpoint (apiKey.info → apiKeysRead)."""
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    body = {
        "success": False,
        "errors": ["missing_endpoint_permission"],
        "errorInfo": {"code": "missing_endpoint_permission", "message": "Forbidden", "requestId": "01J"},
    }
    mocked_responses.post(API + "/apiKey.info", status=403, json=body)
    mocked_responses.post(
        API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert list(integration.provider_settings["missing_permissions"]) == ["apiKeysRead"]
    assert integration.status == IntegrationStatus.CONNECTED
    assert_reason_names(integration, ["apiKeysRead"])


def forbidden_with_prose(parameter: str, message: str) -> dict:
    """The [3P] 403 shape (`errors[]` as `{message, parameter}`; the spec's schema has string
    items, helpers.forbidden) whose errorInfo.message is prose naming other permissions than the
    one in `parameter`."""
    body = forbidden(parameter)
    body["errorInfo"]["message"] = message
    return body


@pytest.mark.parametrize("status", [403, 200])
@pytest.mark.django_db
def test_the_permission_in_errors_parameter_is_recorded_not_one_the_message_mentions(
    mocked_responses, client_in_workspace, workspace, status
):
    """The message mentions candidatesWrite and candidatesRead (which the key has); `parameter`
    names apiKeysWrite, the one it lacks: that one is recorded, shown and logged. Both transports
    Ashby uses for a refusal: HTTP 403, and HTTP 200 with `success: false`."""
    integration = ashby_integration(workspace=workspace, status=IntegrationStatus.PENDING)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(
        API + "/webhook.create",
        status=status,
        json=forbidden_with_prose(
            "apiKeysWrite",
            "This key has candidatesWrite and candidatesRead; the endpoint needs another permission",
        ),
    )

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert list(integration.provider_settings["missing_permissions"]) == ["apiKeysWrite"]
    line = IntegrationActivity.objects.get(integration=integration, kind="ashby.permission_missing")
    assert line.data["permission"] == "apiKeysWrite"
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="ashby-missing-apiKeysWrite"' in page and "ashby-missing-candidatesWrite" not in page


@pytest.mark.django_db
def test_errors_parameter_wins_over_the_endpoints_own_permission(mocked_responses):
    """When Ashby names a permission in `parameter`, that is the one the key lacks, even where the
    spec table would have guessed another for the endpoint (apiKey.info → apiKeysRead)."""
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    mocked_responses.post(
        API + "/apiKey.info",
        status=403,
        json=forbidden_with_prose("organizationRead", "Missing permission: see apiKeysRead docs"),
    )
    mocked_responses.post(
        API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert list(integration.provider_settings["missing_permissions"]) == ["organizationRead"]
    valid = IntegrationActivity.objects.get(integration=integration, kind="credentials.valid")
    assert "lacks the organizationRead permission" in valid.message


@pytest.mark.django_db
def test_webhook_create_is_only_ever_sent_real_webhook_types(mocked_responses):
    """Ashby's OpenAPI, webhook.create `webhookType` enum: no candidate.created, no
    assessment.completed. The seed's names are aliases, never sent, first or otherwise."""
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(
        API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )

    assert integration_credentials_check(integration=integration)
    sent = [
        json.loads(c.request.body)["webhookType"]
        for c in mocked_responses.calls
        if c.request.url.endswith("/webhook.create")
    ]
    assert sent[0] == "applicationSubmit"
    assert set(sent) <= constants.WEBHOOK_TYPES and len(sent) == len(set(sent))
    assert "candidate.created" not in sent and "assessment.completed" not in sent


@pytest.mark.django_db
def test_the_api_key_setup_step_lists_every_permission_our_calls_need(client_in_workspace, workspace):
    """Each endpoint we call, with the permission Ashby's OpenAPI says it "Requires", shown on
    the page the customer follows while creating the key (the wizard's "In the ATS" step)."""
    first = setup_steps(auth_kind="api_key")[0]
    listed = {item.split(":")[0] for item in first.items}
    assert listed == set(constants.ENDPOINT_PERMISSIONS.values())
    assert {"apiKeysRead", "apiKeysWrite", "candidatesWrite"} <= listed
    webhooks_step = next(s for s in setup_steps(auth_kind="api_key") if s.title.startswith("Webhooks"))
    assert "applicationSubmit" in webhooks_step.body

    integration = ashby_integration(
        workspace=workspace, auth_kind="api_key", status=IntegrationStatus.PENDING
    )
    page = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    for endpoint, permission in constants.ENDPOINT_PERMISSIONS.items():
        assert f"<li>{permission}: " in page and endpoint in page, (permission, endpoint)


@pytest.mark.django_db
def test_connect_page_says_the_api_key_is_the_path_ashby_documents(client_in_workspace):
    page = client_in_workspace.get(reverse("integrations:connect")).content.decode()
    assert "The API key is the way Ashby documents publicly" in page
    wizard = client_in_workspace.get(reverse("integrations:wizard", args=["ashby"])).content.decode()
    assert "The API key is the way Ashby documents publicly" in wizard


@pytest.mark.django_db
def test_connect_page_links_ashbys_api_key_and_permissions_page(client_in_workspace):
    """The Ashby card's "setup guide" link opens Ashby's authentication page (how to send the API
    key, and the table of each module's permissions), not the API reference index."""
    page = client_in_workspace.get(reverse("integrations:connect")).content.decode()
    assert (
        '<a href="https://developers.ashbyhq.com/reference/authentication" rel="noopener">'
        "Ashby setup guide</a>"
    ) in page
    assert 'href="https://developers.ashbyhq.com/reference"' not in page


@pytest.mark.django_db
def test_a_key_without_api_keys_write_lists_each_webhook_type_once(
    mocked_responses, client_in_workspace, workspace
):
    """While webhook.create is refused, applicationSubmit is listed with the assessment webhooks
    only, not again with the data sync's: on the page and in the activity log."""
    integration = ashby_integration(workspace=workspace, status=IntegrationStatus.PENDING)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(API + "/webhook.create", status=403, json=forbidden_as_published("apiKeysWrite"))
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()

    hooks = integration.provider_settings["webhooks"] + integration.provider_settings["sync_webhooks"]
    listed = [w["webhook_type"] for w in hooks]
    assert sorted(listed) == sorted(constants.SYNC_WEBHOOKS), listed
    assert {w["status"] for w in hooks} == {"needs_permission"}
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert page.count("<code>applicationSubmit</code>") == 1
    logged = [
        w["webhook_type"]
        for a in IntegrationActivity.objects.filter(integration=integration, kind="ashby.webhooks_registered")
        for w in a.data["webhooks"]
    ]
    assert logged.count("applicationSubmit") == 1
