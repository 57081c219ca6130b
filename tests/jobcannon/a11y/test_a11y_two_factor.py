"""Accessibility crawl: the pages of a user with two-factor on (the staff user, TOTP and
recovery codes): signed in, and at the sign-in's code step (pages.py says which pages,
crawler.py what fails)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_factor_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("two-factor")


def test_the_sign_in_code_step_has_no_serious_accessibility_problems(run_crawl):
    run_crawl("two-factor sign-in")
