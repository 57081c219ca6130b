"""Accessibility crawl: the change page of every registered admin model, as staff
(pages.py says which pages, crawler.py what fails)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_change_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("admin change")
