"""Accessibility crawl: the staff admin's index and app indexes and our staff pages (logs,
system status, an order's timeline, replay), as staff
(pages.py says which pages, crawler.py what fails)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_index_and_staff_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("admin site")
