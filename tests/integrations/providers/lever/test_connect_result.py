"""The setup page asks for the webhook URL to be pasted into Lever only where the admin adds the
webhooks by hand (a Lever plan without the Webhooks Subscription API); where JobCannon registers
them through POST /webhooks, it says so instead."""

import re

import pytest
from django.urls import reverse

from .helpers import lever_integration

pytestmark = pytest.mark.django_db


def _values_to_paste(client, integration) -> str:
    html = client.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    found = re.search(r"<h3>Values to paste into Lever</h3>\s*<dl class=\"kv\">(.*?)</dl>", html, re.S)
    assert found
    return found.group(1)


def test_webhooks_added_by_hand_in_lever_still_get_the_url_to_paste(client_in_workspace, workspace):
    integration = lever_integration(workspace=workspace, provider_settings={"webhook_setup": "manual"})
    values = _values_to_paste(client_in_workspace, integration)
    assert 'id="webhook-url"' in values
    assert reverse("integrations:webhook", args=["lever", integration.public_id]) in values
    assert "JobCannon registers" not in values


def test_webhooks_jobcannon_registers_in_lever_need_no_url_pasted(client_in_workspace, workspace):
    integration = lever_integration(workspace=workspace)
    values = _values_to_paste(client_in_workspace, integration)
    assert 'id="webhook-url"' not in values
    assert "JobCannon registers its webhooks in Lever" in values
