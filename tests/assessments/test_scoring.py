"""Pure scoring on known answer vectors (no database)."""

import pytest

from assessments.catalog import INSTRUMENT_KEYS, instrument_get
from assessments.scoring import (
    AnswerOutOfRange,
    IncompleteAnswers,
    UnknownItem,
    score_answers,
    validate_answer,
)

from .scale_checks import contradicting_figures

BIG5 = instrument_get("big5", "1")
DISC = instrument_get("disc", "1")
EQ = instrument_get("eq", "1")


def all_answers(instrument, value):
    return {item.id: value for item in instrument.items}


def keyed(instrument, *, high: bool):
    """Answers that push every dimension to its maximum (high) or minimum."""
    top, bottom = instrument.scale.max, instrument.scale.min
    return {i.id: (top if (i.keyed == "+") == high else bottom) for i in instrument.items}


def scores(result):
    return {d.key: d.score for d in result.dimensions}


def raws(result):
    return {d.key: d.raw for d in result.dimensions}


def test_big5_all_max_answers_score_by_each_domains_reverse_keyed_share():
    result = score_answers(BIG5, all_answers(BIG5, 5))

    # E 5+/5-, A 6+/4-, C 6+/4-, ES 2+/8-, O 7+/3-: raw = 5*plus + 1*minus.
    assert raws(result) == {"E": 30, "A": 34, "C": 34, "ES": 18, "O": 38}
    assert scores(result) == {"E": 50, "A": 60, "C": 60, "ES": 20, "O": 70}
    assert result.overall == 52


def test_big5_all_min_answers_mirror_all_max():
    result = score_answers(BIG5, all_answers(BIG5, 1))

    assert raws(result) == {"E": 30, "A": 26, "C": 26, "ES": 42, "O": 22}
    assert scores(result) == {"E": 50, "A": 40, "C": 40, "ES": 80, "O": 30}
    assert result.overall == 48


@pytest.mark.parametrize("key", INSTRUMENT_KEYS)
def test_keyed_maximum_answers_score_100_and_keyed_minimum_score_0(key):
    instrument = instrument_get(key)

    high = score_answers(instrument, keyed(instrument, high=True))
    low = score_answers(instrument, keyed(instrument, high=False))

    assert set(scores(high).values()) == {100} and high.overall == 100
    assert set(scores(low).values()) == {0} and low.overall == 0


def test_reverse_keyed_item_counts_inverted():
    answers = all_answers(BIG5, 3)
    baseline = score_answers(BIG5, answers)
    answers["b5_06"] = 1  # "Don't talk a lot." (Extraversion, reverse keyed): 1 counts as 5
    result = score_answers(BIG5, answers)

    assert raws(baseline)["E"] == 30
    assert raws(result)["E"] == 32
    assert scores(result)["E"] == 55


def test_disc_overall_is_the_primary_styles_score_and_ties_go_to_catalog_order():
    answers = all_answers(DISC, 4)  # each style: 5 items at 4 + one reverse item at 2 = 22 of 6..30
    result = score_answers(DISC, answers)
    assert scores(result) == {"D": 67, "I": 67, "S": 67, "C": 67}
    assert result.primary == "D"

    for item in DISC.items:
        if item.dimension == "S":
            answers[item.id] = 5 if item.keyed == "+" else 1
    result = score_answers(DISC, answers)
    assert result.primary == "S"
    assert result.overall == 100
    assert result.summary.startswith("Primary style: Steadiness (30 on the 6–30 scale)")


def test_a_disc_summary_gives_each_style_as_its_raw_score_on_6_to_30():
    """Issue 19: the summary reaches every ATS beside the dimensions on their instrument's own
    range, so it says the same figures, not the 0–100 positions ("Dominance (83/100)")."""
    answers = {item.id: 5 if item.dimension == "D" else 2 for item in DISC.items}
    result = score_answers(DISC, answers)
    assert raws(result) == {"D": 26, "I": 14, "S": 14, "C": 14}
    assert result.summary == (
        "Primary style: Dominance (26 on the 6–30 scale), direct, decisive, results-driven. "
        "Influence 14, Steadiness 14 and Conscientiousness 14, each on the 6–30 scale."
    )


