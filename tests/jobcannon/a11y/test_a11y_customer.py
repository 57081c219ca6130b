"""Accessibility crawl: every customer page, as the demo customer
(pages.py says which pages, crawler.py what fails)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("customer")
