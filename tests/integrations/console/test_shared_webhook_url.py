"""The integration page says when the seeds' shared webhook URL (/<provider>/webhooks) cannot match
this integration: only the first WEBHOOK_HINTLESS_MAX_CANDIDATES integrations of a provider are
tried there (integrations/services/webhook_sources.py), and the rejection reason of a delivery
for a later one is on a row no customer sees. The page points at the integration's own URL."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from integrations.models import IntegrationStatus
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

NOTICE = 'id="shared-url-notice"'


def detail(client, integration) -> str:
    response = client.get(reverse("integrations:detail", args=[integration.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_integration_beyond_the_shared_urls_candidates_is_told_to_use_its_own_url(
    client_in_workspace, workspace, settings
):
    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 2
    IntegrationFactory(), IntegrationFactory()  # older, in other workspaces: they hold the places
    mine = IntegrationFactory(workspace=workspace)

    page = detail(client_in_workspace, mine)

    start = page.index(f'<div class="banner warn" {NOTICE}>')  # the attention banner's markup
    notice = page[start : page.index("</div>", start)]
    own = f"{django_settings.JOBCANNON_BASE_URL}/webhooks/fake/{mine.public_id}/"
    shared = f"{django_settings.JOBCANNON_BASE_URL}/fake/webhooks"
    assert f"<code>{shared}</code>" in notice and "not matched to this integration" in notice
    assert f"<code>{own}</code>" in notice


def test_an_integration_among_the_candidates_gets_no_notice_and_a_freed_place_is_taken(
    client_in_workspace, workspace, settings
):
    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 2
    older = IntegrationFactory()
    mine = IntegrationFactory(workspace=workspace)
    newer = IntegrationFactory(workspace=workspace, environment="production")
    assert NOTICE not in detail(client_in_workspace, mine)
    assert NOTICE in detail(client_in_workspace, newer)

    older.status = IntegrationStatus.DISCONNECTED
    older.save()

    assert NOTICE not in detail(client_in_workspace, newer)


def test_a_disconnected_integration_gets_the_disconnected_banner_not_this_notice(
    client_in_workspace, workspace, settings
):
    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 1
    IntegrationFactory()
    mine = IntegrationFactory(workspace=workspace, status=IntegrationStatus.DISCONNECTED)
    page = detail(client_in_workspace, mine)
    assert NOTICE not in page and "is disconnected." in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_notice_passes_the_a11y_crawl(_playwright_browser, live_base_url, user, workspace, settings):
    """The notice is the attention banner's markup: axe finds nothing on the page at any width."""
    from tests.jobcannon.a11y.crawler import crawl, signed_in_context
    from tests.jobcannon.a11y.pages import PageSpec

    settings.WEBHOOK_HINTLESS_MAX_CANDIDATES = 1
    IntegrationFactory()
    mine = IntegrationFactory(workspace=workspace)
    url = reverse("integrations:detail", args=[mine.pk])
    context = signed_in_context(_playwright_browser, live_base_url, user)
    try:
        tab = context.new_page()
        tab.goto(url)
        assert tab.locator("#shared-url-notice").is_visible()
        tab.close()
        report = crawl(context, [PageSpec(label="beyond the shared URL's candidates", url=url)])
    finally:
        context.close()
    assert report.pages == 1 and report.problems == []
