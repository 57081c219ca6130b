"""The report's bar chart (assessments/reports.py report_chart) on the recruiter's report and the
shared report: its words and numbers are HTML text, so a browser's accessibility checker (axe, in
the crawl) judges their contrast like any other text; only the bars are drawn, and hidden from
screen readers, which read each dimension's label and score instead."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from assessments.reports import ReportRow, report_chart
from assessments.services.candidate import assessment_run_submit
from assessments.services.runs import run_result

pytestmark = pytest.mark.django_db

BIG5_ALL_5 = [  # all-5 Big Five answers: label, score (tests/assessments/test_recruiter_pages.py)
    ("Extraversion", 50),
    ("Agreeableness", 60),
    ("Conscientiousness", 60),
    ("Emotional stability", 20),
    ("Intellect / imagination", 70),
]


class _Chart(HTMLParser):
    """What the chart (<figure class="chart">) shows: its text outside and inside <svg>, the text
    a screen reader reads (outside aria-hidden), each list item's read text, the svgs' attributes
    and the elements that carry a style attribute."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.shown: list[str] = []  # text outside any <svg>
        self.svg_text: list[str] = []  # text inside an <svg> (axe does not judge it)
        self.read: list[str] = []  # text outside aria-hidden
        self.items: list[str] = []  # each <li>'s read text
        self.svgs: list[dict[str, str | None]] = []
        self.styled: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, aria-hidden here or above)
        self._depth_in_chart = 0
        self._svg = 0
        self._item: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if not self._depth_in_chart:
            if tag == "figure" and "chart" in (a.get("class") or "").split():
                self._depth_in_chart = 1
                self._stack = [(tag, False)]
            return
        hidden = self._stack[-1][1] or a.get("aria-hidden") == "true"
        if "style" in a:
            self.styled.append(tag)
        if tag == "svg":
            self.svgs.append(a)
            self._svg += 1
        if tag == "li":
            self._item = []
        if tag not in self.VOID:
            self._stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        if self._depth_in_chart and "style" in dict(attrs):
            self.styled.append(tag)

    def handle_endtag(self, tag):
        if not self._depth_in_chart or tag in self.VOID:
            return
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag == "svg":
                self._svg -= 1
            if open_tag == "li" and self._item is not None:
                self.items.append(" ".join(" ".join(self._item).split()))
                self._item = None
            if open_tag == tag:
                break
        if not self._stack:
            self._depth_in_chart = 0

    def handle_data(self, data):
        if not self._depth_in_chart or not data.strip():
            return
        (self.svg_text if self._svg else self.shown).append(data.strip())
        if not self._stack[-1][1]:
            self.read.append(data.strip())
            if self._item is not None:
                self._item.append(data)


@pytest.fixture
def scored_run(workspace, make_run):
    return assessment_run_submit(run=make_run(workspace, "big5", answer=5))


def _chart_of(response) -> _Chart:
    assert response.status_code == 200
    return _Chart(response.content.decode())


@pytest.mark.parametrize("page", ["report", "shared report"])
def test_the_report_charts_labels_scores_and_scale_are_html_text_and_its_bars_are_hidden(
    page, client_in_workspace, client, scored_run
):
    if page == "report":
        response = client_in_workspace.get(reverse("assessments:report", args=[scored_run.pk]))
    else:
        response = client.get(run_result(run=scored_run).report_url)

    chart = _chart_of(response)

    # Seen: the 0-100 scale, then every label and score, as HTML text; nothing drawn in an svg.
    assert chart.svg_text == []
    assert chart.shown[:5] == ["0", "25", "50", "75", "100"]
    for label, score in BIG5_ALL_5:
        assert label in chart.shown and str(score) in chart.shown
    # Read by a screen reader: one item per dimension, its label and its score out of 100 (then
    # the caption); the scale and the bars (every svg) are hidden from it.
    assert chart.items == [f"{label} {score} out of 100" for label, score in BIG5_ALL_5]
    assert " ".join(chart.read).startswith(" ".join(chart.items))
    assert len(chart.svgs) == len(BIG5_ALL_5)
    assert all(svg.get("aria-hidden") == "true" for svg in chart.svgs)
    # Nothing in the chart needs an inline style (the bars' lengths are SVG geometry).
    assert chart.styled == []


def test_the_report_chart_escapes_its_labels_and_draws_each_bar_at_its_score():
    rows = tuple(
        ReportRow(
            key=f"k{i}",
            label=label,
            score=score,
            raw=score / 25,
            raw_min=0,
            raw_max=4,
            band="mid",
            low="Reserved",
            high="Outgoing",
        )
        for i, (label, score) in enumerate((("R&D <b>", 0), ("Second", 55), ("Third", 100)))
    )

    html = str(report_chart(rows, title="Scores for <Ada>"))

    assert "R&amp;D &lt;b&gt;" in html and "<b>" not in html
    assert "Scores for &lt;Ada&gt;" in html
    for row in rows:
        assert f'width="{row.score}" height="20" rx="1" ry="3" fill="#1f5fbf" ' in html
        assert f'data-key="{row.key}" data-score="{row.score}"' in html
