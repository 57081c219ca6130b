"""Accessibility crawl: the add and change page of every registered admin model, as staff
(crawler.py says what fails)."""

import pytest

from tests.jobcannon.a11y.pages import admin_form_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_forms_have_no_serious_accessibility_problems(world, run_crawl):
    run_crawl(world.staff_user, admin_form_pages(world), "admin forms")
