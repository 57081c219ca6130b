"""Accessibility crawl: the delete confirmation page of every registered admin model's object
that staff may delete, as staff; the admin refuses the others (pages.py says which pages,
crawler.py what fails)."""

import pytest
from django.contrib import admin
from django.test import Client

from tests.jobcannon.a11y.pages import admin_delete_urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_delete_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("admin delete")


def test_the_delete_page_of_an_object_staff_may_not_delete_answers_403_not_a_page(world):
    """Not crawled, because there is no page to check: the admin answers 403 with the site's error page."""
    pages, refused = admin_delete_urls(world)
    assert len(pages) + len(refused) == len(admin.site._registry)
    assert refused, "some admin models keep their rows (audit, sync state): their delete is refused"
    client = Client(raise_request_exception=False)
    client.force_login(world.staff_user)
    answers = {url: client.get(url) for url in refused}
    assert {url: r.status_code for url, r in answers.items()} == dict.fromkeys(refused, 403)
    assert all("<h1>Not allowed</h1>" in r.content.decode() for r in answers.values())
