"""Recruiter report rendering: a server-rendered bar chart (HTML text, SVG bars) and a PDF (reportlab)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from assessments.catalog import Instrument, instrument_get
from assessments.models import AssessmentRun, Result
from assessments.scoring import band

BAR_COLOR = "#1f5fbf"
TRACK_COLOR = "#e6eaef"


@dataclass(frozen=True)
class ReportRow:
    key: str
    label: str
    score: int
    raw: float
    raw_min: int
    raw_max: int
    band: str
    low: str
    high: str


@dataclass(frozen=True)
class Report:
    run: AssessmentRun
    result: Result
    instrument: Instrument
    rows: tuple[ReportRow, ...]
    primary_label: str

    @property
    def duration_minutes(self) -> int:
        return max(1, round(self.result.duration_seconds / 60)) if self.result.duration_seconds else 0


def report_build(*, run: AssessmentRun) -> Report | None:
    result = Result.objects.filter(run_id=run.pk).first()
    if result is None:
        return None
    # The run's own version: a later catalog version never changes an old report.
    instrument = instrument_get(run.instrument, run.instrument_version)
    dims = {d.key: d for d in instrument.dimensions}
    rows = tuple(
        ReportRow(
            key=d["key"],
            label=d["label"],
            score=int(d["score"]),
            raw=float(d["raw"]),
            raw_min=int(d["raw_min"]),
            raw_max=int(d["raw_max"]),
            band=band(int(d["score"])),
            low=dims[d["key"]].low,
            high=dims[d["key"]].high,
        )
        for d in result.dimensions
    )
    primary = dims.get(result.primary_dimension)
    return Report(
        run=run,
        result=result,
        instrument=instrument,
        rows=rows,
        primary_label=primary.label if primary else "",
    )


TICKS = (0, 25, 50, 75, 100)


def report_chart(rows: tuple[ReportRow, ...], *, title: str) -> SafeString:
    """Horizontal 0-100 bars, one list item per dimension. The words and numbers (labels, scores,
    the scale) are HTML text, so a contrast checker judges them like the page's other text (axe
    does not judge SVG <text>); only each bar is a small SVG, hidden from screen readers, which
    read "<label> <score> out of 100" instead. A bar's length is SVG geometry, not an inline
    style, so the chart does not rely on the CSP's 'unsafe-inline' for styles
    (jobcannon/settings/base.py). Layout and the narrow-screen version: static/assessments/recruiter.css.
    """
    scale = format_html_join("", '<span class="tick tick-{}">{}</span>', ((t, t) for t in TICKS))
    # Stretched to the bar's column (preserveAspectRatio="none"): x is the score, 0-100; the
    # grid lines keep 1 px whatever the stretch, and join up from row to row.
    grid = format_html_join(
        "",
        '<line class="gridline" x1="{}" y1="0" x2="{}" y2="34" stroke="#c9d1d9" stroke-dasharray="2 3" '
        'vector-effect="non-scaling-stroke"/>',
        ((t, t) for t in TICKS),
    )
    items = format_html_join(
        "",
        '<li class="bar-row"><span class="bar-label">{}</span>'
        '<svg class="bar" aria-hidden="true" focusable="false" viewBox="0 0 100 34" '
        'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">{}'
        '<rect y="7" width="100" height="20" rx="1" ry="3" fill="{}"/>'
        '<rect y="7" width="{}" height="20" rx="1" ry="3" fill="{}" data-key="{}" data-score="{}"/></svg>'
        '<span class="bar-score">{}<span class="visually-hidden"> out of 100</span></span></li>',
        ((row.label, grid, TRACK_COLOR, row.score, BAR_COLOR, row.key, row.score, row.score) for row in rows),
    )
    # role="list": Safari drops a <ul>'s list role once its bullets are styled away.
    return format_html(
        '<div class="bar-chart"><div class="bar-axis" aria-hidden="true"><span class="ticks">{}</span></div>'
        '<ul class="bar-rows" role="list" aria-label="{}">{}</ul></div>',
        scale,
        title,
        items,
    )


def report_pdf(report: Report, *, compress: bool = True) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    run, result, instrument = report.run, report.result, report.instrument
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    pdf.setTitle(f"{instrument.name} report – {run.candidate_name or run.candidate_email}")
    pdf.setAuthor("JobCannon")
    width, height = A4
    x0, y = 20 * mm, height - 25 * mm

    def line(
        text: str, *, size: int = 10, bold: bool = False, gap: float = 5.5 * mm, color: Any = colors.black
    ):
        nonlocal y
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.setFillColor(color)
        pdf.drawString(x0, y, text)
        y -= gap

    line(f"{instrument.name}", size=18, bold=True, gap=8 * mm)
    line(f"Candidate: {run.candidate_name or '—'} <{run.candidate_email}>")
    completed = (
        timezone.localtime(run.completed_at).strftime("%d %b %Y %H:%M %Z") if run.completed_at else "—"
    )
    line(
        f"Completed: {completed}   Duration: {report.duration_minutes} min   Version: v{result.instrument_version}"
    )
    line(f"Workspace: {run.workspace.name}", gap=9 * mm)
    line(
        f"Overall score: {result.overall_score}/100"
        + (f"   Primary: {report.primary_label}" if report.primary_label else ""),
        size=12,
        bold=True,
        gap=10 * mm,
    )

    bar_x, bar_w, bar_h = x0 + 55 * mm, 95 * mm, 6 * mm
    for row in report.rows:
        pdf.setFont("Helvetica", 10)
        pdf.setFillColor(colors.black)
        pdf.drawRightString(bar_x - 3 * mm, y + 1.5 * mm, row.label)
        pdf.setFillColor(colors.HexColor(TRACK_COLOR))
        pdf.rect(bar_x, y, bar_w, bar_h, stroke=0, fill=1)
        pdf.setFillColor(colors.HexColor(BAR_COLOR))
        pdf.rect(bar_x, y, bar_w * row.score / 100, bar_h, stroke=0, fill=1)
        pdf.setFillColor(colors.black)
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(bar_x + bar_w + 3 * mm, y + 1.5 * mm, str(row.score))
        y -= 10 * mm

    y -= 2 * mm
    line("Scores by dimension", size=12, bold=True, gap=7 * mm)
    for row in report.rows:
        line(
            f"{row.label}: {row.score}/100 ({row.band}); raw {row.raw:g} of {row.raw_min}-{row.raw_max}",
            bold=True,
        )
        line(f"    Low: {row.low}.  High: {row.high}.", size=9, color=colors.HexColor("#57606a"), gap=7 * mm)
    y -= 2 * mm
    line("Summary", size=12, bold=True, gap=7 * mm)
    pdf.setFont("Helvetica", 10)
    text = pdf.beginText(x0, y)
    for wrapped in _wrap(result.summary, 95):
        text.textLine(wrapped)
    pdf.drawText(text)
    pdf.setFont("Helvetica", 8)
    pdf.setFillColor(colors.HexColor("#57606a"))
    pdf.drawString(x0, 12 * mm, f"Source: {instrument.source[:140]}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines
