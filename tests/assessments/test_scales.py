"""Each dimension's range, as every ATS write-back prints a sub-score (assessments.scales; no database)."""

import pytest

from assessments.catalog import INSTRUMENT_KEYS, instrument_get
from assessments.scales import dimension_scales, instrument_scales, sub_score_text
from assessments.scoring import score_answers
from assessments.services.runs import SubScore


@pytest.mark.parametrize("key", INSTRUMENT_KEYS)
def test_the_ranges_are_the_ones_the_scorer_stores_on_every_result(key):
    instrument = instrument_get(key, "1")
    scored = score_answers(instrument, {i.id: instrument.scale.min for i in instrument.items})
    assert dimension_scales(instrument) == {d.key: (d.raw_min, d.raw_max) for d in scored.dimensions}


def test_the_catalog_ranges_in_v1():
    """catalog/README.md, Scoring rule 3: Big Five 10–50, DISC 6–30, EQ 5–25: none is 0–100."""
    assert set(instrument_scales("big5", "1").values()) == {(10, 50)}
    assert set(instrument_scales("disc", "1").values()) == {(6, 30)}
    assert set(instrument_scales("eq").values()) == {(5, 25)}


def test_a_sub_score_is_written_as_its_raw_score_on_its_range():
    scales = instrument_scales("disc", "1")
    assert sub_score_text(SubScore(key="D", label="Dominance", score=72, raw=23.28), scales) == (
        "23.28 on the 6–30 scale"
    )
    assert sub_score_text(SubScore(key="I", label="Influence", score=25, raw=12.0), scales) == (
        "12 on the 6–30 scale"
    )


def test_a_dimension_the_instrument_lacks_says_it_is_on_0_to_100():
    assert sub_score_text(SubScore(key="X", label="Other", score=40, raw=3.0), {}) == "40 on the 0–100 scale"
    assert instrument_scales("no-such-instrument") == {}
