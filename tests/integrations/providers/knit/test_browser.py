"""End to end in Chromium: set up Knit, hand the secrets to "Ashby", Ashby starts an assessment
through the Knit simulator, the candidate takes it, the result reaches Knit; a cancel from Ashby
cancels a second run. Queued work (webhook processing, write-back delivery) is run by hand."""

import re

import pytest
import requests
from playwright.sync_api import expect

from assessments.models import AssessmentRun, RunStatus
from assessments.services.runs import candidate_url
from integrations.models import (
    IntegrationActivity,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.integrations import integration_create
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from tests.assessments.browser import complete_assessment
from tests.conftest import browser_login


def process_webhooks(integration) -> list[WebhookEvent]:
    events = list(WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED))
    return [webhook_event_process(event_id=e.pk) for e in events]


def deliver_writebacks(integration) -> None:
    for message in WritebackMessage.objects.filter(integration=integration, status=WritebackStatus.PENDING):
        writeback_deliver(message_id=message.pk)


def copy(page, button_selector: str) -> str:
    page.locator(button_selector).click()
    expect(page.locator(button_selector)).to_have_text("Copied")
    return page.evaluate("navigator.clipboard.readText()")


def ashby_starts(page, secret_key: str, base_url: str, email: str) -> str:
    page.goto("/sim/knit/ashby/")
    page.fill("#secret_key", secret_key)
    page.fill("#base_url", base_url)
    page.fill("#email", email)
    page.get_by_role("button", name="Start assessment").click()
    message = page.locator(".messages li").first
    expect(message).to_contain_text("assessment.start → record.new")
    expect(message).to_contain_text("JobCannon answered 200")
    return re.search(r"ats_ass_\w+", message.inner_text()).group(0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_knit_setup_record_new_result_submission_and_record_deleted(page, user, workspace, live_base_url):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_base_url)
    integration = integration_create(
        workspace=workspace, provider="knit", environment="sandbox", auth_kind="api_key", created_by=user
    )

    # Knit's dashboard (simulated): a sandbox account with its API key and integration id.
    page.goto("/sim/knit/")
    page.fill("#sim-label", "Acme (Ashby)")
    page.get_by_role("button", name="Create sandbox Knit account").click()
    api_key = page.locator(".sim-api-key").first.inner_text().strip()
    integration_id = page.locator(".sim-integration-id").first.inner_text().strip()

    # JobCannon: the customer enters both; we check them live and create Ashby's secrets.
    browser_login(page, user)
    page.goto(f"/integrations/{integration.pk}/knit/setup/")
    page.fill("#id_api_key", api_key)
    page.fill("#id_integration_id", integration_id)
    page.check("#id_use_simulator")
    page.get_by_role("button", name="Save and check with Knit").click()
    expect(page.locator("#integration-status")).to_have_text("Connected")
    expect(page.locator("#secret-active")).to_contain_text("In use")

    secret_key = copy(page, "[data-knit-copy=secret-key-active]")
    base_url = copy(page, "[data-knit-copy=base-url-active]")
    webhook_url = copy(page, "[data-knit-copy=knit-webhook-url]")
    assert secret_key.startswith("knit_ashby_") and "/sim/knit/workflows/webhook/ashby/" in base_url
    assert webhook_url.endswith(f"/webhooks/knit/{integration.public_id}/")

    # Back in Knit's dashboard: register our webhook URL for the ATS category.
    page.goto("/sim/knit/")
    page.locator(".sim-account").first.locator("input[name=webhook_url]").fill(webhook_url)
    page.locator(".sim-account").first.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Knit account settings saved")

    # Ashby starts an assessment through Knit: a signed record.new reaches JobCannon.
    first_id = ashby_starts(page, secret_key, base_url, "alex.chen@example.com")
    [event] = process_webhooks(integration)
    assert event.status == WebhookStatus.PROCESSED, event.error
    run = AssessmentRun.objects.get(integration=integration, external_assessment_id=first_id)
    assert run.status == RunStatus.INVITED and run.candidate_first_name == "Alex"

    # The candidate takes the test in the browser; the outbox delivers the result to Knit.
    complete_assessment(page, candidate_url(run=run))
    deliver_writebacks(integration)
    run.refresh_from_db()
    assert run.status == RunStatus.DELIVERED

    page.goto("/sim/knit/submissions/")
    completed = page.locator(f".sim-submission[data-assessment-id={first_id}]").filter(has_text="COMPLETED")
    expect(completed).to_have_count(1)
    expect(completed).to_contain_text("assessment_result")  # Ashby's field, through the passthrough
    expect(completed).to_contain_text("numeric_score")

    # A second assessment, cancelled in Ashby: record.deleted cancels the run, the link is revoked.
    second_id = ashby_starts(page, secret_key, base_url, "jordan.lee@example.com")
    process_webhooks(integration)
    second = AssessmentRun.objects.get(integration=integration, external_assessment_id=second_id)
    link = candidate_url(run=second)
    assert requests.get(link, timeout=10).status_code == 200
    page.locator(f".sim-assessment[data-assessment-id={second_id}]").get_by_role(
        "button", name=re.compile("Cancel")
    ).click()
    expect(page.locator(".messages li").first).to_contain_text("assessment.cancel → record.deleted")
    [cancel_event] = process_webhooks(integration)
    assert cancel_event.event_type == "record.deleted" and cancel_event.status == WebhookStatus.PROCESSED
    second.refresh_from_db()
    assert second.status == RunStatus.CANCELLED
    assert requests.get(link, timeout=10).status_code == 410
    expect(page.locator(f".sim-assessment[data-assessment-id={second_id}] .sim-status")).to_have_text(
        "CANCELLED"
    )

    # Both are in the integration's customer-visible activity log.
    kinds = set(IntegrationActivity.objects.filter(integration=integration).values_list("kind", flat=True))
    assert {"knit.secrets_created", "knit.assessment_started", "knit.assessment_cancelled"} <= kinds
