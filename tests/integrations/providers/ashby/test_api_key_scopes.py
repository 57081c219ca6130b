"""An API key's permissions as Ashby lists them, and a write-back refused for one.

Ashby's OpenAPI, /apiKey.info: `results.scopes`, "List of permission scopes that this API key is
authorized for", example ["jobs:read", "candidates:read"]. A key lacking candidatesWrite is named
when it connects (state, Ashby panel, checklist), not at the first write-back; and a write-back
Ashby refuses with 403 missing_endpoint_permission keeps the integration connected with the
permission named, the write held until the permission is granted (re-authorizing an API key
cannot grant it). An OAuth grant keeps the re-authorization path."""

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    IntegrationActivity,
    IntegrationStatus,
    Token,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.permissions import permission_missing_record, permissions_from_scopes
from integrations.registry import get_provider
from integrations.services.integrations import integration_credentials_check
from integrations.services.writeback import writeback_deliver

from .helpers import FORBIDDEN_SHAPES, ashby_integration, scored_run, sim_integration

API = constants.API_BASE
UPDATE = API + "/assessment.update"
SPEC_USED = Path(__file__).parents[3] / "fixtures" / "ashby" / "openapi" / "ashby-api-used-openapi.yml"
WITHOUT_WRITE = [p for p in sim.ALL_PERMISSIONS if p != constants.PERMISSION_CANDIDATES_WRITE]


def published_scopes_example() -> list[str]:
    """The spec's own example of apiKey.info `results.scopes`."""
    spec = yaml.safe_load(SPEC_USED.read_text())
    schema = spec["paths"]["/apiKey.info"]["post"]["responses"]["200"]["content"]["application/json"]
    success = schema["schema"]["oneOf"][0]["allOf"][1]
    return success["properties"]["results"]["properties"]["scopes"]["example"]


def ashby_check(integration):
    return next(
        c for c in get_provider("ashby").checklist_checks(integration) if c.key == "ashby_permissions"
    )


def page(client, integration) -> str:
    return client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()


@pytest.mark.django_db
def test_a_key_without_candidates_write_is_named_when_it_connects(simulators, client_in_workspace, workspace):
    integration, account = sim_integration(workspace=workspace, permissions=WITHOUT_WRITE)

    assert integration_credentials_check(integration=integration), integration.status_reason
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    missing = integration.provider_settings["missing_permissions"]
    assert {p: m["endpoint"] for p, m in missing.items()} == {"candidatesWrite": "assessment.update"}
    assert "candidates:write" in missing["candidatesWrite"]["message"]
    check = ashby_check(integration)
    assert check.ok is False and "candidatesWrite (needed by assessment.update)" in check.detail
    html = page(client_in_workspace, integration)
    assert 'id="ashby-missing-candidatesWrite"' in html
    assert "give the JobCannon key the candidatesWrite permission" in html
    valid = IntegrationActivity.objects.get(integration=integration, kind="credentials.valid")
    assert "candidatesWrite" in valid.message

    # An Ashby admin grants it; Test credentials now clears it.
    key = sim.get("api_key", sim.digest(integration.credential("api_key")))
    key.data = {**key.data, "permissions": sim.ALL_PERMISSIONS}
    key.save()
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["missing_permissions"] == {}
    assert ashby_check(integration).ok is True
    assert "ashby-missing-" not in page(client_in_workspace, integration)


@pytest.mark.django_db
def test_the_simulator_lists_a_keys_permissions_as_scopes_in_the_published_form(simulators):
    integration, account = sim_integration(permissions=WITHOUT_WRITE)
    info = get_provider("ashby").client(integration).api_key_info()["results"]
    assert set(info) == {"title", "createdAt", "scopes"}
    assert all(":" in scope for scope in info["scopes"]), "the spec's example form, e.g. jobs:read"
    assert permissions_from_scopes(info["scopes"]) == set(WITHOUT_WRITE)


