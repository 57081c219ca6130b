import pytest

from tests.jobcannon.a11y.crawler import CrawlReport, crawl, signed_in_context
from tests.jobcannon.a11y.pages import CrawlWorld, PageSpec, crawl_world


@pytest.fixture
def world(transactional_db, live_base_url) -> CrawlWorld:
    return crawl_world()


@pytest.fixture
def run_crawl(_playwright_browser, live_base_url):
    """crawl(user, specs, group): every page checked at every width, as `user` (None:
    anonymous); fails listing every problem, with the page, width, rule and targets."""

    def run(user, specs: list[PageSpec], group: str) -> CrawlReport:
        context = signed_in_context(_playwright_browser, live_base_url, user)
        try:
            report = crawl(context, specs)
        finally:
            context.close()
        print(report.summary(group))
        assert report.pages == len(specs) > 0
        if report.problems:
            pytest.fail(report.summary(group) + ":\n" + "\n".join(report.problems), pytrace=False)
        return report

    return run
