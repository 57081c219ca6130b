"""The console in Debian Chromium: connect through the wizard (every provider whose simulator is
ready, plus the console sandbox), drive the checklist to all-green, find a rejected webhook by
its reason, re-authorize through a reconnect link after a forced 401 and watch the failed
write-back go through. Background work (webhook processing, write-back delivery) is called
explicitly, as a worker would; nothing runs by itself."""

from __future__ import annotations

import re
import time

import pytest
import requests
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.registry import get_providers
from integrations.services.checklist_actions import checklist_action_run
from jobcannon.core.models import SentEmail
from tests.conftest import browser_login
from tests.integrations.console import sandbox
from tests.integrations.console.helpers import deliver_writebacks, process_webhooks, sim_integration

CONSENT = re.compile(r"^(Approve|Allow|Authorize|Accept)\b")
NARROW = {"width": 375, "height": 812}


def assert_fits(page, width: int | None = None) -> None:
    width = width or page.viewport_size["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if overflow > width:
        wide = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""",
            width,
        )
        raise AssertionError(f"{page.url} is {overflow}px wide at {width}px: {wide}")


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def visible_providers() -> list[str]:
    return [key for key, p in get_providers().items() if not p.hidden] + [sandbox.KEY]


def connect_through_the_wizard(page, provider) -> None:
    """Wizard steps 1-3 for a sandbox on the built-in simulator, ending connected."""
    page.goto("/integrations/connect/")
    page.get_by_role("link", name=f"Connect {provider.name}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Connect {provider.name}", exact=True)).to_be_visible()
    assert_fits(page)
    page.get_by_role("radio", name="Sandbox").check()
    if provider.regions:
        page.locator(f"input[name=region][value={provider.regions[0]}]").check()
    auth = provider.auth_kinds[0]
    page.locator(f"input[name=auth_kind][value={auth}]").check()
    page.get_by_label(re.compile("built-in simulator")).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Step 2 · In " + provider.name)).to_be_visible()
    if provider.webhook_registration == "api":  # nothing to paste: JobCannon registers them (setup.html)
        expect(page.locator("#webhooks-registered-by-jobcannon")).to_contain_text("JobCannon registers")
    else:
        expect(page.locator("#webhook-url")).to_contain_text(f"/webhooks/{provider.key}/")
    assert_fits(page)
    page.get_by_role("button", name="Get sandbox credentials from the simulator").click()
    expect(page.locator(".messages")).to_contain_text("simulator issued sandbox credentials")
    if auth == "oauth2":
        page.get_by_role("button", name=f"Authorize with {provider.name}").click()
        page.get_by_role("button", name=CONSENT).click()
    else:
        page.get_by_role("button", name="Connect and test").click()
    expect(page.locator("#connected-status")).to_contain_text("Connected")
    expect(page.locator("#check-credentials")).to_have_attribute("data-state", "ok")
    assert_fits(page)


def ready_provider(request, settings, provider_key: str):
    if provider_key == sandbox.KEY:
        request.getfixturevalue("consolesim")
    provider = get_providers()[provider_key]
    if not (settings.ATS_SIMULATORS_ENABLED and provider.simulator_urls()):
        pytest.skip(f"{provider.name}: its built-in simulator is not ready yet")
    return provider


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider_key", visible_providers())
def test_wizard_connects_a_sandbox_on_the_simulator(page, user, membership, settings, request, provider_key):
    provider = ready_provider(request, settings, provider_key)
    page.set_viewport_size(NARROW)
    browser_login(page, user)
    connect_through_the_wizard(page, provider)


def work_the_queue(provider_key: str) -> None:
    """What the django-q2 workers would do meanwhile: process deliveries, send write-backs."""
    from integrations.models import Integration

    for integration in Integration.objects.filter(provider=provider_key):
        process_webhooks(integration)
        deliver_writebacks(integration)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider_key", visible_providers())
def test_each_providers_simulator_drives_the_checklist_to_all_green(
    page, user, membership, settings, request, provider_key
):
    from integrations.services.checklist import provider_supports

    provider = ready_provider(request, settings, provider_key)
    missing = [h for h in ("send_test_webhook", "send_test_assessment") if not provider_supports(provider, h)]
    if missing:
        pytest.skip(f"{provider.name}: simulator hooks not implemented yet: {', '.join(missing)}")
    settings.INTEGRATIONS_CONSOLE_POLL_SECONDS = 1
    browser_login(page, user)
    connect_through_the_wizard(page, provider)

    def press(button: str) -> None:
        page.locator("#checklist").get_by_role("button", name=button).click()
        expect(page.locator("#checklist-flash")).to_be_visible()
        flash = page.locator("#checklist-flash").inner_text()
        assert "could not" not in flash.lower(), flash

    def until_green(key: str) -> None:
        state = ""
        for _ in range(40):
            work_the_queue(provider.key)
            state = page.locator(f"#check-{key}").get_attribute("data-state") or ""
            if state == "ok":
                return
            page.wait_for_timeout(500)
        detail = page.locator(f"#check-{key}").inner_text()
        raise AssertionError(f"{provider.name}: {key} stayed {state}: {detail}")

    for key in ("credentials", "scopes"):
        until_green(key)
    if provider.key == "smartrecruiters":
        # Approving the OAuth app is not SR's consent to JobCannon: the checklist says to connect
        # JobCannon in SR's Apps & Integrations, which opens our consent page.
        expect(page.locator("#check-smartrecruiters_partner")).to_contain_text(
            "Open the SmartRecruiters sandbox"
        )
        from integrations.models import Integration

        console = page.url
        page.goto(f"/integrations/{Integration.objects.get(provider=provider.key).pk}/")
        page.locator("#sr-simulator-link").click()
        page.locator("#sim-apps-connect").click()
        page.locator("#sr-consent-allow").click()
        expect(page.locator("#sim-apps-remove")).to_be_visible()
        page.goto(console)
        until_green("smartrecruiters_partner")
    if provider.key == "lever":
        # Lever sends nothing until a Super Admin switches the webhook groups on (even for the
        # webhooks JobCannon registered through the API): the sandbox's webhooks page has them.
        console = page.url
        page.goto("/sim/lever/settings/webhooks/")
        for switch in page.locator("#sim-webhook-groups input[type=checkbox]").all():
            switch.check()
        page.get_by_role("button", name="Save webhook groups").click()
        expect(page.locator(".sim-webhook-sending").first).to_contain_text("yes")
        page.goto(console)
    press("Send a test webhook")
    until_green("webhook_received")
    until_green("webhooks")  # registered through the API, or proven by that verified delivery
    press("Send a test assessment")
    until_green("test_assessment")
    press("Complete with sample answers")
    until_green("writeback")
    expect(page.locator("#checklist-all-green")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_checklist_goes_all_green_with_the_simulator(consolesim, page, user, membership):
    browser_login(page, user)
    page.goto(reverse("integrations:wizard", args=[sandbox.KEY]))
    page.locator("input[name=auth_kind][value=oauth2]").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Get sandbox credentials from the simulator").click()
    page.get_by_role("button", name="Authorize with Console Sim ATS").click()
    expect(page.get_by_role("heading", name=re.compile("Allow JobCannon"))).to_be_visible()
    page.get_by_role("button", name="Approve").click()

    checklist = page.locator("#checklist")
    for key in ("credentials", "scopes", "webhooks"):
        expect(checklist.locator(f"#check-{key}")).to_have_attribute("data-state", "ok")
    expect(checklist.locator("#check-scopes")).to_contain_text("candidates:read, results:write")

    checklist.get_by_role("button", name="Send a test webhook").click()
    expect(page.locator("#checklist-flash")).to_contain_text("answered 200")
    expect(page.locator("#check-webhook_received")).to_have_attribute("data-state", "ok")

    page.locator("#checklist").get_by_role("button", name="Send a test assessment").click()
    expect(page.locator("#checklist-flash")).to_contain_text("ordered a test assessment")
    integration = wait_for(
        lambda: WebhookEvent.objects.filter(event_type="assessment.requested").first()
    ).integration
    process_webhooks(integration)  # the worker's job
    expect(page.locator("#check-test_assessment")).to_have_attribute("data-state", "ok")  # by polling

    page.locator("#checklist").get_by_role("button", name="Complete with sample answers").click()
    expect(page.locator("#check-writeback")).to_contain_text("Queued")
    deliver_writebacks(integration)  # the worker's job
    expect(page.locator("#checklist-all-green")).to_be_visible()
    expect(page.locator("#checklist .check[data-state=ok]")).to_have_count(6)
    assert page.locator("#checklist").get_attribute("hx-trigger") is None  # polling stops when green


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_finds_a_rejected_webhook_by_its_reason(consolesim, page, user, membership, live_server):
    integration = sim_integration(workspace=membership.workspace, connect=False)
    url = live_server.url + reverse("integrations:webhook", args=[sandbox.KEY, integration.public_id])
    response = requests.post(
        url, data=b'{"type":"ping","id":"p-1"}', headers={"X-Sim-Signature": "sha256=00"}, timeout=10
    )
    assert response.status_code == 401
    requests.post(url, data=b'{"type":"ping","id":"p-2"}', timeout=10)  # a second rejection, another reason

    browser_login(page, user)
    page.goto(reverse("integrations:logs", args=[integration.pk]))
    page.get_by_label("Search").fill("wrong secret")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.log tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Signature does not match")
    rows.first.get_by_role("link").click()
    expect(page.locator("#rejection-reason")).to_contain_text(
        "wrong secret, or the body changed after signing"
    )
    expect(page.get_by_text("How to fix: Webhook signature validation failed")).to_be_visible()
    expect(page.locator("#event-status")).to_have_text("Rejected")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reconnect_link_after_a_forced_401_lets_the_failed_write_back_through(
    consolesim, page, user, membership, request, live_base_url
):
    workspace = membership.workspace
    integration = sim_integration(workspace=workspace, user=user)
    checklist_action_run(integration=integration, action="assessment")
    process_webhooks(integration)
    run = integration.runs.get()
    sandbox.api_key_revoke(integration.credential("api_key"))  # the ATS now answers 401
    checklist_action_run(integration=integration, action="complete")
    deliver_writebacks(integration)
    message = WritebackMessage.objects.get(run=run)
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert SentEmail.objects.filter(subject__startswith="Action needed", to__contains=user.email).exists()

    browser_login(page, user)
    banner = page.locator(f"#banner-{integration.pk}")
    expect(banner).to_contain_text("needs re-authorization")
    banner.get_by_role("link", name="Send a reconnect link to your ATS admin").click()
    page.get_by_role("button", name="Create a reconnect link").click()
    link = page.locator("#reconnect-link").inner_text()
    assert "/reconnect/" in link

    # The customer's ATS admin, without a JobCannon account, in another browser.
    browser = request.getfixturevalue("_playwright_browser")
    context = browser.new_context(base_url=live_base_url, viewport=NARROW)
    other = context.new_page()
    errors: list[str] = []
    other.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    other.goto(link)
    expect(other.get_by_role("heading", name="Reconnect Console Sim ATS to JobCannon")).to_be_visible()
    assert_fits(other)
    other.get_by_label("Console Sim ATS API key").fill("still-wrong")
    other.get_by_role("button", name="Save and test").click()
    expect(other.locator("#reconnect-error")).to_contain_text("Invalid API key")
    other.get_by_label("Console Sim ATS API key").fill(sandbox.api_key_register())
    other.get_by_role("button", name="Save and test").click()
    expect(other.get_by_role("heading", name="Console Sim ATS is reconnected")).to_be_visible()
    assert not errors, errors
    other.goto(link)  # answered 410 Gone on purpose: the browser logs that one
    expect(other.locator("#reconnect-invalid")).to_contain_text("already used")
    context.close()

    # Back in the console: the timeline shows the write-back waiting, then going through.
    page.goto(reverse("integrations:run-timeline", args=[run.pk]))
    status = page.locator(f"#writeback-{message.pk} [data-writeback-status]")
    expect(status).to_have_attribute("data-writeback-status", "pending")
    deliver_writebacks(integration)  # the worker's job, after the resume
    expect(status).to_have_attribute("data-writeback-status", "confirmed")  # by polling
    expect(page.locator("#timeline")).to_contain_text("Console Sim ATS acknowledged result")
    assert sandbox.results()[-1]["run"] == run.pk
    assert SentEmail.objects.filter(subject__startswith="Resolved").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_console_pages_render_without_errors_and_fit_375_px(consolesim, page, user, membership):
    integration = sim_integration(workspace=membership.workspace, user=user)
    checklist_action_run(integration=integration, action="assessment")
    process_webhooks(integration)
    run = integration.runs.get()
    event = WebhookEvent.objects.filter(integration=integration).first()
    WebhookEvent.objects.create(
        provider=sandbox.KEY, integration=integration, body=b"{}", status=WebhookStatus.REJECTED,
        rejection_reason="Signature does not match: wrong secret, or the body changed after signing. " * 3,
    )  # fmt: skip
    page.set_viewport_size(NARROW)
    browser_login(page, user)
    pages = [
        reverse("workspaces:dashboard"),
        reverse("workspaces:team"),
        reverse("integrations:list"),
        reverse("integrations:connect"),
        reverse("integrations:wizard", args=[sandbox.KEY]),
        reverse("integrations:detail", args=[integration.pk]),
        reverse("integrations:setup", args=[integration.pk]),
        reverse("integrations:checklist", args=[integration.pk]),
        reverse("integrations:logs", args=[integration.pk]),
        reverse("integrations:webhook-event", args=[integration.pk, event.pk]),
        reverse("integrations:runs", args=[integration.pk]),
        reverse("integrations:run-timeline", args=[run.pk]),
    ]
    for path in pages:
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_fits(page)
    page.goto(reverse("integrations:detail", args=[integration.pk]))
    page.get_by_role("button", name="Copy webhook URL").click()
    expect(page.get_by_role("button", name="Copy webhook URL")).to_have_text(re.compile("Copied|Press Ctrl"))
