"""Accessibility crawl: the staff admin's index, app indexes, every model's list and our staff
pages (logs, system status, order timeline), as staff (crawler.py says what fails)."""

import pytest

from tests.jobcannon.a11y.pages import admin_list_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_lists_have_no_serious_accessibility_problems(world, run_crawl):
    run_crawl(world.staff_user, admin_list_pages(world), "admin lists")
