import re

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_signed_in_admin_sees_dashboard_and_can_open_connect_page(page, user, membership):
    browser_login(page, user)
    # The heading assertions wait for the page: a click returns before the next page has rendered.
    expect(page.get_by_role("heading", name=membership.workspace.name)).to_be_visible()
    page.get_by_role("link", name="Connect an ATS").first.click()
    expect(page).to_have_url(re.compile(r"/integrations/connect/$"))
    expect(page.get_by_role("heading", name="Connect an ATS")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_new_user_signs_up_and_creates_a_workspace(page):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "newadmin@example.com")
    page.fill("input[name=password1]", "a-long-enough-passphrase-42")
    page.fill("input[name=password2]", "a-long-enough-passphrase-42")
    page.click("button[type=submit]")
    page.wait_for_url("**/workspaces/new/")
    page.fill("input[name=name]", "Example Robotics")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Example Robotics")).to_be_visible()
