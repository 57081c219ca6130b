"""Accessibility crawl: the candidate's pages in every state, the shared report and the other pages
reached without an account
(pages.py says which pages, crawler.py what fails)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_candidate_and_signed_out_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("candidate")
