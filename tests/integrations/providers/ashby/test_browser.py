"""Seed 000 "Step 5: Test in Sandbox", steps 1-5, in Debian Chromium against the built-in Ashby
simulator served by the live server. Queued work (write-back, webhook processing) does not run
by itself in tests: the test calls those services where the django-q2 worker would."""

import re

import pytest
from playwright.sync_api import expect

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.providers.ashby.provider import AshbyProvider
from integrations.services.integrations import integration_create
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from tests.assessments.browser import complete_assessment
from tests.conftest import browser_login
from tests.factories import MembershipFactory, UserFactory


def deliver_queued_writebacks(integration) -> list[WritebackMessage]:
    messages = list(
        WritebackMessage.objects.filter(integration=integration, status=WritebackStatus.PENDING).order_by(
            "id"
        )
    )
    for message in messages:
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
    return messages


def process_queued_webhooks(integration) -> None:
    for event in WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED).order_by(
        "id"
    ):
        webhook_event_process(event_id=event.pk)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_seed_000_test_in_sandbox_steps_1_to_5(page):
    user = UserFactory(is_staff=True, is_superuser=True)
    workspace = MembershipFactory(user=user).workspace
    integration = integration_create(
        workspace=workspace,
        provider="ashby",
        environment="sandbox",
        auth_kind="api_key",
        created_by=user,
        provider_settings={"use_simulator": True},
    )
    AshbyProvider().demo_setup(integration)  # as `manage.py demo_seed` does: no HTTP
    # Django admin pages carry no <link rel=icon>, so Chromium asks for /favicon.ico (a 404 the
    # page fixture would report as a console error); it is not part of what this test checks.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    browser_login(page, user)

    # Connect: apiKey.info and webhook.create are real calls to the simulated Ashby.
    page.goto(f"/integrations/{integration.pk}/")
    page.get_by_role("button", name="Test credentials now").click()
    expect(page.locator("#integration-status")).to_have_text("Connected")
    # Ashby's own webhook type, with the setup guide's name beside it.
    expect(page.locator("#ashby-webhooks")).to_contain_text("applicationSubmit")
    expect(page.locator("#ashby-webhooks")).to_contain_text("candidate.created")

    # 1. Create a test candidate in Ashby (Settings → Sandbox Candidates).
    page.get_by_role("link", name="open the simulated Ashby").click()
    page.locator("#sim-accounts a").first.click()
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Sandbox")
    page.get_by_label("Email").fill("robin.sandbox@example.com")
    page.get_by_role("button", name="Create test candidate").click()
    expect(page.locator("#candidate-name")).to_have_text("Robin Sandbox")

    # 2. Trigger a JobCannon assessment via the candidate profile: Ashby calls our assessment.start.
    page.get_by_label("Assessment").select_option(label="Big Five personality")
    page.get_by_role("button", name="Send JobCannon assessment").click()
    expect(page.locator(".messages")).to_contain_text("JobCannon assessment started")
    expect(page.locator(".sim-assessment .sim-status")).to_have_text("Invited")

    # 3. Complete the assessment in a browser: the link is in the dev mailbox.
    page.goto("/dev/mailbox/")
    page.locator("tr", has_text="robin.sandbox@example.com").get_by_role("link").first.click()
    link = re.search(r"https?://\S+/a/\S+", page.locator("pre").inner_text()).group(0)
    complete_assessment(page, link)
    delivered = deliver_queued_writebacks(integration)
    assert [m.status for m in delivered] == [WritebackStatus.DELIVERED] * 3, [m.last_error for m in delivered]

    # 4. Verify webhook delivery in /admin/integrations/ashby/logs: Ashby has no
    # assessment-completed webhook type, so what arrives is the applicationSubmit the new
    # candidate caused (the setup guide's candidate.created).
    process_queued_webhooks(integration)
    page.goto("/admin/integrations/ashby/logs")
    row = page.locator("#webhook-log tr", has_text="applicationSubmit")
    expect(row).to_contain_text("Processed")
    expect(row).to_contain_text("ashby-signature-sha256")

    # 5. Confirm scorecard update: the candidate's scorecard in Ashby shows the result.
    page.goto("/sim/ashby/")
    page.locator("#sim-accounts a").first.click()
    page.get_by_role("link", name="Robin Sandbox").click()
    assessment = page.locator(".sim-assessment")
    expect(assessment.locator(".sim-status")).to_have_text("Completed")
    expect(assessment.locator(".sim-scorecard")).to_contain_text("Max Score")
    expect(assessment.locator(".sim-score")).to_have_text(re.compile(r"^\d+$"))
    expect(assessment.locator(".sim-timeline")).to_contain_text("Started")
    expect(page.locator(".sim-note")).to_contain_text("JobCannon Big Five")
