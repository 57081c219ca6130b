"""Seed 001 "Step 5: Test in Sandbox", steps 1-7, in Debian Chromium against the built-in
SmartRecruiters sandbox served by the live server. Queued work (write-back, webhook processing)
does not run by itself in tests: the test calls those services where the worker would."""

import re

import pytest
from playwright.sync_api import expect

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from tests.assessments.browser import complete_assessment

from .helpers import browser_sandbox_integration

EMAIL = "casey.sandbox@example.com"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_seed_001_test_in_sandbox_steps_1_to_7(page):
    integration = browser_sandbox_integration(page, region="eu", staff=True)

    # Connect: OAuth consent in the sandbox, token exchange, subscription with the X-Hook-Secret
    # handshake, partner API registration, all over real HTTP.
    page.goto(f"/integrations/{integration.pk}/")
    page.get_by_role("button", name="Re-authorize with SmartRecruiters").click()
    expect(page.get_by_role("heading", name=re.compile("Allow access to"))).to_be_visible()
    page.locator("#sim-allow").click()
    expect(page.locator("#integration-status")).to_have_text("Connected")
    expect(page.locator("#sr-subscription-status")).to_have_text("active")
    expect(page.locator("#sr-api-base")).to_contain_text("/sim/smartrecruiters/api")
    # Approving the OAuth app is not SR's consent to JobCannon: setUpIntegration was refused.
    expect(page.locator("#sr-partner-status")).to_have_text("not registered")

    # Apps & Integrations → JobCannon → Connect: SR records the consent and opens our consent
    # page; "Allow" registers the partner API and sends the admin back to SR.
    page.locator("#sr-simulator-link").click()
    page.locator("#sim-apps-connect").click()
    page.locator("#sr-consent-allow").click()
    expect(page.locator("#sim-apps-remove")).to_be_visible()

    # Step 4: Pipeline → Assessment stage → Add Action → Assessment → JobCannon (packages read
    # from our partner API), auto trigger, 7 days, branded email.
    page.get_by_role("link", name="Customer Success Manager").click()
    stage = page.locator("#stage-assessment")
    stage.locator("summary").click()
    stage.get_by_label("JobCannon test").select_option(label="Big Five personality")
    stage.get_by_label("Trigger").select_option("auto")
    stage.get_by_label("Email template").select_option("branded")
    stage.get_by_role("button", name="Save").click()
    expect(page.locator("#stage-assessment")).to_contain_text("JobCannon jobcannon-big5")

    # 1. Create a test candidate in the sandbox.
    page.locator(".card").get_by_role("link", name=re.compile(r"\(sandbox\)")).first.click()
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Sandbox")
    page.get_by_label("Email").fill(EMAIL)
    page.locator("#sim-create-candidate").click()
    expect(page.get_by_role("heading", name=re.compile("Casey Sandbox"))).to_be_visible()

    # 2. Advance to the assessment stage; 3. the auto trigger orders the assessment from us.
    page.get_by_label("Move to stage").select_option("assessment")
    page.locator("#sim-advance").click()
    expect(page.locator("#sim-stage")).to_have_text("Assessment")
    expect(page.locator("#sim-orders")).to_contain_text("partner API 202")

    # 4. The candidate receives the email with the assessment link (dev mailbox, staff only).
    page.goto("/dev/mailbox/")
    page.locator("tr", has_text=EMAIL).get_by_role("link").first.click()
    link = re.search(r"https?://\S+/a/\S+", page.locator("pre").inner_text()).group(0)

    # 5. Complete the assessment in the browser.
    complete_assessment(page, link)

    # The worker's part: deliver the result (to SR's one API host, with the company credentials
    # SR issued at setUpIntegration), process SR's webhooks (the real application events).
    # The result first, then the report PDF (its own outbox row).
    for message in WritebackMessage.objects.filter(integration=integration).order_by("pk"):
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.status == WritebackStatus.CONFIRMED, message.last_error
    message = WritebackMessage.objects.get(integration=integration, kind="assessment.result")
    for event in WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED):
        webhook_event_process(event_id=event.pk)
    moved = WebhookEvent.objects.filter(
        integration=integration, event_type="application.status.updated"
    ).first()
    assert moved.status == WebhookStatus.PROCESSED and moved.signature_scheme == "smartrecruiters-v1"

    # 6. Verify webhook delivery in the JobCannon admin logs.
    # Django admin pages link no icon, so Chromium asks for /favicon.ico (404, a console error).
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto("/admin/integrations/smartrecruiters/logs")
    expect(page.get_by_text("application.status.updated").first).to_be_visible()

    # 7. SmartRecruiters: the scorecard shows the result and the mapped custom fields.
    run = message.run
    page.goto(f"/sim/smartrecruiters/company/co-{integration.public_id.hex[:12]}/")
    page.get_by_role("link", name="Casey Sandbox").click()
    scorecard = page.locator("#sim-scorecard")
    expect(scorecard).to_contain_text(f"{run.result.overall_score}/100")
    expect(scorecard).to_contain_text("Received at /sim/smartrecruiters/api/assessment-api/")
    expect(scorecard.locator(".sim-attachment")).to_contain_text(f"report-{run.pk}.pdf")
    expect(page.locator("#sim-fields")).to_contain_text("JobCannon score")
    expect(page.locator("#sim-orders")).to_contain_text("COMPLETED")
