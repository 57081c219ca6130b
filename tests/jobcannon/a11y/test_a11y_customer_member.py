"""Accessibility crawl: the role-dependent customer pages as a member of the workspace (not an
owner or admin), an owner's page refused with the 403 page among them (pages.member_pages)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_pages_have_no_serious_accessibility_problems(run_crawl):
    run_crawl("customer (member)")
