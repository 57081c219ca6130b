"""Choosing Knit's unified update on the setup page (issue 20): the option says it is unverified,
and it is only saved with an explicit confirmation. Knit publishes the update's path and model but
no request body, so nothing can check what we would send."""

import re

import pytest
from django.urls import reverse

from integrations.providers.knit import constants
from integrations.services.integrations import integration_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def knit_sandbox(workspace, user):
    return integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )


def post_settings(client, integration, **extra):
    data = {"default_instrument": "big5", "package_map": "", "result_mode": "assessment_update", **extra}
    return client.post(
        reverse("integrations:integration-knit:action", args=[integration.pk, "settings"]), data
    )


def test_the_unified_update_option_is_marked_unverified_where_it_is_chosen(client_in_workspace, knit_sandbox):
    page = client_in_workspace.get(reverse("integrations:integration-knit:setup", args=[knit_sandbox.pk]))
    html = page.content.decode()
    option = re.search(r'<input[^>]*value="assessment_update"[^>]*>([^<]*)</label>', html)
    assert option and "(unverified:" in option.group(1)
    assert 'name="confirm_unverified_update"' in html


def test_choosing_the_unified_update_without_confirming_is_a_form_error_and_saves_nothing(
    client_in_workspace, knit_sandbox
):
    response = post_settings(client_in_workspace, knit_sandbox)
    assert response.status_code == 400
    assert "Tick the confirmation to use it" in response.content.decode()
    knit_sandbox.refresh_from_db()
    assert "result_mode" not in (knit_sandbox.provider_settings or {})


def test_a_confirmed_choice_is_saved_with_its_date(client_in_workspace, knit_sandbox):
    response = post_settings(client_in_workspace, knit_sandbox, confirm_unverified_update="on")
    assert response.status_code == 302
    knit_sandbox.refresh_from_db()
    settings = knit_sandbox.provider_settings
    assert settings["result_mode"] == constants.RESULT_MODE_UPDATE
    assert settings[constants.RESULT_MODE_CONFIRMED_AT]
    assert "confirm_unverified_update" not in settings, "a guard, not a setting"


def test_the_passthrough_needs_no_confirmation(client_in_workspace, knit_sandbox):
    response = post_settings(client_in_workspace, knit_sandbox, result_mode="passthrough")
    assert response.status_code == 302
    knit_sandbox.refresh_from_db()
    assert knit_sandbox.provider_settings["result_mode"] == constants.RESULT_MODE_PASSTHROUGH