@pytest.mark.django_db
def test_the_published_example_scopes_name_the_permissions_they_lack(mocked_responses):
    """The spec's example key (jobs:read, candidates:read) lacks candidatesWrite and interviewsRead.
    apiKeysRead is proven by the call answering and apiKeysWrite by webhook.create: not named."""
    example = published_scopes_example()
    assert example == ["jobs:read", "candidates:read"]
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    mocked_responses.post(
        API + "/apiKey.info",
        json={
            "success": True,
            "results": {"title": "JobCannon", "createdAt": "2022-08-12T20:29:56.964Z", "scopes": example},
        },
    )
    mocked_responses.post(
        API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert sorted(integration.provider_settings["missing_permissions"]) == [
        "candidatesWrite",
        "interviewsRead",
    ]


@pytest.mark.django_db
def test_a_key_whose_api_key_info_lists_no_scopes_is_judged_by_its_calls(mocked_responses):
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon"}})
    mocked_responses.post(
        API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not integration.provider_settings.get("missing_permissions")
    assert ashby_check(integration).ok is True


# -- scopes in spellings we do not know: the table is our inference [I], so never a false red ----


def connect_with_scopes(mocked_responses, integration, scopes):
    """apiKey.info listing `scopes` (the spec's 200 shape), webhook.create accepting."""
    info = {"title": "JobCannon", "createdAt": "2022-08-12T20:29:56.964Z", "scopes": scopes}
    if any(c.request.url.endswith("/apiKey.info") for c in mocked_responses.calls):
        mocked_responses.replace("POST", API + "/apiKey.info", json={"success": True, "results": info})
    else:
        mocked_responses.post(API + "/apiKey.info", json={"success": True, "results": info})
        mocked_responses.post(
            API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
        )
    assert integration_credentials_check(integration=integration), integration.status_reason
    integration.refresh_from_db()


# Every permission a working key needs, in a spelling our table does not know.
UNKNOWN_SPELLINGS = ["candidates.read", "candidates.write", "jobs.read", "interview_plans.read"]


@pytest.mark.django_db
def test_a_key_whose_scopes_we_cannot_read_connects_green_and_says_so_neutrally(
    mocked_responses, client_in_workspace, workspace, caplog
):
    integration = ashby_integration(workspace=workspace, status=IntegrationStatus.PENDING)
    with caplog.at_level(logging.WARNING, logger="integrations.providers.ashby.permissions"):
        connect_with_scopes(mocked_responses, integration, UNKNOWN_SPELLINGS)

    assert integration.status == IntegrationStatus.CONNECTED
    assert not integration.provider_settings.get("missing_permissions"), "no false red warning"
    check = ashby_check(integration)
    assert check.ok is True
    assert "does not recognise (candidates.read, candidates.write, jobs.read, interview_plans.read)" in (
        check.detail
    )
    html = page(client_in_workspace, integration)
    assert "ashby-missing-" not in html and "does not recognise" in html
    valid = IntegrationActivity.objects.get(integration=integration, kind="credentials.valid")
    assert "lacks" not in valid.message
    noted = IntegrationActivity.objects.get(integration=integration, kind="ashby.scopes_unrecognised")
    assert noted.level == "info" and noted.data["scopes"] == UNKNOWN_SPELLINGS
    [record] = [r for r in caplog.records if r.getMessage() == "ashby.scopes_unrecognised"]
    assert record.scopes == UNKNOWN_SPELLINGS and record.unrecognised == UNKNOWN_SPELLINGS
    assert "ashby-test-key" not in repr(record.__dict__), "scope names only, never the key"

    connect_with_scopes(mocked_responses, integration, UNKNOWN_SPELLINGS)
    assert IntegrationActivity.objects.filter(kind="ashby.scopes_unrecognised").count() == 1, (
        "noted once, not at every check"
    )


@pytest.mark.django_db
def test_a_partly_known_list_names_nothing_missing_that_an_unknown_scope_could_be(mocked_responses):
    """`candidates.write` is not our spelling of candidatesWrite, but may well be Ashby's: neither
    candidatesWrite nor interviewsRead (absent from what we could read) is called missing; the
    known scopes still count as granted."""
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    connect_with_scopes(mocked_responses, integration, ["jobs:read", "candidates:read", "candidates.write"])

    assert integration.status == IntegrationStatus.CONNECTED
    assert not integration.provider_settings.get("missing_permissions")
    assert integration.provider_settings["scopes_unrecognised"] == ["candidates.write"]
    assert permissions_from_scopes(["jobs:read", "candidates:read", "candidates.write"]) == {
        "jobsRead",
        "candidatesRead",
    }


@pytest.mark.django_db
def test_a_scope_of_a_permission_we_never_use_does_not_hide_a_missing_one(mocked_responses):
    """`offers:read` is Ashby's offersRead (a published permission we do not need): read, not
    unknown, so the key's missing candidatesWrite and interviewsRead are still named at connect."""
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    connect_with_scopes(mocked_responses, integration, [*published_scopes_example(), "offers:read"])

    assert sorted(integration.provider_settings["missing_permissions"]) == [
        "candidatesWrite",
        "interviewsRead",
    ]
    assert not integration.provider_settings.get("scopes_unrecognised")


@pytest.mark.django_db
def test_red_warnings_from_an_earlier_list_go_once_the_list_cannot_be_read_but_refusals_stay(
    mocked_responses,
):
    integration = ashby_integration(status=IntegrationStatus.PENDING)
    connect_with_scopes(mocked_responses, integration, published_scopes_example())
    assert sorted(integration.provider_settings["missing_permissions"]) == [
        "candidatesWrite",
        "interviewsRead",
    ]
    # Later, a sync call is refused: that is Ashby's own word, not a reading of the list.
    permission_missing_record(
        integration=integration,
        permission="jobsRead",
        endpoint="job.list",
        missing=True,
        message="The API key lacks the jobsRead permission.",
    )

    connect_with_scopes(mocked_responses, integration, UNKNOWN_SPELLINGS)
    assert list(integration.provider_settings["missing_permissions"]) == ["jobsRead"]
    cleared = IntegrationActivity.objects.filter(integration=integration, kind="ashby.permission_granted")
    assert sorted(line.data["permission"] for line in cleared) == ["candidatesWrite", "interviewsRead"]
    assert all("does not recognise" in line.message for line in cleared)


def writeback(integration):
    run = scored_run(integration)
    return WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_ASSESSMENT_UPDATE,
        event="completed",
        idempotency_key=f"{run.pk}:update:completed",
    )


@pytest.mark.parametrize("shape", list(FORBIDDEN_SHAPES))
@pytest.mark.django_db
def test_a_write_back_refused_for_candidates_write_is_shown_on_the_ashby_panel_not_reauth(
    mocked_responses, client_in_workspace, workspace, shape
):
    integration = ashby_integration(workspace=workspace)
    mocked_responses.post(UPDATE, status=403, json=FORBIDDEN_SHAPES[shape]("candidatesWrite"))
    message = writeback(integration)

    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert message.status == WritebackStatus.RETRYING, "held, not given up and not waiting for re-auth"
    assert "candidatesWrite" in message.last_error
    missing = integration.provider_settings["missing_permissions"]
    assert {p: m["endpoint"] for p, m in missing.items()} == {"candidatesWrite": "assessment.update"}
    html = page(client_in_workspace, integration)
    assert 'id="ashby-missing-candidatesWrite"' in html
    assert "give the JobCannon key the candidatesWrite permission" in html
    assert "Re-authorize" not in integration.status_reason
    # Still connected, and the state says which permission, in one line.
    assert integration.status_reason.startswith(
        "Missing Ashby permission candidatesWrite (needed by assessment.update): in Ashby Admin"
    ), integration.status_reason
    check = ashby_check(integration)
    assert check.ok is False and "candidatesWrite" in check.detail


@pytest.mark.django_db
def test_the_held_write_back_is_sent_once_the_permission_is_granted(mocked_responses):
    integration = ashby_integration()
    mocked_responses.post(UPDATE, status=403, json=FORBIDDEN_SHAPES["3p"]("candidatesWrite"))
    message = writeback(integration)
    writeback_deliver(message_id=message.pk)

    # The admin grants candidatesWrite; the customer clicks Test credentials now.
    scopes = [constants.PERMISSION_API_KEY_SCOPES[p] for p in sim.ALL_PERMISSIONS]
    mocked_responses.post(
        API + "/apiKey.info", json={"success": True, "results": {"title": "JobCannon", "scopes": scopes}}
    )
    mocked_responses.post(
        API + "/webhook.create", json={"success": True, "results": {"id": "wh-1", "enabled": True}}
    )
    mocked_responses.replace("POST", UPDATE, json={"success": True, "results": {}})
    assert integration_credentials_check(integration=integration)
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING, "queued at once, not at its next backoff step"
    assert IntegrationActivity.objects.filter(
        integration=integration, kind="ashby.writebacks_resumed"
    ).exists()

    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status in (WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED)
    assert integration.provider_settings["missing_permissions"] == {}
    assert integration.status == IntegrationStatus.CONNECTED and integration.status_reason == ""
    sent = [json.loads(c.request.body) for c in mocked_responses.calls if c.request.url == UPDATE]
    assert len(sent) == 2


@pytest.mark.django_db
def test_a_write_back_refused_to_an_oauth_grant_still_asks_for_re_authorization(mocked_responses):
    integration = ashby_integration(auth_kind="oauth2")
    Token.objects.create(
        integration=integration,
        access_token="at-123",
        refresh_token="rt",
        access_expires_at=timezone.now() + timedelta(hours=1),
    )
    mocked_responses.post(UPDATE, status=403, json=FORBIDDEN_SHAPES["3p"]("candidatesWrite"))
    message = writeback(integration)

    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert integration.status == IntegrationStatus.NEEDS_REAUTH
    assert "candidate:write" in integration.status_reason
