"""Open pages in Debian Chromium and check each one with axe-core at every width.

axe-core is the project's own copy, vendor/axe-core/axe.min.js beside this file
(https://github.com/dequelabs/axe-core, MPL-2.0, licence header kept; version in its first line
and in vendor/axe-core/README.md). The crawl evaluates that file in each page once it has loaded,
as axe-playwright-python does (page.evaluate: DevTools, which the pages' CSP `script-src 'self'`
does not govern; nothing is fetched from a CDN). No request is routed: routing would switch off
the browser's HTTP cache, and every page would fetch every stylesheet and script again. axe checks
the whole document of every page: no part of a page is excluded, no rule switched off.

One browser per test worker (the session fixture), one context per group and in it one tab per width,
each sized to its width before its first page: every page is loaded afresh at every width (a
phone loads the page at 375 px; it does not shrink a page drawn at 1280), so what the browser
reports while the page loads (console errors, failed loads, the document's status, where it ends)
is seen at each width, and axe runs on the page as that width drew it. A page's problems at a
width are those the browser reports between the navigation and the end of its axe run (a request
counts for the page that started it); one seen at every width is reported once, one seen at
some widths only with those widths ("375px console error: ...").

A page fails on: an axe violation of impact serious or critical among the WCAG 2.0, 2.1 and 2.2
A and AA rules (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#axe-core-tags), a console
error or uncaught exception, a request that failed or answered 4xx/5xx (a frame's document
included), a main document status other than the one the page answers on purpose, or a final
URL other than the one asked for (a redirect: to the sign-in or re-authentication page, say)
unless the page lists it as deliberate (PageSpec.redirect_to). A page with a form to send
(PageSpec.submit: a form's error state) is opened, filled in and sent as a user would, and the
answer is the page checked (its status, URL, console and loads). Problems are collected, not
raised, so one run reports every page with its URL, width, rule and target selectors.

What axe could not decide (its "incomplete" results: an ARIA reference to an id that is not
on the page, an id used twice, text over an image or a gradient; https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#results-object)
fails a page like a violation when its impact is serious or critical, element by element, unless
allowlist.py beside this file allows that rule on that page for that element, with a written
reason (README.md beside this file: the policy). An element axe left undecided for colour contrast
is first judged again with the window as tall as the page (_Tab._judge_contrast_again), so text
that only meets the window's bottom edge is judged like any other. The elements whose colour
contrast axe still could not judge are also counted in the crawl's summary line with the pages
that have most of them, allowed or not, so a person sees how much was judged by eye."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.jobcannon.a11y.allowlist import ALLOWED, Allowed
from tests.jobcannon.a11y.pages import CRAWL_PASSWORD, WIDTHS, FormSubmit, PageSpec

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE_PATH.read_text(encoding="utf-8")
AXE_VERSION = re.search(r"axe v([\d.]+)", AXE_SOURCE[:200])
# WCAG 2 A and AA, each version's new criteria under its own tag: 2.2 adds target-size (2.5.8).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")
WINDOW_HEIGHT = 900  # the crawl's window: a laptop's, and a phone's held upright
WAIT_FOR_MS = 15000  # how long a page's script has to draw what PageSpec.wait_for names
# preload: false: axe would fetch every stylesheet again to read @import rules, resolving them
# against the page instead of the stylesheet (a 404 for admin/css/forms.css's widgets.css); only
# the experimental css-orientation-lock rule, which the WCAG tags do not run, needs them.
#
# The color-contrast check judges more than axe's defaults: text of symbols only (an icon glyph,
# "✓") and text of one or two characters (a chart's axis labels) are judged like any text,
# instead of being left "incomplete" (ignoreUnicode, ignoreLength: axe-core's
# lib/checks/color/color-contrast.json). Every other option stays axe's (copied from the check).
AXE_RUN = """async (tags) => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // drawn, scripts ran
  const contrastCheck = axe._audit.checks['color-contrast'];
  axe.configure({checks: [{
    id: 'color-contrast', options: {...contrastCheck.options, ignoreUnicode: false, ignoreLength: true},
  }]});
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete'], preload: false,
  });
  // Why axe could not decide, in its own words (the first message of the node's checks).
  const why = n => ([...n.any, ...n.all, ...n.none].map(c => c.message).find(Boolean) || '');
  const contrast = results.incomplete.find(r => r.id === 'color-contrast');
  return {
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map(n => n.target.join(' ')).slice(0, 6), count: v.nodes.length,
    })),
    incomplete: results.incomplete.map(r => ({
      id: r.id, help: r.help,
      nodes: r.nodes.map(n => ({impact: n.impact, target: n.target.join(' '), at: n.target, why: why(n)})),
    })),
    contrastUnknown: contrast ? contrast.nodes.length : 0,
  };
}"""
# The elements AXE_RUN left undecided for colour contrast, judged again with the window as tall as
# the page (_Tab._judge_contrast_again): axe runs the color-contrast rule on them alone (`include`
# names them; the rest of the page was judged by AXE_RUN) and says of each whether it passed,
# failed or is still undecided.
AXE_CONTRAST_AGAIN = """async (targets) => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // drawn at the new size
  const results = await axe.run({include: targets}, {
    runOnly: {type: 'rule', values: ['color-contrast']}, resultTypes: ['violations', 'incomplete'], preload: false,
  });
  const verdict = {};
  for (const [kind, found] of [['violation', results.violations], ['incomplete', results.incomplete]]) {
    for (const r of found) for (const n of r.nodes) verdict[JSON.stringify(n.target)] = kind;
  }
  return targets.map(t => verdict[JSON.stringify(t)] || 'passed');
}"""
# The tallest window the second look opens (Chromium draws larger ones, slowly); text further down
# a longer page that axe left undecided stays undecided.
TALLEST_WINDOW = 16000
CONTRAST_PAGES_SHOWN = 5  # pages named in the summary line, those with most unjudged elements first


@dataclass
class CrawlReport:
    pages: int = 0
    urls: set[str] = field(default_factory=set)  # distinct URLs the pages ended at (path and query)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # "<label> <url> <width>px" -> how many elements axe could not judge for colour contrast there.
    contrast_unknown: dict[str, int] = field(default_factory=dict)
    # allowlist entry -> how many undecided elements (page widths x elements) it allowed.
    allowed: dict[Allowed, int] = field(default_factory=dict)

    def summary(self, group: str) -> str:
        version = AXE_VERSION.group(1) if AXE_VERSION else "?"
        line = (
            f"a11y crawl [{group}]: {self.pages} pages x {len(WIDTHS)} widths in {self.seconds:.1f} s "
            f"(axe-core {version}), {len(self.problems)} problem(s)"
        )
        allowed = sum(self.allowed.values())
        return f"{line}; {self.contrast_summary()}" + (
            f"; {allowed} undecided element(s) allowed by {len(self.allowed)} allowlist.py entr(y/ies)"
            if allowed
            else ""
        )

    def contrast_summary(self) -> str:
        if not self.contrast_unknown:
            return "colour contrast judged for every element"
        worst = sorted(self.contrast_unknown.items(), key=lambda item: (-item[1], item[0]))
        named = ", ".join(f"{where} ({n})" for where, n in worst[:CONTRAST_PAGES_SHOWN])
        more = len(worst) - CONTRAST_PAGES_SHOWN
        return (
            f"colour contrast not judged by axe (incomplete: fails unless allowlist.py gives a reason): "
            f"{sum(self.contrast_unknown.values())} element(s) at {len(worst)} page width(s): {named}"
            + (f" and {more} more" if more > 0 else "")
        )


def signed_in_context(browser: Any, base_url: str, user: Any | None, *, second_step: bool = False) -> Any:
    """A browser context on the live server: anonymous, signed in as `user` and freshly
    re-authenticated, or (`second_step`) half-way through `user`'s sign-in, the password taken
    by the sign-in page and the two-factor code still to enter."""
    context = browser.new_context(base_url=base_url, viewport={"width": WIDTHS[0], "height": WINDOW_HEIGHT})
    if user is None:
        return context
    client = Client()
    if second_step:
        # The sign-in page's own work: it checks the password and, for a user with an
        # authenticator, keeps the pending sign-in in the session and sends them to the code.
        response = client.post(reverse("account_login"), {"login": user.email, "password": CRAWL_PASSWORD})
        assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"), (
            response.status_code,
            response.get("Location"),
        )
    else:
        client.force_login(user)
        # allauth's records of how this session authenticated (allauth.account.internal.flows.
        # login.record_authentication): a password sign-in marked "reauthenticated", as
        # reauthenticate_by_password writes it, so the pages behind a fresh re-authentication
        # (two-factor set-up and deactivation, recovery codes: did_recently_reauthenticate)
        # open instead of redirecting to /accounts/reauthenticate/; and, for a user with an
        # authenticator, the two-factor step of the sign-in (base.internal.flows.post_authentication).
        now = time.time()
        records: list[dict[str, Any]] = [
            {"method": "password", "at": now, "username": user.get_username(), "reauthenticated": True}
        ]
        records += [
            {"method": "mfa", "at": now, "id": a.pk, "type": a.type}
            for a in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
        ]
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = records
        session["account_authentication_methods_user"] = str(user.pk)  # login.py's private key
        session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return context


def _path(url: str) -> str:
    """Path and query of a URL (the fragment is the page's own business)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _expected_document_error(text: str, location: dict, url: str, spec: PageSpec) -> bool:
    """Chromium logs the page's own deliberate 404 / 410 as a console error."""
    return (
        spec.status >= 400
        and text.startswith("Failed to load resource")
        and location.get("url", "").split("#")[0] == url.split("#")[0]
    )


class _Tab:
    """One tab at one width for a group's pages: what the browser reports while a page is being
    checked is noted for that page. The tab has its width before its first page, so each page
    loads at that width. Between two pages the tab goes to about:blank, which ends the previous
    document (its timers, its requests) before the next one starts, as a fresh tab would."""

    def __init__(self, context: Any, width: int, allowed: dict[Allowed, int]) -> None:
        self.width = width
        self.page = context.new_page()
        self.page.set_viewport_size({"width": width, "height": WINDOW_HEIGHT})
        self.page.set_default_timeout(20000)
        self.spec: PageSpec | None = None
        self.noted: list[str] = []
        self.allowed = allowed  # the crawl's count of the undecided elements allowlist.py allowed
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self._note(f"uncaught exception: {exc}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _note(self, problem: str) -> None:
        if self.spec is not None:
            self.noted.append(problem)

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and self.spec is not None:
            if not _expected_document_error(msg.text, msg.location, self.page.url, self.spec):
                self._note(f"console error: {msg.text}")

    def _request_failed(self, req: Any) -> None:
        self._note(f"failed load: {req.method} {req.url} ({req.failure})")

    def _response(self, resp: Any) -> None:
        # The main frame's document is checked against the status the page answers on purpose
        # (check()); every other response, an iframe's document included, must not fail.
        if resp.status >= 400 and not self._main_document(resp.request):
            self._note(f"failed load: HTTP {resp.status} {resp.url}")

    def _main_document(self, request: Any) -> bool:
        if request.resource_type != "document":
            return False
        try:
            return request.frame == self.page.main_frame
        except Exception:  # noqa: BLE001 - a request without a frame (a worker's) is not the page
            return False

    def _send(self, form: FormSubmit) -> Any:
        """Fill in the page's form and send it as a user would; the answer to it."""
        page = self.page
        for selector, value in form.fields:
            field = page.locator(selector).first
            if value is True:
                field.check()
            else:
                field.fill(str(value))
        with page.expect_response(
            lambda r: r.request.method == "POST" and self._main_document(r.request)
        ) as answer:
            page.locator(form.button).first.click()
        # The answer's document shows what the form says went wrong: then it has replaced the
        # form's page, and its load is the one waited for.
        page.wait_for_selector(form.shows, timeout=WAIT_FOR_MS)
        page.wait_for_load_state("load")
        return answer.value

    def check(self, spec: PageSpec) -> tuple[str, list[str], list[str], int]:
        """(the URL the page ended at, its problems at this width, its axe violations at this
        width, each starting with the width, how many elements axe could not judge for colour
        contrast at this width)."""
        self.spec, self.noted = spec, []
        page, problems, violations, ended_at, contrast_unknown = self.page, [], [], spec.url, 0
        try:
            response = page.goto(spec.url, wait_until="load")
            if spec.submit is not None:
                status = response.status if response else None
                if status != 200:
                    problems.append(f"HTTP {status} for the form, expected 200 (ended at {page.url})")
                response = self._send(spec.submit)
            ended_at = _path(page.url)
            status = response.status if response else None
            if status != spec.status:
                problems.append(f"HTTP {status}, expected {spec.status} (ended at {page.url})")
            if ended_at != spec.final_url:
                problems.append(
                    f"ended at {ended_at}, expected {spec.final_url} (a redirect the page does not list)"
                )
            if spec.wait_for:
                page.wait_for_selector(spec.wait_for, timeout=WAIT_FOR_MS)
            for click, then in spec.steps:
                page.locator(click).first.click()
                page.wait_for_selector(then, timeout=WAIT_FOR_MS)
            page.evaluate(AXE_SOURCE)
            results = self._judge_contrast_again(page.evaluate(AXE_RUN, AXE_TAGS))
            contrast_unknown = results["contrastUnknown"]
            violations += self._undecided(ended_at, results["incomplete"])
            for v in results["violations"]:
                if v["impact"] in BLOCKING_IMPACTS:
                    targets = " | ".join(v["targets"])
                    violations.append(
                        f"{self.width}px axe {v['impact']} {v['id']} ({v['count']}x): {v['help']} -> {targets}"
                    )
        except Exception as exc:  # noqa: BLE001 - reported with the page, the crawl goes on
            problems.append(f"crawl error: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        problems += sorted(set(self.noted))
        self.spec = None
        try:
            page.goto("about:blank")
        except Exception:  # noqa: BLE001 - a tab that cannot leave the page: a fresh one next time
            page.close()
        return ended_at, problems, violations, contrast_unknown

    def _judge_contrast_again(self, results: dict[str, Any]) -> dict[str, Any]:
        """AXE_RUN's results, with the elements it left undecided for colour contrast judged again
        in a window as tall as the page: those it now passes or fails leave the undecided (a
        failure joins the violations); the rest stay.

        axe judges text against the boxes drawn behind it. Django's admin makes html and body as
        tall as the window (base.css `html, body { height: 100% }`) and paints its white on the
        body, so the page runs on below the body's box; text across the window's bottom edge is
        then partly over the white body and partly past it, and axe will not name its background
        ("partially obscured by another element"). Where the window ends is the crawl's choice, not
        the page's: with the whole page in the window, the body holds the whole page. The first
        run keeps the window a person has (the layout, the other rules); only the undecided
        elements are judged again, and the window is put back before the next page."""
        contrast = next((r for r in results["incomplete"] if r["id"] == "color-contrast"), None)
        if contrast is None:
            return results
        page = self.page
        height = min(page.evaluate("document.documentElement.scrollHeight"), TALLEST_WINDOW)
        if height <= WINDOW_HEIGHT:
            return results  # the page fits the window: nothing is at its edge
        page.set_viewport_size({"width": self.width, "height": height})
        try:
            verdicts = page.evaluate(AXE_CONTRAST_AGAIN, [n["at"] for n in contrast["nodes"]])
        finally:
            page.set_viewport_size({"width": self.width, "height": WINDOW_HEIGHT})
        failed = [n for n, v in zip(contrast["nodes"], verdicts, strict=True) if v == "violation"]
        contrast["nodes"] = [n for n, v in zip(contrast["nodes"], verdicts, strict=True) if v == "incomplete"]
        results["contrastUnknown"] = len(contrast["nodes"])
        if failed:
            results["violations"].append(
                {
                    "id": "color-contrast",
                    "impact": "critical" if any(n["impact"] == "critical" for n in failed) else "serious",
                    "help": contrast["help"],
                    "targets": [n["target"] for n in failed][:6],
                    "count": len(failed),
                }
            )
        return results

    def _undecided(self, url: str, incomplete: list[dict[str, Any]]) -> list[str]:
        """axe's serious and critical "incomplete" results on the page that ended at `url`, as
        problems, less the elements allowlist.py allows for that rule on that page (counted in
        self.allowed)."""
        problems = []
        for result in incomplete:
            nodes = []
            for node in result["nodes"]:
                if node["impact"] not in BLOCKING_IMPACTS:
                    continue
                entry = allowed_by(result["id"], url, node["target"])
                if entry is None:
                    nodes.append(node)
                else:
                    self.allowed[entry] = self.allowed.get(entry, 0) + 1
            if not nodes:
                continue
            impact = "critical" if any(n["impact"] == "critical" for n in nodes) else "serious"
            targets = " | ".join(n["target"] for n in nodes[:6])
            why = "; ".join(dict.fromkeys(n["why"] for n in nodes if n["why"]))
            problems.append(
                f"{self.width}px axe {impact} {result['id']}, undecided by axe ({len(nodes)}x): "
                f"{result['help']} -> {targets} ({why})"
            )
        return problems

    def close(self) -> None:
        if not self.page.is_closed():
            self.page.close()


def allowed_by(rule: str, url: str, target: str) -> Allowed | None:
    """The allowlist entry (ALLOWED, allowlist.py) that allows axe's undecided `rule` on the page
    at `url` (path and query) for the element axe names `target`, if any."""
    for entry in ALLOWED:
        if entry.rule == rule and re.search(entry.url, url) and re.fullmatch(entry.selector, target):
            return entry
    return None


def unused_entries(group: str, report: CrawlReport) -> list[Allowed]:
    """The allowlist entries for `group` (Allowed.groups) that allowed nothing in its crawl
    `report`: stale, their page fixed or gone. Checked per group, in the group's own test, so it
    holds however pytest-xdist spreads the groups over its workers."""
    return [entry for entry in ALLOWED if group in entry.groups and not report.allowed.get(entry)]


def _merge(spec: PageSpec, at: dict[int, list[str]], violations: list[str]) -> list[str]:
    """A page's problems over every width: one seen at every width once, as it is; one seen at
    some widths only, once per width with the width in front (axe's already name theirs)."""
    merged: list[str] = []
    for width, problems in at.items():
        for problem in problems:
            everywhere = all(problem in others for others in at.values())
            line = problem if everywhere else f"{width}px {problem}"
            if line not in merged:
                merged.append(line)
    return [f"{spec.label} {spec.url}: {p}" for p in merged + violations]


def crawl(context: Any, specs: Iterable[PageSpec]) -> CrawlReport:
    report = CrawlReport()
    started = time.monotonic()
    tabs = {width: _Tab(context, width, report.allowed) for width in WIDTHS}
    try:
        for spec in specs:
            report.pages += 1
            at: dict[int, list[str]] = {}
            violations: list[str] = []
            for width in WIDTHS:
                if tabs[width].page.is_closed():
                    tabs[width] = _Tab(context, width, report.allowed)
                ended_at, at[width], found, contrast_unknown = tabs[width].check(spec)
                report.urls.add(ended_at)
                violations += found
                if contrast_unknown:
                    report.contrast_unknown[f"{spec.label} {spec.url} {width}px"] = contrast_unknown
            report.problems += _merge(spec, at, violations)
    finally:
        for tab in tabs.values():
            tab.close()
    report.seconds = time.monotonic() - started
    return report
