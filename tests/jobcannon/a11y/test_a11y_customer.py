"""Accessibility crawl: every customer page, as the demo customer (crawler.py says what fails)."""

import pytest

from tests.jobcannon.a11y.pages import customer_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_pages_have_no_serious_accessibility_problems(world, run_crawl):
    run_crawl(world.demo_user, customer_pages(world), "customer")
