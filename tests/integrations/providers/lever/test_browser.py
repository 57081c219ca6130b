"""Seed 004 "Step 5: Test in Sandbox", steps 1-6, in Debian Chromium against the built-in Lever
sandbox served by the live server. Queued work (webhook processing, write-back) does not run by
itself in tests, so the test calls those services where the worker would."""

import re

import pytest
from playwright.sync_api import expect

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.providers.lever.provider import LeverProvider
from integrations.services.integrations import integration_create
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from tests.assessments.browser import complete_assessment
from tests.conftest import browser_login
from tests.factories import MembershipFactory, UserFactory


def process_queued_webhooks(integration) -> None:
    for event in WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED).order_by(
        "id"
    ):
        webhook_event_process(event_id=event.pk)


def deliver_queued_writebacks(integration) -> list[WritebackMessage]:
    messages = list(WritebackMessage.objects.filter(integration=integration, status=WritebackStatus.PENDING))
    for message in messages:
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
    return messages


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_seed_004_test_in_sandbox_steps_1_to_6(page):
    user = UserFactory(is_staff=True, is_superuser=True)
    workspace = MembershipFactory(user=user).workspace
    integration = integration_create(
        workspace=workspace,
        provider="lever",
        environment="sandbox",
        auth_kind="api_key",
        region="us",
        created_by=user,
        provider_settings={"use_simulator": True},
    )
    LeverProvider().demo_setup(integration)  # an API key in the sandbox, as `manage.py demo_seed` does
    browser_login(page, user)

    # Connect: the key is checked with real calls to the sandbox, webhooks get registered.
    page.goto(f"/integrations/{integration.pk}/")
    page.get_by_role("button", name="Test credentials now").click()
    expect(page.locator("#integration-status")).to_have_text("Connected")
    expect(page.locator("#lever-webhooks")).to_contain_text("candidateStageChange")

    # Lever sends nothing until a Super Admin switches the webhook groups on (LD "Create a
    # Webhook"); the sandbox's webhooks settings page has the switches.
    page.goto("/sim/lever/settings/webhooks/")
    expect(page.locator(".sim-webhook-sending").first).to_contain_text("switched off")
    page.get_by_label("Application created").check()
    page.get_by_label("Candidate stage change").check()
    page.get_by_role("button", name="Save webhook groups").click()
    expect(page.get_by_label("Candidate stage change")).to_be_checked()
    page.goto(f"/integrations/{integration.pk}/")

    # Seed 004 Step 4: assign an assessment to a pipeline stage (stages read from Lever).
    page.get_by_role("link", name="Stage assessments").click()
    page.get_by_label("Lever stage").select_option(label="On-site interview")
    page.get_by_label("Assessment").select_option(label="Emotional intelligence (EQ)")
    page.get_by_label("Auto-send on stage entry").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#lever-rules-table")).to_contain_text("On-site interview")

    # 1. Create a test opportunity in Lever (Candidates → Add Candidate).
    page.goto("/sim/lever/")
    page.get_by_label("Name").fill("Casey Sandbox")
    page.get_by_label("Email").fill("casey.sandbox@example.com")
    page.get_by_role("button", name="Add Candidate").click()
    expect(page.locator("#sim-opportunity-name")).to_have_text("Casey Sandbox")

    # 2. Advance to a stage with a JobCannon assessment: Lever sends us candidateStageChange.
    page.get_by_label("Advance to stage").select_option(label="On-site interview")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator("#sim-stage-name")).to_have_text("On-site interview")
    expect(page.locator(".sim-deliveries").last).to_contain_text("candidateStageChange")

    # 3. The assessment is triggered automatically (the worker processes the webhook).
    process_queued_webhooks(integration)
    stage_change = WebhookEvent.objects.get(integration=integration, event_type="candidateStageChange")
    assert stage_change.status == WebhookStatus.PROCESSED, stage_change.error

    # 4. Complete the assessment with the test email: the link is in the dev mailbox.
    page.goto("/dev/mailbox/")
    page.locator("tr", has_text="casey.sandbox@example.com").get_by_role("link").first.click()
    link = re.search(r"https?://\S+/a/\S+", page.locator("pre").inner_text()).group(0)
    complete_assessment(page, link)
    [message] = deliver_queued_writebacks(integration)
    assert message.status == WritebackStatus.CONFIRMED, message.last_error

    # 5. Verify feedback form creation: the opportunity in Lever has a new feedback form.
    page.goto("/sim/lever/")
    page.get_by_role("link", name="Casey Sandbox").click()
    feedback = page.locator(".sim-feedback")
    expect(feedback).to_have_count(1)
    expect(feedback).to_contain_text("JobCannon Assessment")
    expect(feedback).to_contain_text("Emotional intelligence (EQ)")
    expect(feedback).to_contain_text("Overall rating")

    # 6. Review logs: the webhook deliveries in JobCannon admin.
    page.goto("/admin/integrations/lever/logs")
    log = page.locator("#webhook-log")
    # Every delivery is signed as Lever signs, in the body (activity lines mention events too).
    stage_change_row = log.locator("tr", has_text="candidateStageChange").filter(has_text="lever-body-token")
    expect(stage_change_row).to_contain_text("Processed")
    expect(
        log.locator("tr", has_text="applicationCreated").filter(has_text="lever-body-token")
    ).to_have_count(1)
    expect(log.locator("tr", has_text="lever-x-signature")).to_have_count(0)
