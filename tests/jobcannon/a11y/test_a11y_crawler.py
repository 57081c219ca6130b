"""The crawl fails a page for what it is meant to catch, and for that page only: pages of our
own making (served to this one context by a Playwright route) with a missing image, a console
error and a text field without a label, between clean ones in the same tab; a frame whose page
fails; a page that ends at another URL than the one asked for. And its signed-in session opens
the pages allauth keeps behind a fresh re-authentication."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
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


FRAMED = (
    '<!doctype html><html lang="en"><head><title>Framed</title></head><body><main><h1>Framed</h1>'
    '<iframe src="/selftest/frame-gone/" title="A frame whose page fails"></iframe>'
    "</main></body></html>"
)


def test_the_crawl_reports_a_frame_whose_document_answers_an_error(_playwright_browser, live_base_url):
    bodies = {"/selftest/framed/": (200, FRAMED), "/selftest/frame-gone/": (500, CLEAN)}

    def serve(route):
        status, body = bodies[route.request.url.removeprefix(live_base_url)]
        route.fulfill(status=status, body=body, content_type="text/html")

    context = signed_in_context(_playwright_browser, live_base_url, None)
    context.route("**/selftest/**", serve)
    try:
        report = crawl(context, [PageSpec(label="framed", url="/selftest/framed/")])
    finally:
        context.close()

    assert f"/selftest/framed/: failed load: HTTP 500 {live_base_url}/selftest/frame-gone/" in "\n".join(
        report.problems
    )


def test_the_crawl_fails_a_page_that_ends_elsewhere_unless_it_lists_the_redirect(
    _playwright_browser, live_base_url
):
    """Signed out, the integrations page sends the browser to the sign-in page: a page asked for
    and a different one checked, unless the list says that is the point."""
    asked = reverse("integrations:list")
    sign_in = f"{reverse('account_login')}?next={asked}"
    context = signed_in_context(_playwright_browser, live_base_url, None)
    try:
        report = crawl(
            context,
            [
                PageSpec("integrations, signed out", asked),
                PageSpec(
                    "integrations, signed out, on purpose",
                    asked + "?on-purpose",
                    redirect_to=sign_in + "%3Fon-purpose",
                ),
            ],
        )
    finally:
        context.close()

    assert report.problems == [
        f"integrations, signed out {asked}: ended at {sign_in}, expected {asked} (a redirect the page does not list)"
    ]
    assert report.urls == {sign_in, sign_in + "%3Fon-purpose"}


def test_a_signed_in_crawl_opens_the_pages_behind_a_fresh_reauthentication(
    _playwright_browser, live_base_url
):
    """Two-factor set-up needs a recent re-authentication (allauth): the crawl's session has it,
    so the set-up page itself is checked, not the re-authentication page it would redirect to."""
    user = UserFactory()
    set_up = reverse("mfa_activate_totp")
    context = signed_in_context(_playwright_browser, live_base_url, user)
    try:
        report = crawl(context, [PageSpec("two-factor set-up", set_up)])
    finally:
        context.close()

    assert report.problems == [] and report.urls == {set_up}
