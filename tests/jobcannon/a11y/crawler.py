"""Open pages in Debian Chromium and check each one with axe-core at every width.

axe-core comes from the `axe-playwright-python` dev dependency, which ships axe.min.js
(https://github.com/dequelabs/axe-core, MPL-2.0; version in its first line). The crawl serves
that file on the app's own origin (a Playwright route at AXE_PATH, so the pages' CSP
`script-src 'self'` admits it and nothing is fetched from a CDN) and adds it with
page.add_script_tag(url=AXE_PATH).

A page fails on: an axe violation of impact serious or critical among the WCAG 2.0/2.1 A and AA
rules (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#axe-core-tags), a console
error or uncaught exception, a request that failed or answered 4xx/5xx, or a document status
other than the one the page answers on purpose. Problems are collected, not raised, so one run
reports every page with its URL, width, rule and target selectors."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.base import AXE_FILE_PATH
from django.conf import settings
from django.test import Client

from tests.jobcannon.a11y.pages import WIDTHS, PageSpec

AXE_PATH = "/__a11y__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")
AXE_VERSION = re.search(rb"axe v([\d.]+)", Path(AXE_FILE_PATH).read_bytes()[:200])
# preload: false: axe would fetch every stylesheet again to read @import rules, resolving them
# against the page instead of the stylesheet (a 404 for admin/css/forms.css's widgets.css); only
# the experimental css-orientation-lock rule, which the WCAG tags do not run, needs them.
AXE_RUN = """async ([tags, exclude]) => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // resized, scripts ran
  const context = exclude.length ? {exclude: exclude.map(s => [s])} : document;
  const results = await axe.run(context, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], preload: false,
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')).slice(0, 6), count: v.nodes.length,
  }));
}"""


@dataclass
class CrawlReport:
    pages: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, group: str) -> str:
        version = AXE_VERSION.group(1).decode() if AXE_VERSION else "?"
        return (
            f"a11y crawl [{group}]: {self.pages} pages x {len(WIDTHS)} widths in {self.seconds:.1f} s "
            f"(axe-core {version}), {len(self.problems)} problem(s)"
        )


def signed_in_context(browser: Any, base_url: str, user: Any | None) -> Any:
    """A browser context on the live server, signed in as `user` (a session made the way the
    sign-in page makes it) or anonymous, serving axe.min.js at AXE_PATH."""
    context = browser.new_context(base_url=base_url, viewport={"width": WIDTHS[0], "height": 900})
    context.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE_FILE_PATH), content_type="application/javascript"),
    )
    if user is not None:
        client = Client()
        client.force_login(user)
        # As allauth records a password sign-in, so pages behind a fresh re-authentication
        # (two-factor set-up) open as they do right after signing in.
        session = client.session
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "username": user.get_username()}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return context


def _expected_document_error(text: str, location: dict, url: str, spec: PageSpec) -> bool:
    """Chromium logs the page's own deliberate 404 / 410 as a console error."""
    return (
        spec.status >= 400
        and text.startswith("Failed to load resource")
        and location.get("url", "").split("#")[0] == url.split("#")[0]
    )


def check_page(context: Any, spec: PageSpec) -> list[str]:
    problems: list[str] = []
    page = context.new_page()
    page.set_default_timeout(20000)
    noted: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error" and not _expected_document_error(msg.text, msg.location, page.url, spec):
            noted.append(f"console error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: noted.append(f"uncaught exception: {exc}"))
    page.on(
        "requestfailed",
        lambda req: noted.append(f"failed load: {req.method} {req.url} ({req.failure})"),
    )
    page.on(
        "response",
        lambda resp: (
            noted.append(f"failed load: HTTP {resp.status} {resp.url}")
            if resp.status >= 400 and resp.request.resource_type != "document"
            else None
        ),
    )
    try:
        response = page.goto(spec.url, wait_until="load")
        status = response.status if response else None
        if status != spec.status:
            problems.append(f"HTTP {status}, expected {spec.status} (ended at {page.url})")
        page.add_script_tag(url=AXE_PATH)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for v in page.evaluate(AXE_RUN, [AXE_TAGS, list(spec.axe_exclude)]):
                if v["impact"] in BLOCKING_IMPACTS:
                    targets = " | ".join(v["targets"])
                    problems.append(
                        f"{width}px axe {v['impact']} {v['id']} ({v['count']}x): {v['help']} -> {targets}"
                    )
    except Exception as exc:  # noqa: BLE001 - reported with the page, the crawl goes on
        problems.append(f"crawl error: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        page.close()
    problems += sorted(set(noted))
    return [f"{spec.label} {spec.url}: {p}" for p in problems]


def crawl(context: Any, specs: Iterable[PageSpec]) -> CrawlReport:
    report = CrawlReport()
    started = time.monotonic()
    for spec in specs:
        report.pages += 1
        report.problems += check_page(context, spec)
    report.seconds = time.monotonic() - started
    return report
