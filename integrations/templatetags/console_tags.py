"""Template helpers of the customer console: the server-rendered SVG chart (no JavaScript,
no CDN) and small display helpers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from integrations.models import Integration
from integrations.registry import provider_for
from integrations.selectors import OUTCOMES, Chart

register = template.Library()


@register.filter
def provider_name(integration: Integration) -> str:
    """`{{ integration|provider_name }}`: the ATS's display name, from the registry (an
    Integration sits below the registry and hands out no provider object)."""
    return provider_for(integration).name


BAR_WIDTH = 5
PLOT_HEIGHT = 120


@register.inclusion_tag("integrations/_chart.html")
def webhook_chart_svg(
    chart: Chart, title: str = "Webhook deliveries per hour, last 7 days"
) -> dict[str, Any]:
    # The bars are formatted here, not looped over in the template: 168 hours x 4 outcomes
    # through the template engine took 100+ ms, most of a log page's time.
    peak = chart.max_total or 1
    tz = timezone.get_current_timezone()
    local = [bar.start.astimezone(tz) for bar in chart.bars]
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
            segments.append(
                f'<rect x="{i * BAR_WIDTH}" y="{round(y, 2)}" width="4" height="{height}" fill="{colour}"></rect>'
            )
        summary = ", ".join(
            f"{bar.counts[k]} {label.lower()}" for k, label, _ in OUTCOMES if bar.counts.get(k)
        )
        bars.append(
            f"<g><title>{escape(f'{local[i]:%a %d %b %H:00}: {summary}')}</title>{''.join(segments)}</g>"
        )
    day_lines = [
        f'<line x1="{i * BAR_WIDTH}" x2="{i * BAR_WIDTH}" y1="0" y2="{PLOT_HEIGHT}" stroke="#d0d7de" stroke-width="0.5"></line>'
        for i, start in enumerate(local)
        if i and start.hour == 0
    ]
    hours_of_day = Counter(start.date() for start in local)
    return {
        "chart": chart,
        "title": title,
        "bars_svg": mark_safe("".join(bars)),  # noqa: S308 - numbers, our colours and escaped titles
        "day_lines_svg": mark_safe("".join(day_lines)),  # noqa: S308 - numbers only
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
                "hours": hours_of_day[day],
            }
            for day, counts in chart.days
        ],
    }


@register.simple_tag
def state_label(state: str) -> str:
    return {"ok": "Passed", "fail": "Failing", "waiting": "Not yet"}.get(state, state)
