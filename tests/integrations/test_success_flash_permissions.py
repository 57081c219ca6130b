"""A successful credentials check whose key still lacks a permission: every success flash names
what is missing (the provider's connected_reason), not only the wizard's. Against the built-in
Ashby sandbox with a key that has neither apiKeysRead nor apiKeysWrite."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus
from integrations.providers.ashby import simulator_state as sim
from tests.integrations.providers.ashby.helpers import sim_integration

# A key made as the old setup guide said: "Candidates read and write" only.
CANDIDATE_ONLY = ["candidatesRead", "candidatesWrite", "jobsRead", "interviewsRead"]


def success_flash(page: str) -> str:
    found = re.findall(r'<li class="msg-success">(.*?)</li>', page, re.S)
    assert found, page
    return re.sub(r"\s+", " ", found[0])


def assert_names_both_permissions(text: str) -> None:
    assert "apiKeysRead" in text and "apiKeysWrite" in text, text


@pytest.fixture
def ashby(simulators, workspace):
    integration, account = sim_integration(workspace=workspace, permissions=CANDIDATE_ONLY)
    return integration, account


@pytest.mark.django_db
def test_a_new_api_key_without_two_permissions_is_saved_with_both_named_in_the_flash(
    client_in_workspace, ashby
):
    integration, account = ashby
    key = sim.api_key_create(account, permissions=CANDIDATE_ONLY)
    page = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "api-key"]), {"api_key": key}, follow=True
    ).content.decode()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    text = success_flash(page)
    assert text.startswith("API key saved and valid. ")
    assert_names_both_permissions(text)


@pytest.mark.django_db
def test_test_credentials_now_names_the_permissions_the_key_lacks(client_in_workspace, ashby):
    integration, _ = ashby
    page = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "test"]), follow=True
    ).content.decode()
    text = success_flash(page)
    assert text.startswith("Credentials valid. ")
    assert_names_both_permissions(text)


@pytest.mark.django_db
def test_the_checklists_test_now_names_the_permissions_the_key_lacks(client_in_workspace, ashby):
    integration, _ = ashby
    page = client_in_workspace.post(
        reverse("integrations:checklist-action", args=[integration.pk, "test"]), follow=True
    ).content.decode()
    text = success_flash(page)
    assert text.startswith("Credentials valid. ")
    assert_names_both_permissions(text)
