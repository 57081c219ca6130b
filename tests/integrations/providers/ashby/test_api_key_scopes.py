"""An API key's permissions as Ashby lists them, and a write-back refused for one.

Ashby's OpenAPI, /apiKey.info: `results.scopes`, "List of permission scopes that this API key is
authorized for", example ["jobs:read", "candidates:read"]. A key lacking candidatesWrite is named
when it connects (state, Ashby panel, checklist), not at the first write-back; and a write-back
Ashby refuses with 403 missing_endpoint_permission keeps the integration connected with the
permission named, the write held until the permission is granted (re-authorizing an API key
cannot grant it). An OAuth grant keeps the re-authorization path."""

import json
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
from integrations.providers.ashby.permissions import permissions_from_scopes
from integrations.registry import get_provider
from integrations.services.integrations import integration_credentials_check
from integrations.services.writeback import writeback_deliver

from .helpers import ashby_integration, forbidden, scored_run, sim_integration

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


def writeback(integration):
    run = scored_run(integration)
    return WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_ASSESSMENT_UPDATE,
        event="completed",
        idempotency_key=f"{run.pk}:update:completed",
    )


@pytest.mark.django_db
def test_a_write_back_refused_for_candidates_write_is_shown_on_the_ashby_panel_not_reauth(
    mocked_responses, client_in_workspace, workspace
):
    integration = ashby_integration(workspace=workspace)
    mocked_responses.post(UPDATE, status=403, json=forbidden("candidatesWrite"))
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
    check = ashby_check(integration)
    assert check.ok is False and "candidatesWrite" in check.detail


@pytest.mark.django_db
def test_the_held_write_back_is_sent_once_the_permission_is_granted(mocked_responses):
    integration = ashby_integration()
    mocked_responses.post(UPDATE, status=403, json=forbidden("candidatesWrite"))
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
    mocked_responses.post(UPDATE, status=403, json=forbidden("candidatesWrite"))
    message = writeback(integration)

    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert integration.status == IntegrationStatus.NEEDS_REAUTH
    assert "candidate:write" in integration.status_reason
