"""What axe could not decide, allowed on purpose: the crawl fails a page on every serious or
critical "incomplete" result of axe (crawler.py) except an element an entry here names, by
axe's rule id, the page (a regular expression searched in the path and query the page ended at)
and the element (a regular expression matching the whole of axe's selector for it), with the
reason a person judged it fine, and the crawl groups that must still use it. README.md beside
this file gives the policy; keep the list short (test_a11y_crawler.py holds it to 12 entries, each
with a reason): fix the page when you can."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    rule: str  # axe rule id, e.g. "color-contrast"
    url: str  # regex searched in the page's path and query, anchored "^/..."
    selector: str  # regex that must match the whole of axe's selector of the element
    reason: str  # why it is fine, as judged by a person (and by a test where one can)
    # The crawl groups (pages.GROUPS) whose pages it is for. Each of them fails when the entry
    # allowed nothing in its crawl (conftest.py run_crawl, crawler.unused_entries): an entry that
    # outlives its page's fix would go on allowing what it names, so it goes with the fix.
    groups: tuple[str, ...] = ()


# Empty: every undecided result the crawl found was fixed in the page (README.md beside this
# file lists them). The last entry, the report chart's SVG <text> (which axe never judges), went
# when assessments/reports.py report_chart began writing the chart's labels and scores as HTML text.
ALLOWED: tuple[Allowed, ...] = ()
