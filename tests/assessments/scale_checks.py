"""What an ATS may read about a dimension, in any text we send it (a note, a summary, a feedback
field): a number right after a dimension's name is that dimension's raw score, and a range named
is the instrument's own (assessments.scales). Shared by the scoring tests and the Ashby, Lever and
Knit write-back tests."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from assessments.catalog import instrument_get
from assessments.scoring import DimensionScore, Score
from assessments.services.runs import RunResult, SubScore

# A dimension's name, then (within a few words and no digit) the first number that does not start
# a range: "Dominance 26", "Dominance: 26 on the 6–30 scale", "Extraversion: moderate (30 on the
# 10–50 scale)", but not Ashby's label "Dominance (6–30)". Before issue 19's fix the summary gave
# the 0–100 position there: "Dominance (83/100)", "Extraversion: moderate (50)".
_FIGURE = r"[^\d<]{0,20}?(\d+(?:\.\d+)?)(?![\d.]*–)"
_RANGES = (r"on the (\d+)–(\d+) scale", r"\((\d+)–(\d+)\)")


def contradicting_figures(text: str, dimensions: Iterable[DimensionScore]) -> list[str]:
    """Every figure in `text` that disagrees with a dimension's raw score or range, as a sentence
    ([] when none)."""
    dims = list(dimensions)
    problems = ["'/100' in the text"] if "/100" in text else []
    for d in dims:
        for match in re.finditer(re.escape(d.label) + _FIGURE, text):
            if float(match.group(1)) != float(d.raw):
                problems.append(
                    f"{d.label} {match.group(1)}: its raw score is {d.raw:g} ({match.group(0)!r})"
                )
    spans = {(d.raw_min, d.raw_max) for d in dims}
    for pattern in _RANGES:
        for low, high in re.findall(pattern, text):
            if (int(low), int(high)) not in spans:
                problems.append(f"the range {low}–{high} is no dimension's")
    return problems


def run_result_of(score: Score, *, run_id: int = 1) -> RunResult:
    """The RunResult a provider's mapper gets for a run scored `score`, the scorer's summary included."""
    return RunResult(
        run_id=run_id,
        instrument=score.instrument,
        instrument_name=instrument_get(score.instrument, score.version).name,
        overall_score=score.overall,
        max_score=100,
        sub_scores=tuple(
            SubScore(key=d.key, label=d.label, score=d.score, raw=d.raw) for d in score.dimensions
        ),
        summary=score.summary,
        report_url="https://jobcannon.example.com/assessments/reports/abc/",
        completed_at=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
        duration_minutes=12,
    )
