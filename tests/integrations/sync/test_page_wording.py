"""What the Data sync page promises about a provider's sync: an incremental read and webhook
refreshes only where the provider has them (ATSProvider.sync_incremental,
sync_refreshed_by_webhooks). Knit reads everything on every run and refreshes nothing between runs."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus
from tests.factories import IntegrationFactory


def page_text(client, integration, **post) -> str:
    url = reverse("sync:runs", args=[integration.pk])
    response = client.post(url, post) if post else client.get(url)
    assert response.status_code == (400 if post else 200)
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(htmllib.unescape(text).split())


def knit_integration(workspace):
    return IntegrationFactory(
        workspace=workspace,
        provider="knit",
        status=IntegrationStatus.CONNECTED,
        credentials={"api_key": "knit_page_test_key_0001", "integration_id": "int_page_test"},
    )


@pytest.mark.django_db
def test_knit_page_says_every_run_reads_everything_and_nothing_refreshes_in_between(
    client_in_workspace, workspace
):
    text = page_text(client_in_workspace, knit_integration(workspace))

    assert "copied from Ashby via Knit every 30 minutes" in text
    assert "every run reads everything (Knit offers no change filter for Ashby)" in text
    assert "no webhook updates the copy between runs" in text
    assert "since the last checkpoint" not in text
    assert "webhooks refresh" not in text and "webhooks update" not in text
    # The interval's help text says the same.
    assert "15 to 60 minutes; between runs the copy is as fresh as the last run." in text


@pytest.mark.django_db
def test_knit_interval_help_text_is_kept_when_the_form_is_refused(client_in_workspace, workspace):
    text = page_text(client_in_workspace, knit_integration(workspace), enabled="on", interval_minutes="1")

    assert "between runs the copy is as fresh as the last run" in text
    assert "webhooks update" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ["ashby", "lever", "smartrecruiters"])
def test_incremental_providers_page_says_changes_only_and_webhook_refreshes(
    client_in_workspace, workspace, provider
):
    integration = IntegrationFactory(workspace=workspace, provider=provider)

    text = page_text(client_in_workspace, integration)

    assert "only what changed since the last checkpoint" in text
    assert "webhooks refresh single records in between" in text
    assert "reads everything" not in text
    assert "minutes; webhooks update single records in between." in text
