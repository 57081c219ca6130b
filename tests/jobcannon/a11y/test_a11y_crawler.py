"""The crawl fails a page for what it is meant to catch, and for that page only: pages of our
own making (served to this one context by a Playwright route) with a missing image, a console
error and a text field without a label, between clean ones in the same tab; links too small to
tap (a WCAG 2.2 rule); a frame whose page fails; a page that ends at another URL than the one
asked for; a page whose script never draws what it waits for; what goes wrong only on a page
loaded at 375 px (a table wider than a phone, a script that fails there), reported for 375 px
only; a form's error state, reached by filling in and sending the form. Its axe-core is the
project's copy. And its signed-in session opens the pages allauth keeps behind a fresh
re-authentication."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory
from tests.jobcannon.a11y import crawler
from tests.jobcannon.a11y.allowlist import Allowed
from tests.jobcannon.a11y.crawler import AXE_PATH, AXE_SOURCE, crawl, signed_in_context
from tests.jobcannon.a11y.pages import GROUPS, FormSubmit, PageSpec

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


SMALL_TARGETS = (
    '<!doctype html><html lang="en"><head><title>Small</title></head><body><main><h1>Small</h1>'
    '<p style="font-size:10px;line-height:10px"><a href="#a">A</a><br><a href="#b">B</a></p>'
    "</main></body></html>"
)


def test_the_crawl_runs_the_wcag_2_2_rules(_playwright_browser, live_base_url):
    """Two 10 px links one above the other: WCAG 2.2's Target Size (Minimum), axe target-size."""
    context = signed_in_context(_playwright_browser, live_base_url, None)
    context.route(
        "**/selftest/small/", lambda route: route.fulfill(body=SMALL_TARGETS, content_type="text/html")
    )
    try:
        report = crawl(context, [PageSpec("small", "/selftest/small/")])
    finally:
        context.close()

    text = "\n".join(report.problems)
    assert "1280px axe serious target-size" in text and "375px axe serious target-size" in text


def test_a_page_that_never_draws_what_it_waits_for_fails(_playwright_browser, live_base_url, monkeypatch):
    """A page drawn by its script (Swagger UI) is checked once drawn; a script that never runs
    (blocked by the CSP, say) leaves an empty page axe would pass: the crawl fails it instead."""
    body = CLEAN.replace("<main>", '<main><div id="app"></div>')
    context = signed_in_context(_playwright_browser, live_base_url, None)
    context.route("**/selftest/app/", lambda route: route.fulfill(body=body, content_type="text/html"))
    monkeypatch.setattr(crawler, "WAIT_FOR_MS", 1000)
    try:
        report = crawl(context, [PageSpec("app", "/selftest/app/", wait_for="#app .drawn")])
    finally:
        context.close()

    assert len(report.problems) == 1 and "crawl error: TimeoutError" in report.problems[0]


