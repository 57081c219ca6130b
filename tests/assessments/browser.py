"""Playwright helpers for driving the candidate pages; provider end-to-end tests reuse them.

Stable API:

    complete_assessment(page, url, *, answer=4, close_and_resume=False) -> None

`page` is a Playwright sync `Page` (the `page` fixture from tests/conftest.py), `url` the
candidate link from the invitation (absolute, or a path on the live server). It goes through
welcome + privacy consent, the instructions and every question page, choosing the option with
value `answer` (1-5) for every statement, then review and submit, and returns on the "Thank you"
page (asserted). It works from any point: an already-started run resumes where it left off.

With `close_and_resume=True` it first opens the link in a second tab of the same browser
context, answers the first page and part of the second (saved by autosave only), closes that
tab, then opens the link again in `page` and checks that the run resumes on page 2 with the
answers already given, before finishing. Each answer is autosaved as it is clicked; the
helper waits for the progress bar to confirm, so no answer is lost when a tab closes.

Expected scores for the answers given: `assessments.scoring.score_answers(instrument,
{item.id: answer for item in instrument.items})`.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PAGE_URL = re.compile(r"/a/[^/]+/page/\d+$")


def _start(page: Page, url: str) -> None:
    page.goto(url)
    consent = page.locator("#consent")
    if consent.count():
        page.get_by_label("I have read the privacy notice").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Instructions")).to_be_visible()
        page.get_by_role("link", name="Begin").click()
        page.wait_for_url(PAGE_URL)


def _progress(page: Page) -> tuple[int, int]:
    bar = page.locator("[data-progress]")
    return int(bar.get_attribute("aria-valuenow") or 0), int(bar.get_attribute("aria-valuemax") or 0)


def _answer_items(page: Page, answer: int, *, limit: int | None = None) -> None:
    """Click the option `answer` for each statement on the page (or the first `limit`), waiting
    until the server confirmed each one (the progress bar is updated from its reply)."""
    items = page.locator("fieldset[data-item]")
    count = items.count() if limit is None else min(limit, items.count())
    for index in range(count):
        fieldset = items.nth(index)
        option = fieldset.locator(f"input[type=radio][value='{answer}']")
        if option.is_checked():
            continue
        before, _ = _progress(page)
        was_answered = fieldset.locator("input[type=radio]:checked").count() > 0
        fieldset.locator(f"label[for='{option.get_attribute('id')}']").click()
        expect(option).to_be_checked()
        if not was_answered:
            expect(page.locator("[data-progress]")).to_have_attribute("aria-valuenow", str(before + 1))
    expect(page.locator("[data-save-status]")).not_to_have_text("Saving…")


def _next(page: Page) -> None:
    page.locator("button[name=nav][value=next]").click()
    page.wait_for_load_state()


def complete_assessment(page: Page, url: str, *, answer: int = 4, close_and_resume: bool = False) -> None:
    if close_and_resume:
        tab = page.context.new_page()
        _start(tab, url)
        _answer_items(tab, answer)
        _next(tab)
        tab.wait_for_url(re.compile(r"/page/2$"))
        _answer_items(tab, answer, limit=2)
        answered_before_close, _ = _progress(tab)
        tab.close()

        page.goto(url)
        page.wait_for_url(re.compile(r"/page/2$"))
        answered, _ = _progress(page)
        assert answered == answered_before_close, (answered, answered_before_close)
        assert page.locator("fieldset[data-item] input[type=radio]:checked").count() == 2
    else:
        _start(page, url)

    while PAGE_URL.search(page.url):
        _answer_items(page, answer)
        current = page.url
        _next(page)
        page.wait_for_url(lambda u: u != current)

    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    answered, total = _progress(page)
    assert answered == total, f"{answered} of {total} answered at review"
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Thank you"))).to_be_visible()
