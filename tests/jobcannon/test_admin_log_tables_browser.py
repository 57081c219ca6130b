"""The staff logs' table in Debian Chromium: on a desktop it fits the page's content box, long
event names, ids, signature schemes and errors wrapping in their cells; on a phone it scrolls
sideways inside a box of its own, which a keyboard user can reach and a screen reader names,
and the page itself does not scroll sideways."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import WebhookEvent, WebhookStatus
from tests.factories import IntegrationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UUID = "5f17911d-eef0-47b2-8424-4468c74090c6"

# Where the table ends and where its box ends, and every cell that runs past the box.
MEASURE = """() => {
  const table = document.querySelector('#webhook-log'), box = table.parentElement;
  const right = box.getBoundingClientRect().right;
  return {
    table: Math.round(table.getBoundingClientRect().width), box: box.clientWidth,
    boxScrolls: box.scrollWidth > box.clientWidth, page: document.documentElement.scrollWidth,
    past: [...table.querySelectorAll('th, td')].filter(c => c.getBoundingClientRect().right > right + 0.5)
      .map(c => c.innerText.slice(0, 40)),
  };
}"""


@pytest.fixture
def logs_url(live_base_url, page, settings):
    """The SmartRecruiters logs, with deliveries as the crawl's page shows them, seen by staff."""
    integration = IntegrationFactory(provider="smartrecruiters")
    for event_type, external_id, scheme, error in (
        ("application.created", UUID, "smartrecruiters-v1", f"id {UUID}"),
        (
            "assessment_order.status_changed",
            "evt-smartrecruiters-1",
            "x-hook-secret",
            "KeyError: 'candidate'",
        ),
    ):
        WebhookEvent.objects.create(
            provider="smartrecruiters",
            integration=integration,
            body=b"{}",
            status=WebhookStatus.FAILED,
            verified=True,
            event_type=event_type,
            external_id=external_id,
            signature_scheme=scheme,
            error=error,
        )
    WebhookEvent.objects.create(
        provider="smartrecruiters",
        integration=integration,
        body=b"{}",
        status=WebhookStatus.REJECTED,
        rejection_reason="The signature does not match the body (wrong secret?).",
    )
    staff = UserFactory(username="staff-logs", is_staff=True, is_superuser=True)
    settings.MFA_REQUIRED_FOR_STAFF = False  # the page's layout is under test, not the sign-in
    client = Client()
    client.force_login(staff)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_base_url}])
    return reverse("admin-integration-logs", args=["smartrecruiters"])


def test_the_staff_logs_table_fits_its_box_on_a_desktop(page, logs_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(logs_url)

    seen = page.evaluate(MEASURE)
    assert seen["table"] <= seen["box"] and seen["past"] == [], seen
    assert not seen["boxScrolls"] and seen["page"] <= 1280, seen


def test_the_staff_logs_table_scrolls_in_a_named_focusable_box_on_a_phone(page, logs_url):
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(logs_url)

    seen = page.evaluate(MEASURE)
    assert seen["boxScrolls"] and seen["page"] <= 375, seen
    # A region named by the table's heading, in the tab order.
    region = page.get_by_role("region", name="Webhook deliveries")
    expect(region.locator("#webhook-log")).to_contain_text(UUID)
    assert region.get_attribute("tabindex") == "0"
