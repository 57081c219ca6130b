"""Accessibility crawl: the candidate's pages in every state, the shared report and the other
pages reached without an account (crawler.py says what fails)."""

import pytest

from tests.jobcannon.a11y.pages import candidate_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_candidate_and_signed_out_pages_have_no_serious_accessibility_problems(world, run_crawl):
    run_crawl(None, candidate_pages(world), "candidate")
