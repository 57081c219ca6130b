"""A customer opens the data-sync page of their Ashby sandbox in Chromium: what is synced, the
runs (one broken on page 2 and continued), and a run's calls with Ashby's request ids."""

import pytest
from playwright.sync_api import expect

from integrations.models import IntegrationStatus
from integrations.providers.ashby.provider import AshbyProvider
from integrations.services.integrations import integration_create
from integrations.sync import simulator as faults
from integrations.sync.services import sync_integration, sync_run_start
from tests.conftest import browser_login
from tests.factories import MembershipFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_reads_sync_runs_and_the_request_ids_of_a_broken_page(page):
    user = UserFactory()
    workspace = MembershipFactory(user=user).workspace
    integration = integration_create(
        workspace=workspace,
        provider="ashby",
        environment="sandbox",
        auth_kind="api_key",
        created_by=user,
        provider_settings={"use_simulator": True},
    )
    AshbyProvider().demo_setup(integration)  # seeds the simulated Ashby with jobs and candidates
    integration.refresh_from_db()
    integration.status = IntegrationStatus.CONNECTED
    integration.provider_settings = {**integration.provider_settings, "sync_page_size": 2}
    integration.save()
    sync_integration(integration=integration)  # real HTTP to the simulator on the live server
    faults.fault_set("ashby", "candidate.list", page=2)
    broken = sync_run_start(integration=integration, resource="candidates", full=True)
    resumed = sync_run_start(integration=integration, resource="candidates", full=True)
    assert resumed.pk == broken.pk

    browser_login(page, user)
    page.goto(f"/integrations/{integration.pk}/")
    page.locator("#ashby-sync-link").click()

    overview = page.locator("#sync-overview")
    expect(overview).to_contain_text("Candidates")
    expect(overview.locator("tr", has_text="Candidates")).to_contain_text("5")
    runs = page.locator("#sync-runs")
    expect(runs).to_contain_text("Succeeded")
    expect(runs.locator("tr", has_text="2 attempts")).to_contain_text("Ashby failed (503)")

    page.get_by_label("Data").select_option("candidates")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#sync-runs tbody tr")).to_have_count(2)

    runs.locator("tr", has_text="2 attempts").get_by_role("link").click()
    expect(page.locator("#run-status")).to_have_text("Succeeded")
    expect(page.locator("#run-errors")).to_contain_text(broken.last_error["request_id"])
    expect(page.locator("#run-calls")).to_contain_text("candidate.list")
    expect(page.locator("#run-checkpoint code")).not_to_be_empty()
