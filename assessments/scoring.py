"""Pure scoring: an instrument definition and a {item_id: value} mapping in, scores out.

No database, no Django. Rules (documented in catalog/README.md):
- reverse-keyed items are scored `min + max - value`;
- a dimension's raw score is the sum of its keyed item values (range n*min .. n*max);
- the 0-100 score is the raw score's position in that range, rounded half up;
- missing answers: up to `max_missing_per_dimension` (20 %) of a dimension's items may be missing;
  the raw score is then prorated (mean of the answered items x number of items). More missing
  raises IncompleteAnswers: we never invent a score from too little data;
- overall: "mean" of the dimension scores, or "max" (the primary style's score, DISC);
- the summary gives each dimension as its raw score on its own range ("26 on the 6–30 scale",
  assessments.scales), the figure every ATS write-back puts beside it (issue 19: no "/100" and no
  0–100 position that would contradict it); the 0–100 score only picks the band and the primary.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from assessments.catalog import Instrument
from assessments.scales import Scales, sub_score_on_scale, sub_score_text


class ScoringError(ValueError):
    pass


class AnswerOutOfRange(ScoringError):
    pass


class UnknownItem(ScoringError):
    pass


class IncompleteAnswers(ScoringError):
    def __init__(self, message: str, *, missing: tuple[str, ...]):
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class DimensionScore:
    key: str
    label: str
    raw: float  # sum of keyed values (prorated when answers are missing)
    raw_min: int
    raw_max: int
    score: int  # 0-100
    answered: int
    items: int


@dataclass(frozen=True)
class Score:
    instrument: str
    version: str
    dimensions: tuple[DimensionScore, ...]
    overall: int
    primary: str  # key of the highest-scoring dimension (first in catalog order on ties)
    answered: int
    missing: tuple[str, ...]
    summary: str

    def dimension_records(self) -> list[dict[str, object]]:
        """The dimensions as Result.dimensions stores them (JSON: one dict per dimension)."""
        return [asdict(d) for d in self.dimensions]


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def validate_answer(instrument: Instrument, item_id: str, value: object) -> int:
    """The checked integer value of one answer; raises UnknownItem / AnswerOutOfRange."""
    if item_id not in instrument.item_ids():
        raise UnknownItem(f"There is no question {item_id!r} in this assessment.")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise AnswerOutOfRange(
            f"Answers must be whole numbers from {instrument.scale.min} to {instrument.scale.max}."
        )
    try:
        number = int(value)
    except ValueError:
        raise AnswerOutOfRange(
            f"Answers must be whole numbers from {instrument.scale.min} to {instrument.scale.max}."
        )
    if not instrument.scale.min <= number <= instrument.scale.max:
        raise AnswerOutOfRange(
            f"{number} is outside the answer scale: choose a value from {instrument.scale.min} to {instrument.scale.max}."
        )
    return number


def keyed_value(instrument: Instrument, value: int, *, reverse: bool) -> int:
    return instrument.scale.min + instrument.scale.max - value if reverse else value


def score_answers(instrument: Instrument, answers: Mapping[str, int]) -> Score:
    for item_id, value in answers.items():
        validate_answer(instrument, item_id, value)
    lo, hi = instrument.scale.min, instrument.scale.max
    dimension_scores: list[DimensionScore] = []
    missing_all: list[str] = []
    too_many: list[str] = []
    for dim in instrument.dimensions:
        items = [i for i in instrument.items if i.dimension == dim.key]
        given = [
            keyed_value(instrument, int(answers[i.id]), reverse=i.reverse) for i in items if i.id in answers
        ]
        missing = [i.id for i in items if i.id not in answers]
        missing_all.extend(missing)
        if not given or len(missing) > instrument.max_missing_per_dimension * len(items):
            too_many.append(dim.label)
            continue
        raw = sum(given) if not missing else sum(given) / len(given) * len(items)
        raw_min, raw_max = lo * len(items), hi * len(items)
        dimension_scores.append(
            DimensionScore(
                key=dim.key,
                label=dim.label,
                raw=round(raw, 2),
                raw_min=raw_min,
                raw_max=raw_max,
                score=_round_half_up((raw - raw_min) / (raw_max - raw_min) * 100),
                answered=len(given),
                items=len(items),
            )
        )
    if too_many:
        raise IncompleteAnswers(
            f"Too many unanswered questions to score: {', '.join(too_many)}.", missing=tuple(missing_all)
        )
    if instrument.overall == "max":
        overall = max(d.score for d in dimension_scores)
    else:
        overall = _round_half_up(sum(d.score for d in dimension_scores) / len(dimension_scores))
    primary = max(dimension_scores, key=lambda d: d.score)  # max() keeps the first on ties
    return Score(
        instrument=instrument.key,
        version=instrument.version,
        dimensions=tuple(dimension_scores),
        overall=overall,
        primary=primary.key,
        answered=len(answers),
        missing=tuple(missing_all),
        summary=summarize(instrument, tuple(dimension_scores), primary.key),
    )


def band(score: int) -> str:
    if score >= 67:
        return "high"
    if score <= 33:
        return "low"
    return "moderate"


def _on_their_scales(dimensions: tuple[DimensionScore, ...], scales: Scales) -> str:
    """ "Influence 14, Steadiness 14 and Conscientiousness 14, each on the 6–30 scale": the raw
    scores, each range said once for the dimensions that share it."""
    groups = []
    placed = [(d.label, *sub_score_on_scale(d, scales)) for d in dimensions]
    for span, group in itertools.groupby(placed, key=lambda p: p[2]):
        named = [f"{label} {value:g}" for label, value, _span in group]
        if len(named) == 1:
            groups.append(f"{named[0]} on the {span} scale")
        else:
            groups.append(f"{', '.join(named[:-1])} and {named[-1]}, each on the {span} scale")
    return "; ".join(groups)


def summarize(instrument: Instrument, dimensions: tuple[DimensionScore, ...], primary: str) -> str:
    """The run's summary, read in the ATS next to its dimensions (Ashby's note and assessment.update,
    Lever's feedback and note, Knit, SmartRecruiters) and on the report: every figure in it is a
    raw score on its dimension's own range, written as assessments.scales writes it there."""
    by_key = {d.key: d for d in instrument.dimensions}
    scales = {d.key: (d.raw_min, d.raw_max) for d in dimensions}
    if instrument.key == "disc":
        top = by_key[primary]
        main = next(d for d in dimensions if d.key == primary)
        others = tuple(d for d in dimensions if d.key != primary)
        return (
            f"Primary style: {top.label} ({sub_score_text(main, scales)}), "
            f"{top.high[0].lower() + top.high[1:]}."
            + (f" {_on_their_scales(others, scales)}." if others else "")
        )
    parts = []
    for d in dimensions:
        level = band(d.score)
        hint = by_key[d.key].high if level == "high" else by_key[d.key].low if level == "low" else "balanced"
        parts.append(f"{d.label}: {level} ({sub_score_text(d, scales)}) — {hint[0].lower() + hint[1:]}.")
    return " ".join(parts)
