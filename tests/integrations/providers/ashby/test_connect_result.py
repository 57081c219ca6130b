"""What the setup page says right after "Connect and test": a key that works but lacks a
permission connects, and the success flash and step 3 name what is still missing (the provider's
connected reason), not only "accepted". Also: Ashby webhooks are registered by JobCannon, so the
page asks for no webhook URL to be pasted into Ashby."""

import re

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus
from integrations.providers.ashby import simulator_state as sim

from .helpers import sim_integration

pytestmark = pytest.mark.django_db

MISSING_WRITE = "Missing Ashby permission apiKeysWrite (needed by webhook.create)"


def _connect(client, workspace, permissions):
    integration, account = sim_integration(workspace=workspace)
    key = sim.api_key_create(account, permissions=permissions)
    page = client.post(
        reverse("integrations:setup", args=[integration.pk]),
        {"step": "credentials", "api_key": key},
        follow=True,
    )
    assert page.status_code == 200
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    return integration, page.content.decode()


def _flash(html: str) -> str:
    found = re.search(r'<ul class="messages" role="status">(.*?)</ul>', html, re.S)
    assert found, "no flash"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _step3_status(html: str) -> str:
    found = re.search(r'<p class="ok-text" id="connected-status"[^>]*>(.*?)</p>', html, re.S)
    assert found, "no step-3 status"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_a_key_without_apikeyswrite_is_named_in_the_flash_and_in_step_3(
    simulators, client_in_workspace, workspace
):
    without_write = [p for p in sim.ALL_PERMISSIONS if p != "apiKeysWrite"]
    integration, html = _connect(client_in_workspace, workspace, without_write)

    flash = _flash(html)
    assert flash.startswith("Connected: Ashby accepted the credentials.")
    assert MISSING_WRITE in flash
    assert "give the JobCannon key this permission" in flash  # where to fix it
    step3 = _step3_status(html)
    assert "accepted the credentials" in step3 and MISSING_WRITE in step3
    assert integration.status_reason.startswith(MISSING_WRITE)  # the same line the state holds


def test_a_key_with_every_permission_is_only_connected(simulators, client_in_workspace, workspace):
    integration, html = _connect(client_in_workspace, workspace, list(sim.ALL_PERMISSIONS))
    assert integration.status_reason == ""
    assert _flash(html) == "Connected: Ashby accepted the credentials."
    assert "Missing" not in _step3_status(html)


def test_the_api_key_step_asks_for_no_webhook_url_since_jobcannon_registers_the_webhooks(
    client_in_workspace, workspace
):
    integration, _ = sim_integration(workspace=workspace)
    html = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    in_ats = re.search(r'<section class="card" id="in-ats".*?</section>', html, re.S).group(0)
    assert "Webhook URL" not in in_ats
    assert reverse("integrations:webhook", args=["ashby", integration.public_id]) not in in_ats
    assert "JobCannon registers" in in_ats
