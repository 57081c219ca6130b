"""The crawl fails a page for what it is meant to catch, and for that page only: pages of our
own making (served to this one context by a Playwright route) with a missing image, a console
error and a text field without a label, between clean ones in the same tab."""

import pytest

from tests.jobcannon.a11y.crawler import crawl, signed_in_context
from tests.jobcannon.a11y.pages import PageSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLEAN = '<!doctype html><html lang="en"><head><title>Clean</title></head><body><main><h1>Fine</h1></main></body></html>'
BROKEN = (
    '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1>'
    '<img src="/static/a11y-selftest-missing.png" alt="missing">'
    '<input type="text" name="unlabelled">'
    "<script>console.error('selftest: broken on purpose')</script>"
    "</main></body></html>"
)


def test_the_crawl_reports_a_failed_load_a_console_error_and_an_axe_violation_on_that_page(
    _playwright_browser, live_base_url
):
    pages = {"/selftest/clean-1/": CLEAN, "/selftest/broken/": BROKEN, "/selftest/clean-2/": CLEAN}
    context = signed_in_context(_playwright_browser, live_base_url, None)
    context.route(
        "**/selftest/**",
        lambda route: route.fulfill(
            body=pages[route.request.url.removeprefix(live_base_url)], content_type="text/html"
        ),
    )
    try:
        report = crawl(context, [PageSpec(label=path, url=path) for path in pages])
    finally:
        context.close()

    assert report.pages == 3 and len(report.urls) == 3
    broken = [p for p in report.problems if p.startswith("/selftest/broken/ ")]
    assert broken == report.problems, "only the broken page has problems"
    text = "\n".join(broken)
    assert "failed load: HTTP 404" in text and "a11y-selftest-missing.png" in text
    assert "console error: selftest: broken on purpose" in text
    assert "1280px axe critical label" in text and "375px axe critical label" in text