def test_a_big_five_summary_gives_each_band_with_its_raw_score_on_10_to_50():
    """All 5s (the known vector: E 50, A 60, C 60, ES 20, O 70 on 0–100): the bands come from
    the 0–100 position, the figures are the raw scores on 10–50."""
    result = score_answers(BIG5, all_answers(BIG5, 5))
    assert result.summary == (
        "Extraversion: moderate (30 on the 10–50 scale) — balanced. "
        "Agreeableness: moderate (34 on the 10–50 scale) — balanced. "
        "Conscientiousness: moderate (34 on the 10–50 scale) — balanced. "
        "Emotional stability: low (18 on the 10–50 scale) — reacts strongly to stress, moody. "
        "Intellect / imagination: high (38 on the 10–50 scale) — curious, imaginative, enjoys ideas."
    )


@pytest.mark.parametrize("key", INSTRUMENT_KEYS)
@pytest.mark.parametrize("value", [1, 2, 4, 5])
def test_no_figure_in_a_summary_contradicts_a_dimensions_raw_score_or_range(key, value):
    instrument = instrument_get(key, "1")
    first = instrument.dimensions[0].key
    answers = {i.id: value if i.dimension == first else 3 for i in instrument.items}
    del answers[next(i.id for i in instrument.items if i.dimension == first)]  # prorated
    result = score_answers(instrument, answers)
    assert contradicting_figures(result.summary, result.dimensions) == []
    for d in result.dimensions:
        assert f"{d.label} {d.raw:g}" in result.summary or f"({d.raw:g} on the" in result.summary


def test_a_prorated_raw_score_is_written_in_the_summary_as_it_is_stored():
    answers = {i.id: 4 if i.dimension == "SA" else 3 for i in EQ.items}
    del answers[next(i.id for i in EQ.items if i.dimension == "SA")]
    result = score_answers(EQ, answers)
    assert raws(result)["SA"] == 17.5
    assert result.summary.startswith("Self-awareness: moderate (17.5 on the 5–25 scale) — balanced. ")


def test_eq_midpoint_answers_score_50_everywhere():
    result = score_answers(EQ, all_answers(EQ, 3))
    assert scores(result) == {"SA": 50, "SM": 50, "SO": 50, "RM": 50}
    assert result.overall == 50


def test_missing_answers_up_to_20_percent_of_a_dimension_are_prorated():
    answers = all_answers(BIG5, 5)
    del answers["b5_01"], answers["b5_06"]  # two of ten Extraversion items (one +, one -)
    result = score_answers(BIG5, answers)

    extraversion = next(d for d in result.dimensions if d.key == "E")
    assert extraversion.answered == 8
    assert extraversion.raw == 30  # mean of the 8 answered keyed values (3.75) x 10 items
    assert result.missing == ("b5_01", "b5_06")


def test_more_than_20_percent_missing_in_a_dimension_is_not_scored():
    answers = all_answers(BIG5, 5)
    for item_id in ("b5_01", "b5_06", "b5_11"):
        del answers[item_id]

    with pytest.raises(IncompleteAnswers) as excinfo:
        score_answers(BIG5, answers)
    assert "Extraversion" in str(excinfo.value)
    assert excinfo.value.missing == ("b5_01", "b5_06", "b5_11")


@pytest.mark.parametrize("value", [0, 6, -1, "abc", 3.5, True, None])
def test_out_of_range_or_non_integer_answers_are_rejected(value):
    with pytest.raises(AnswerOutOfRange):
        validate_answer(BIG5, "b5_01", value)


def test_out_of_range_answer_in_a_vector_fails_scoring():
    answers = all_answers(EQ, 3)
    answers["eq_01"] = 7
    with pytest.raises(AnswerOutOfRange, match="from 1 to 5"):
        score_answers(EQ, answers)


def test_unknown_item_is_rejected():
    with pytest.raises(UnknownItem):
        validate_answer(DISC, "b5_01", 3)
