"""The SmartRecruiters scorecard fields (candidate properties mapped to a dimension) carry the
dimension's raw score on the instrument's own range, as every other write-back says it (issue 19:
"sub-score scales come from the instrument, not a hard-coded '/100'")."""

from __future__ import annotations

import pytest

from assessments.catalog import instrument_get
from assessments.scoring import score_answers
from integrations.providers.smartrecruiters import mappers
from tests.assessments.scale_checks import contradicting_figures, run_result_of


@pytest.mark.parametrize(("key", "answer"), [("disc", 5), ("big5", 4), ("eq", 2)])
def test_a_dimensions_scorecard_field_is_its_raw_score_on_the_instruments_range(key, answer):
    instrument = instrument_get(key, "1")
    score = score_answers(instrument, {i.id: answer for i in instrument.items})
    result = run_result_of(score)
    field_map = {f"prop-{d.key}": f"subscore:{d.key}" for d in score.dimensions}
    field_map["prop-overall"] = "overall_score"
    values = dict(mappers.scorecard_values(result, field_map))
    for d in score.dimensions:
        text = values[f"prop-{d.key}"]
        assert text == f"{d.raw:g} on the {d.raw_min}–{d.raw_max} scale"
        assert contradicting_figures(f"{d.label} {text}", score.dimensions) == []
    assert values["prop-overall"] == str(score.overall)
