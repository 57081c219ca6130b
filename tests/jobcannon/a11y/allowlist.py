"""What axe could not decide, allowed on purpose: the crawl fails a page on every serious or
critical "incomplete" result of axe (crawler.py) except an element an entry here names, by
axe's rule id, the page (a regular expression searched in the path and query the page ended at)
and the element (a regular expression matching the whole of axe's selector for it), with the
reason a person judged it fine. README.md beside this file gives the policy; keep the list short
(test_a11y_crawler.py holds it to 12 entries, each with a reason): fix the page when you can."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    rule: str  # axe rule id, e.g. "color-contrast"
    url: str  # regex searched in the page's path and query, anchored "^/..."
    selector: str  # regex that must match the whole of axe's selector of the element
    reason: str  # why it is fine, as judged by a person (and by a test where one can)


ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "color-contrast",
        r"^/assessments/(runs/\d+|reports/[^/]+)/$",
        r'text\[[xy]="[\d.]+"\]',
        "The report's bar chart (assessments/reports.py report_svg) writes its labels, scores and "
        "tick numbers as SVG <text>; axe never judges text inside an <svg> (it counts the svg as an "
        "image under the text). They are drawn on the report card's white: labels and scores "
        "#1b1f24 (16.6:1), ticks #57606a (6.4:1), no shape behind them; "
        "test_a11y_crawler.py::test_the_report_charts_text_meets_4_5_to_1_on_white computes it.",
    ),
    Allowed(
        "color-contrast",
        r"^/admin/integrations/(\w+/logs|integration/run/\d+/timeline/)",
        r"(\S+ > )?(t[dh]|h2):nth-child\(\d+\)",
        "The staff logs and an order's timeline: cells of tables wider than their box (Django "
        "admin's div.results scrolls sideways) and a heading that meets the bottom edge of the "
        "crawl's 900 px window; axe finds part of each beyond an edge and will not guess the "
        "background. Their text is the admin's body text on the page's white (base.css "
        "--body-fg #333 on --body-bg #fff, 12.6:1); nothing is drawn behind it.",
    ),
    Allowed(
        "th-has-data-cells",
        r"^/admin/auth/group/$",
        r"#result_list",
        "Django's change list writes the first column of each row as a row header (<th>): the "
        'auth Group list shows one column, the group\'s name, so its "Name" column header sits '
        "over row headers only and axe cannot tell whether cells are missing. None are: each row "
        "is its checkbox cell and the name that heads it, read as such by screen readers.",
    ),
    Allowed(
        "color-contrast",
        r"^/admin/auth/user/\d+/change/$",
        r"#id_(groups|user_permissions)_(from|to)",
        "The User page's two-list pickers (groups, permissions) begin at the bottom edge of the "
        "crawl's 900 px high window, so axe finds the list partly off the screen and will not "
        "name its background. Scrolled into view and checked in Chromium: options #333 on the "
        "list's white (computed style), 12.6:1.",
    ),
)
