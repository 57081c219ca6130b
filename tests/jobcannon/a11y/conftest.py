import os
import warnings
from pathlib import Path

import pytest

from tests.jobcannon.a11y.crawler import CrawlReport, crawl, signed_in_context, unused_entries
from tests.jobcannon.a11y.pages import GROUPS, CrawlWorld, crawl_world

HERE = Path(__file__).resolve().parent


class A11yCrawlNote(UserWarning):
    """What the crawl reports besides failures: the pages each group checked, a deselected
    crawl. A warning, because pytest-xdist carries warnings from its workers to the terminal's
    warnings summary, where a print (captured) or a terminal hook of this conftest (which the
    controlling process never loads) would not show."""


def pytest_collection_modifyitems(config, items):
    """JOBCANNON_A11Y_CRAWL=0 leaves the crawl out (deselected), in the PostgreSQL pass only:
    `dev.py test` sets it there, with DATABASE_URL, the pages' HTML being the same on either
    database. Set anywhere else it is a usage error, so that no run passes with no page crawled;
    and a deselected crawl says so in the test report."""
    value = os.environ.get("JOBCANNON_A11Y_CRAWL", "1")
    if value == "1":
        return
    crawl = [item for item in items if HERE in item.path.parents]
    if not crawl:
        return
    if value != "0" or not os.environ.get("DATABASE_URL"):
        raise pytest.UsageError(
            f"JOBCANNON_A11Y_CRAWL={value!r}: only `dev.py test`'s PostgreSQL pass (DATABASE_URL set) "
            "may leave the accessibility crawl out (JOBCANNON_A11Y_CRAWL=0); unset it to run the crawl."
        )
    config.hook.pytest_deselected(items=crawl)
    items[:] = [item for item in items if item not in crawl]
    note = (
        f"a11y crawl deselected: {len(crawl)} test(s) left out by JOBCANNON_A11Y_CRAWL=0 in the "
        "PostgreSQL pass (the SQLite pass crawls)"
    )
    warnings.warn(A11yCrawlNote(note), stacklevel=1)


@pytest.fixture
def world(transactional_db, live_base_url, settings) -> CrawlWorld:
    # The project's URLs plus the crawl's own deliberate 400 and 500 (urls.py beside this file).
    settings.ROOT_URLCONF = "tests.jobcannon.a11y.urls"
    return crawl_world()


@pytest.fixture
def run_crawl(_playwright_browser, live_base_url, world, record_property):
    """run_crawl(group): every page of the group checked at every width as the group's user;
    fails listing every problem, with the page, width, rule and targets."""

    def run(group: str) -> CrawlReport:
        spec_group = GROUPS[group]
        specs = spec_group.pages(world)
        user = getattr(world, spec_group.who) if spec_group.who else None
        context = signed_in_context(
            _playwright_browser, live_base_url, user, second_step=spec_group.second_step
        )
        try:
            report = crawl(context, specs)
        finally:
            context.close()
        # Shown in the warnings summary of every run, with -n too (A11yCrawlNote).
        warnings.warn(A11yCrawlNote(report.summary(group)), stacklevel=1)
        record_property("a11y_summary", report.summary(group))
        record_property("a11y_pages", report.pages)
        record_property("a11y_seconds", round(report.seconds, 1))
        record_property("a11y_contrast_unknown", sum(report.contrast_unknown.values()))
        if report.problems:
            pytest.fail(report.summary(group) + ":\n" + "\n".join(report.problems), pytrace=False)
        if stale := unused_entries(group, report):
            pytest.fail(
                f"allowlist.py entries for the {group!r} group that allowed nothing in its crawl "
                "(the page was fixed: remove the entry, or take the group out of its groups):\n"
                + "\n".join(f"{e.rule} {e.url} {e.selector}" for e in stale),
                pytrace=False,
            )
        # Each listed page crawled, once, and shown where the list says (its own URL or the
        # redirect it lists): with test_a11y_coverage.py, which counts the views of those final
        # URLs, the crawl covers at least MIN_PAGES pages.
        assert report.pages == len(specs) > 0
        assert report.urls == {spec.final_url for spec in specs}
        return report

    return run