def test_the_crawl_uses_the_projects_own_copy_of_axe_core(_playwright_browser, live_base_url):
    """axe-core is served from this repository (vendor/axe-core), with its licence header and
    the version its README names, and that is the axe the pages run."""
    assert AXE_PATH.is_relative_to(Path(settings.BASE_DIR) / "tests")
    header = AXE_SOURCE[:600]
    assert "Deque Systems" in header and "Mozilla Public" in header and "MPL/2.0" in header
    version = re.match(r"/\*! axe v([\d.]+)", AXE_SOURCE)[1]
    readme = (AXE_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# axe-core {version} (vendored)")

    context = signed_in_context(_playwright_browser, live_base_url, None)
    context.route("**/selftest/clean/", lambda route: route.fulfill(body=CLEAN, content_type="text/html"))
    page = context.new_page()
    try:
        page.goto("/selftest/clean/")
        page.evaluate(AXE_SOURCE)
        assert page.evaluate("() => axe.version") == version
    finally:
        context.close()


def test_the_vendored_axe_core_is_the_published_build():
    """vendor/axe-core/axe.min.js is the file its README says (the axe-playwright-python 0.1.8
    wheel's copy), and that is axe-core's own npm build plus one trailing newline: the checksums
    recorded there, so "unmodified" can be checked."""
    import hashlib

    readme = (AXE_PATH.parent / "README.md").read_text(encoding="utf-8")
    recorded = re.findall(r"\| `([^`]+)`[^|]*\| `([0-9a-f]{64})` \|", readme)
    ours = dict(recorded)["axe.min.js"]
    npm = next(digest for name, digest in recorded if name == "package/axe.min.js")
    raw = AXE_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == ours
    assert raw.endswith(b"\n") and hashlib.sha256(raw[:-1]).hexdigest() == npm


# A table of fixed-width columns in a box that scrolls sideways when the table is wider than it:
# at 1280 px it fits, at 375 px the box scrolls, and nothing in it can take the focus, so a
# keyboard user cannot scroll it (axe scrollable-region-focusable, serious, WCAG 2.1.1).
NARROW_TABLE = (
    '<!doctype html><html lang="en"><head><title>Wide table</title></head><body><main><h1>Wide table</h1>'
    '<div style="overflow-x:auto"><table><tr><th style="min-width:300px">Candidate</th>'
    '<th style="min-width:300px">Score</th></tr><tr><td>Ada Example</td><td>42</td></tr></table></div>'
    "</main></body></html>"
)


def _crawl_served(browser, base_url, bodies: dict[str, str], specs: list[PageSpec]):
    def serve(route):
        route.fulfill(body=bodies[route.request.url.removeprefix(base_url)], content_type="text/html")

    context = signed_in_context(browser, base_url, None)
    context.route("**/selftest/**", serve)
    try:
        return crawl(context, specs)
    finally:
        context.close()


def test_a_rule_that_fails_only_at_375_px_is_reported_for_375_px_only(_playwright_browser, live_base_url):
    url = "/selftest/wide-table/"
    report = _crawl_served(_playwright_browser, live_base_url, {url: NARROW_TABLE}, [PageSpec("wide", url)])

    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith(f"wide {url}: 375px axe serious scrollable-region-focusable (1x)")


# A page whose script, on a phone-sized screen only, logs an error and loads a missing image:
# seen only when the page is loaded at 375 px, not when a page loaded at 1280 px is narrowed.
NARROW_SCRIPT = (
    '<!doctype html><html lang="en"><head><title>Narrow</title></head><body><main><h1>Narrow</h1>'
    "<script>if (window.innerWidth < 600) {"
    "  console.error('selftest: broken on phones');"
    "  const img = new Image(); img.alt = ''; img.src = '/static/a11y-selftest-narrow.png';"
    "  document.querySelector('main').append(img);"
    "}</script></main></body></html>"
)


def test_console_errors_and_failed_loads_of_a_page_loaded_at_375_px_are_reported_for_375_px(
    _playwright_browser, live_base_url
):
    pages = {"/selftest/narrow/": NARROW_SCRIPT, "/selftest/clean/": CLEAN}
    report = _crawl_served(
        _playwright_browser, live_base_url, pages, [PageSpec(path, path) for path in pages]
    )

    narrow = "/selftest/narrow/ /selftest/narrow/: 375px"
    assert sorted(report.problems) == [
        f"{narrow} console error: Failed to load resource: the server responded with a status of 404 (Not Found)",
        f"{narrow} console error: selftest: broken on phones",
        f"{narrow} failed load: HTTP 404 {live_base_url}/static/a11y-selftest-narrow.png",
    ]


SIGN_UP = (
    '<!doctype html><html lang="en"><head><title>Join</title></head><body><main><h1>Join</h1>'
    '<form method="post" action="/selftest/join/"><p><label for="name">Name</label> '
    '<input id="name" name="name"></p><p><label><input type="checkbox" name="terms"> I agree</label></p>'
    '<p><button type="submit">Join</button></p></form></main></body></html>'
)
SIGN_UP_ERROR = SIGN_UP.replace(
    "<form", '<p class="error" role="alert">Name: only letters.</p><p><input name="oops"></p><form'
)


def test_a_forms_error_state_is_reached_by_sending_the_form_and_the_answer_is_checked(
    _playwright_browser, live_base_url
):
    """The form is filled in and sent at each width; the answer (status, URL, axe) is the page."""
    posted: list[str] = []

    def serve(route):
        request = route.request
        if request.method == "POST":
            posted.append(request.post_data or "")
            route.fulfill(status=400, body=SIGN_UP_ERROR, content_type="text/html")
        else:
            route.fulfill(body=SIGN_UP, content_type="text/html")

    spec = PageSpec(
        "join, a bad name",
        "/selftest/join/",
        status=400,
        submit=FormSubmit(
            fields=(("#name", "R2-D2"), ("input[name=terms]", True)), button="button", shows=".error"
        ),
    )
    context = signed_in_context(_playwright_browser, live_base_url, None)
    context.route("**/selftest/**", serve)
    try:
        report = crawl(context, [spec])
    finally:
        context.close()

    assert posted == ["name=R2-D2&terms=on"] * 2, "sent once at each width, as typed"
    text = "\n".join(report.problems)
    # Only the answer has the unlabelled field; its deliberate 400 is no console error.
    assert "1280px axe critical label" in text and "375px axe critical label" in text
    assert len(report.problems) == 2, report.problems
    assert report.urls == {"/selftest/join/"}


# Text on a gradient: axe cannot compute the contrast of text over a gradient, so color-contrast
# is "incomplete" for that paragraph (needs review), not a violation; the heading on white is judged.
GRADIENT = (
    '<!doctype html><html lang="en"><head><title>Gradient</title></head><body><main><h1>Gradient</h1>'
    '<p style="background:linear-gradient(90deg,#ffffff,#fafafa);color:#333">Read me over a gradient.</p>'
    "</main></body></html>"
)


def test_text_whose_contrast_axe_cannot_judge_fails_unless_allowed_and_is_counted_in_the_summary(
    _playwright_browser, live_base_url, monkeypatch
):
    """axe's "incomplete" color-contrast (serious) fails the page like a violation, unless the
    allowlist names the rule, the page and the element with a reason; either way the summary
    counts the elements axe could not judge, for a person to check."""
    pages = {"/selftest/gradient/": GRADIENT, "/selftest/clean/": CLEAN}
    specs = [PageSpec(path, path) for path in pages]
    report = _crawl_served(_playwright_browser, live_base_url, pages, specs)

    assert sorted(report.problems) == [
        "/selftest/gradient/ /selftest/gradient/: 1280px axe serious color-contrast, undecided by axe (1x): "
        "Elements must meet minimum color contrast ratio thresholds -> p "
        "(Element's background color could not be determined due to a background gradient)",
        "/selftest/gradient/ /selftest/gradient/: 375px axe serious color-contrast, undecided by axe (1x): "
        "Elements must meet minimum color contrast ratio thresholds -> p "
        "(Element's background color could not be determined due to a background gradient)",
    ], report.problems

    monkeypatch.setattr(
        crawler,
        "ALLOWED",
        (
            Allowed(
                "color-contrast", r"^/selftest/gradient/$", r"p", "#333 on #fafafa..#fff: 12.6:1, checked"
            ),
        ),
    )
    report = _crawl_served(_playwright_browser, live_base_url, pages, specs)

    assert report.problems == []
    assert report.contrast_unknown == {
        "/selftest/gradient/ /selftest/gradient/ 1280px": 1,
        "/selftest/gradient/ /selftest/gradient/ 375px": 1,
    }
    summary = report.summary("selftest")
    assert summary.endswith(
        "0 problem(s); colour contrast not judged by axe (incomplete: fails unless allowlist.py gives a "
        "reason): 2 element(s) at 2 page width(s): /selftest/gradient/ /selftest/gradient/ 1280px (1), "
        "/selftest/gradient/ /selftest/gradient/ 375px (1); 2 undecided element(s) allowed by 1 allowlist.py "
        "entr(y/ies)"
    ), summary


# Django's admin makes html and body as tall as the window (base.css `html, body { height: 100% }`)
# and paints its white on the body: the page runs on below the body's box. Text that crosses the
# body's bottom edge (the window's height, 900 px in the crawl) is, to axe, partly over the white
# body and partly past it, and axe leaves its contrast undecided ("partially obscured"): a matter
# of where the window ends, not of the page.
AT_THE_FOLD = (
    '<!doctype html><html lang="en"><head><title>Fold</title>'
    "<style>html, body { height: 100%; margin: 0; } body { background: #fff; }"
    "h1 { margin: 0; font-size: 32px; line-height: 40px; } p { margin: 0; line-height: 20px; }</style></head>"
    '<body><main><h1>Fold</h1><div style="height: 850px"></div>'
    '<p style="color: {colour}">Text across the bottom edge of the window.</p>'
    '<div style="height: 600px"></div></main></body></html>'
)


def test_text_at_the_bottom_edge_of_the_window_is_judged_with_the_whole_page_in_the_window(
    _playwright_browser, live_base_url
):
    """What axe leaves undecided for colour contrast is judged again with the window as tall as
    the page: the text at the edge is then judged like any other, passing when it is dark enough
    and failing (a violation, not an "undecided") when it is not."""
    pages = {
        "/selftest/fold/": AT_THE_FOLD.replace("{colour}", "#333"),
        "/selftest/fold/?faint": AT_THE_FOLD.replace("{colour}", "#bbb"),
    }
    specs = [PageSpec(path, path) for path in pages]
    report = _crawl_served(_playwright_browser, live_base_url, pages, specs)

    assert report.contrast_unknown == {}, report.contrast_unknown
    assert sorted(report.problems) == [
        f"/selftest/fold/?faint /selftest/fold/?faint: {width}px axe serious color-contrast (1x): "
        "Elements must meet minimum color contrast ratio thresholds -> p"
        for width in (1280, 375)
    ], report.problems


# Django 5.2 points a field with help text at "<id>_helptext" (aria-describedby); a template that
# prints the help text without that id leaves the reference dangling: a screen reader reads no
# description. axe can only say it "could not decide" (incomplete, critical aria-valid-attr-value).
DANGLING_DESCRIPTION = (
    '<!doctype html><html lang="en"><head><title>Brand</title></head><body><main><h1>Brand</h1>'
    '<form method="post"><div><label for="id_brand_name">Brand name</label>'
    '<input id="id_brand_name" name="brand_name" aria-describedby="id_brand_name_helptext">'
    '<div class="helptext">Shown to candidates.</div></div><button>Save</button></form>'
    "</main></body></html>"
)
# Two forms on one page, each rendered without a prefix: two inputs id="id_email", so the second
# form's label names the first form's input (incomplete, critical duplicate-id-aria).
TWO_EMAIL_FORMS = (
    '<!doctype html><html lang="en"><head><title>Privacy</title></head><body><main><h1>Privacy</h1>'
    '<form method="post" action="/export/"><div><label for="id_email">Email</label>'
    '<input type="email" name="email" id="id_email"></div><button>Export</button></form>'
    '<form method="post" action="/delete/"><div><label for="id_email">Email</label>'
    '<input type="email" name="email" id="id_email"></div><button>Delete</button></form>'
    "</main></body></html>"
)


def test_a_field_described_by_help_text_that_has_no_id_fails_the_crawl(_playwright_browser, live_base_url):
    url = "/selftest/dangling/"
    report = _crawl_served(
        _playwright_browser, live_base_url, {url: DANGLING_DESCRIPTION}, [PageSpec("dangling", url)]
    )

    text = "\n".join(report.problems)
    assert len(report.problems) == 2, report.problems
    for width in (1280, 375):
        assert f"{width}px axe critical aria-valid-attr-value, undecided by axe (1x)" in text
    assert "#id_brand_name" in text and 'aria-describedby="id_brand_name_helptext"' in text


def test_two_inputs_with_the_same_id_named_by_labels_fail_the_crawl(_playwright_browser, live_base_url):
    url = "/selftest/two-emails/"
    report = _crawl_served(
        _playwright_browser, live_base_url, {url: TWO_EMAIL_FORMS}, [PageSpec("two emails", url)]
    )

    text = "\n".join(report.problems)
    for width in (1280, 375):
        assert f"{width}px axe critical duplicate-id-aria, undecided by axe" in text, report.problems
    assert "id_email" in text


def test_an_allowed_undecided_result_passes_on_its_page_and_element_only(
    _playwright_browser, live_base_url, monkeypatch
):
    """The allowlist is keyed by rule, URL and element: the same defect on another page, or on
    another element of the allowed page, still fails."""
    other = DANGLING_DESCRIPTION.replace("brand_name", "company_name")
    pages = {
        "/selftest/allowed/": DANGLING_DESCRIPTION,
        "/selftest/other/": DANGLING_DESCRIPTION,
        "/selftest/allowed/?other": other,
    }
    monkeypatch.setattr(
        crawler,
        "ALLOWED",
        (
            Allowed(
                "aria-valid-attr-value", r"^/selftest/allowed/$", r"#id_brand_name", "a self-test's reason"
            ),
        ),
    )
    report = _crawl_served(
        _playwright_browser, live_base_url, pages, [PageSpec(path, path) for path in pages]
    )

    failed = sorted({p.split(": ")[0] for p in report.problems})
    assert failed == [
        "/selftest/allowed/?other /selftest/allowed/?other",
        "/selftest/other/ /selftest/other/",
    ]


def test_every_allowed_undecided_result_names_a_rule_a_page_an_element_and_a_reason():
    from tests.jobcannon.a11y.allowlist import ALLOWED

    assert len(ALLOWED) <= 12, "a short list: fix the page instead"
    for entry in ALLOWED:
        assert re.fullmatch(r"[a-z0-9-]+", entry.rule), entry
        assert f'id:"{entry.rule}"' in AXE_SOURCE, f"{entry.rule} is no axe rule"
        re.compile(entry.url), re.compile(entry.selector)
        assert entry.url.startswith("^/") and entry.selector not in ("", ".*", ".+"), entry
        assert len(entry.reason.split()) >= 12, f"{entry} needs a written reason"
        # Each entry is checked for use by the crawl of the groups it names (unused_entries).
        assert entry.groups and set(entry.groups) <= set(GROUPS), f"{entry} names no crawl group"


def test_an_allowlist_entry_that_allowed_nothing_in_its_groups_crawl_is_reported(monkeypatch):
    """An entry outliving its page's fix would quietly go on allowing what it names: the crawl of
    each group it names fails when it allowed nothing there (conftest.py run_crawl)."""
    used = Allowed("color-contrast", r"^/a/$", r"p", "a self-test's reason", groups=("admin site",))
    stale = Allowed(
        "color-contrast", r"^/b/$", r"p", "a self-test's reason", groups=("admin site", "customer")
    )
    monkeypatch.setattr(crawler, "ALLOWED", (used, stale))
    report = crawler.CrawlReport(allowed={used: 2})

    assert crawler.unused_entries("admin site", report) == [stale]
    assert crawler.unused_entries("customer", report) == [stale]
    assert crawler.unused_entries("candidate", report) == []


def _collect_crawl(**env: str):
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k not in ("JOBCANNON_A11Y_CRAWL", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", __file__],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_turning_the_crawl_off_outside_the_postgresql_pass_is_a_usage_error_not_a_pass():
    """JOBCANNON_A11Y_CRAWL=0 without DATABASE_URL (any run but `dev.py test`'s PostgreSQL pass)
    stops the run with exit status 4 instead of passing with no page crawled."""
    refused = _collect_crawl(JOBCANNON_A11Y_CRAWL="0")
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "only `dev.py test`'s PostgreSQL pass" in refused.stderr
    assert _collect_crawl(JOBCANNON_A11Y_CRAWL="no").returncode == 4


def test_in_the_postgresql_pass_the_crawl_is_left_out_and_the_report_says_so():
    left_out = _collect_crawl(
        JOBCANNON_A11Y_CRAWL="0", DATABASE_URL="postgres://postgres@127.0.0.1:5432/jobcannon"
    )
    assert left_out.returncode == 5, left_out.stdout + left_out.stderr  # nothing collected
    assert "deselected" in left_out.stdout
    assert "A11yCrawlNote: a11y crawl deselected" in left_out.stdout
