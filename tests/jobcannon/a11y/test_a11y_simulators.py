"""Accessibility crawl: the built-in sandbox ATSs' pages the demo customer clicks through, as
the demo customer (pages.py says which pages, crawler.py what fails)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_simulator_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("simulators")
