"""Each dimension's own score range, and a sub-score written on it, for every ATS write-back.

A dimension's raw score is the sum of its keyed item values, so its range is `n × scale.min …
n × scale.max` for its n items (catalog/README.md, "Scoring" rule 3: Big Five 10–50, DISC 6–30,
EQ 5–25 in v1). The 0–100 sub-score is only that raw score's position in the range, so an ATS
note says "38.8 on the 10–50 scale", taken from the instrument the run was scored with, never a
hard-coded "/100". Pure: no database, no Django; the Ashby and Lever mappers both use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from assessments.catalog import Instrument, UnknownInstrument, instrument_get

# {dimension key: (lowest, highest) raw score}
Scales = Mapping[str, tuple[int, int]]


class ScoredDimension(Protocol):
    """What a sub-score needs to be placed on its scale (assessments.services.runs.SubScore)."""

    @property
    def key(self) -> str: ...

    @property
    def score(self) -> int: ...

    @property
    def raw(self) -> float: ...


def dimension_scales(instrument: Instrument) -> dict[str, tuple[int, int]]:
    """{dimension key: (lowest, highest) raw score} from the instrument's item scale and item count."""
    counts: dict[str, int] = {}
    for item in instrument.items:
        counts[item.dimension] = counts.get(item.dimension, 0) + 1
    return {key: (n * instrument.scale.min, n * instrument.scale.max) for key, n in counts.items()}


def instrument_scales(key: str, version: str | None = None) -> dict[str, tuple[int, int]]:
    """dimension_scales() of a catalog instrument (its latest version when `version` is None); an
    instrument the catalog does not know has no scales, so its sub-scores say "0–100"."""
    try:
        return dimension_scales(instrument_get(key, version))
    except UnknownInstrument:
        return {}


def sub_score_on_scale(score: ScoredDimension, scales: Scales) -> tuple[float | int, str]:
    """(value, range) of a sub-score on its instrument's own scale: the raw score and "10–50".
    A dimension the instrument does not list (never for a run scored with it) falls back to its
    0–100 position, labelled as such."""
    if score.key not in scales:
        return score.score, "0–100"
    low, high = scales[score.key]
    raw = int(score.raw) if float(score.raw).is_integer() else score.raw
    return raw, f"{low}–{high}"


def sub_score_text(score: ScoredDimension, scales: Scales) -> str:
    """ "38.8 on the 10–50 scale": the raw score on the instrument's own range."""
    value, span = sub_score_on_scale(score, scales)
    return f"{value:g} on the {span} scale"
