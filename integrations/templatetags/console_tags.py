"""Template helpers of the customer console: the server-rendered SVG chart (no JavaScript,
no CDN) and small display helpers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from integrations.selectors import OUTCOMES, Chart

register = template.Library()

BAR_WIDTH = 5
PLOT_HEIGHT = 120


@register.inclusion_tag("integrations/_chart.html")
def webhook_chart_svg(
    chart: Chart, title: str = "Webhook deliveries per hour, last 7 days"
) -> dict[str, Any]:
    peak = chart.max_total or 1
    bars = []
    for i, bar in enumerate(chart.bars):
        if not bar.total:
            continue
        y = float(PLOT_HEIGHT)
        segments = []
        for key, _label, colour in OUTCOMES:
            n = bar.counts.get(key, 0)
            if not n:
                continue
            height = max(1.0, round(n / peak * PLOT_HEIGHT, 2))
            y -= height
            segments.append({"y": round(y, 2), "height": height, "colour": colour, "key": key})
        summary = ", ".join(
            f"{bar.counts[k]} {label.lower()}" for k, label, _ in OUTCOMES if bar.counts.get(k)
        )
        local = timezone.localtime(bar.start)
        bars.append({"x": i * BAR_WIDTH, "segments": segments, "title": f"{local:%a %d %b %H:00}: {summary}"})
    day_lines = [
        {"x": i * BAR_WIDTH}
        for i, bar in enumerate(chart.bars)
        if i and timezone.localtime(bar.start).hour == 0
    ]
    return {
        "chart": chart,
        "title": title,
        "bars": bars,
        "day_lines": day_lines,
        "width": len(chart.bars) * BAR_WIDTH,
        "height": PLOT_HEIGHT,
        "peak": chart.max_total,
        "outcomes": [
            {"key": k, "label": label, "colour": c, "total": chart.totals.get(k, 0)}
            for k, label, c in OUTCOMES
        ],
        "days": [
            {
                "date": day,
                "counts": [counts.get(k, 0) for k, _, _ in OUTCOMES],
                "total": sum(counts.values()),
                # The label spans as many hours as the chart shows of that day.
                "hours": sum(1 for b in chart.bars if timezone.localtime(b.start).date() == day),
            }
            for day, counts in chart.days
        ],
    }


@register.simple_tag
def state_label(state: str) -> str:
    return {"ok": "Passed", "fail": "Failing", "waiting": "Not yet"}.get(state, state)
