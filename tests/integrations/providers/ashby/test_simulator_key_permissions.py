"""Editing an existing API key's permissions on the simulated Ashby's account page, as an Ashby
Admin can in the Ashby web app (developers.ashbyhq.com/reference/authentication, "Managing API Key
Permissions"): the fix our integration page asks for when the JobCannon key lacks a permission."""

import base64
import re

import pytest
from django.urls import reverse

from integrations.models import IntegrationActivity, IntegrationStatus
from integrations.providers.ashby import simulator_state as sim

from .helpers import sim_integration, with_partner_key

# Every permission our calls need but the two the audit's key lacked.
WITHOUT_API_KEYS = [p for p in sim.ALL_PERMISSIONS if p not in ("apiKeysRead", "apiKeysWrite")]


def _key_form(page: str, hint: str) -> str:
    """The edit form of the key whose last four characters are `hint`."""
    match = re.search(
        rf'<form[^>]*class="sim-key-permissions"[^>]*data-key-hint="{re.escape(hint)}".*?</form>', page, re.S
    )
    assert match, f"no permissions form for key …{hint}"
    return match.group(0)


@pytest.mark.django_db
def test_granting_the_missing_permissions_to_the_key_in_the_sandbox_then_testing_connects_cleanly(
    simulators, client_in_workspace, workspace
):
    client = client_in_workspace
    integration, account = sim_integration(workspace=workspace, permissions=WITHOUT_API_KEYS)
    sim.account_update(
        account,
        partner={
            "base_url": f"/partners/ashby/{integration.public_id}",
            "api_key": with_partner_key(integration),
        },
    )
    detail = reverse("integrations:detail", args=[integration.pk])
    client.post(reverse("integrations:action", args=[integration.pk, "test"]))
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert "apiKeysRead" in integration.status_reason and "apiKeysWrite" in integration.status_reason
    page = client.get(detail).content.decode()
    assert 'id="warning-ashby-missing-apiKeysWrite"' in page
    assert "edit the JobCannon key and add the permission" in page

    # The admin does what the page says, in the simulated Ashby: Admin → API keys → edit the key.
    sandbox = reverse("integrations:sim-ashby:account", args=[account])
    hint = integration.credential("api_key")[-4:]
    form = _key_form(client.get(sandbox).content.decode(), hint)
    checked = set(re.findall(r'name="permissions" value="(\w+)" checked', form))
    assert checked == set(WITHOUT_API_KEYS), "the form starts from the key's current permissions"
    key_id = re.search(r'name="key" value="(\w+)"', form).group(1)
    response = client.post(
        sandbox,
        {
            "action": "api-key-permissions",
            "key": key_id,
            "permissions": [*WITHOUT_API_KEYS, "apiKeysRead", "apiKeysWrite"],
        },
        follow=True,
    )
    assert "Permissions of API key …" + hint + " saved" in response.content.decode()
    form = _key_form(response.content.decode(), hint)
    assert set(re.findall(r'name="permissions" value="(\w+)" checked', form)) == set(sim.ALL_PERMISSIONS)

    # Then "Test credentials now" on our page: connected, every warning gone, webhooks registered.
    client.post(reverse("integrations:action", args=[integration.pk, "test"]))
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED and integration.status_reason == ""
    assert integration.provider_settings["missing_permissions"] == {}
    assert {w["status"] for w in integration.provider_settings["webhooks"]} == {"enabled"}
    assert sim.list_for("webhook", account)
    granted = IntegrationActivity.objects.filter(integration=integration, kind="ashby.permission_granted")
    assert sorted(line.data["permission"] for line in granted) == ["apiKeysRead", "apiKeysWrite"]
    page = client.get(detail).content.decode()
    assert "ashby-missing-" not in page


@pytest.mark.django_db
def test_removing_a_permission_in_the_sandbox_makes_the_next_call_a_403(client, db):
    integration, account = sim_integration()
    api_key = integration.credential("api_key")
    key = sim.list_for("api_key", account)[0]
    sandbox = reverse("integrations:sim-ashby:account", args=[account])
    client.post(sandbox, {"action": "api-key-permissions", "key": key.key, "permissions": ["candidatesRead"]})
    auth = {"Authorization": "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()}
    info = client.post("/sim/ashby/apiKey.info", data="{}", content_type="application/json", headers=auth)
    assert info.status_code == 403
    assert info.json()["errorInfo"]["code"] == "missing_endpoint_permission"


@pytest.mark.django_db
def test_a_key_of_another_sandbox_account_cannot_be_edited(client, db):
    _, account = sim_integration()
    _, other = sim_integration()
    theirs = sim.list_for("api_key", other)[0]
    sandbox = reverse("integrations:sim-ashby:account", args=[account])
    response = client.post(
        sandbox, {"action": "api-key-permissions", "key": theirs.key, "permissions": []}, follow=True
    )
    assert "No such API key in this workspace." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.data["permissions"] == sim.ALL_PERMISSIONS
