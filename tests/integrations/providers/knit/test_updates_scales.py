"""A result written to Ashby through Knit gives each sub-score on its instrument's own range, as
Ashby's direct write-back does (assessments/scales.py), never as a 0–100 position beside the
overall score's "Max Score" 100."""

import json
import re
from pathlib import Path

import pytest

from assessments.catalog import instrument_get
from assessments.models import Result
from assessments.scoring import score_answers
from integrations.models import WritebackMessage, WritebackStatus
from integrations.providers.knit import constants, updates
from integrations.services.writeback import writeback_deliver
from tests.assessments.scale_checks import contradicting_figures, run_result_of

from .helpers import knit_integration, scored_run

PASSTHROUGH_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_PASSTHROUGH}"))
UPDATE_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_ASSESSMENT_UPDATE}"))
# Knit's published passthrough answer, Ashby's `{"success": true}` wrapped in it.
PASSTHROUGH_ANSWER = json.loads(
    (Path(__file__).resolve().parents[3] / "fixtures" / "knit" / "api" / "passthrough.json").read_text()
)


def disc_run(integration):
    """A DISC v1 run scored by assessments.scoring from real answers (6 items a style on a 1–5
    scale: each style runs 6–30), stored with the scorer's own summary."""
    disc = instrument_get("disc", "1")
    answers = {item.id: 5 if item.dimension == "D" else 2 for item in disc.items}
    score = score_answers(disc, answers)
    run = scored_run(integration, instrument="disc", instrument_version="1")
    Result.objects.filter(run=run).update(
        overall_score=score.overall, dimensions=score.dimension_records(), summary=score.summary
    )
    return run, score


def ashby_update(mocked_responses, result_mode: str) -> dict:
    """The assessment.update Ashby receives: the passthrough's string body, or the unified update's
    metaData (Ashby's own fields, updates.knit_update_body)."""
    sent = json.loads(mocked_responses.calls[-1].request.body)
    if result_mode == constants.RESULT_MODE_PASSTHROUGH:
        return json.loads(sent["body"])
    return sent["metaData"]


@pytest.mark.django_db
@pytest.mark.parametrize("result_mode", [constants.RESULT_MODE_PASSTHROUGH, constants.RESULT_MODE_UPDATE])
def test_a_disc_result_through_knit_reaches_ashby_on_discs_own_6_to_30_scale(mocked_responses, result_mode):
    integration = knit_integration(provider_settings={"result_mode": result_mode})
    run, score = disc_run(integration)
    mocked_responses.post(PASSTHROUGH_URL, json=PASSTHROUGH_ANSWER)
    mocked_responses.post(UPDATE_URL, json={"success": True, "data": {}})
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_ASSESSMENT_UPDATE,
        event="completed",
        idempotency_key=f"t-{run.pk}-completed",
    )

    writeback_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == WritebackStatus.DELIVERED, message.last_error
    blobs = {b["identifier"]: b for b in ashby_update(mocked_responses, result_mode)["metadata"]}
    for d in score.dimensions:
        blob = blobs[f"sub-{d.key}"]
        assert blob["value"] == d.raw, "the raw score Ashby shows, not its 0–100 position"
        assert blob["label"] == f"{d.label} (6–30)"
        assert blob["description"] == f"{d.raw:g} on the 6–30 scale"
    assert {blobs[f"sub-{d.key}"]["value"] for d in score.dimensions} != {d.score for d in score.dimensions}
    # Only the overall score is on 0–100: "Max Score" 100 is its maximum, no sub-score's.
    assert blobs["score-max"]["value"] == 100
    assert all(b["value"] <= 30 for key, b in blobs.items() if key.startswith("sub-"))
    # The summary says the same figures: "Dominance (26 on the 6–30 scale)", not "(83/100)".
    assert blobs["summary"]["value"] == score.summary
    assert blobs["summary"]["value"].startswith("Primary style: Dominance (26 on the 6–30 scale)")
    assert contradicting_figures(blobs["summary"]["value"], score.dimensions) == []


@pytest.mark.parametrize("key", ["big5", "eq"])
def test_every_figure_knit_passes_to_ashby_for_a_dimension_is_on_its_instruments_range(key):
    """Big Five (10–50) and EQ (5–25), every answer 4, through both renderings of the update: the
    summary blob agrees with the sub-* blobs, each dimension's raw score on its own range."""
    instrument = instrument_get(key, "1")
    score = score_answers(instrument, {i.id: 4 for i in instrument.items})
    update = updates.update_completed(assessment_id="ats_ass_1", result=run_result_of(score))
    for ashby in (
        json.loads(updates.passthrough_body(update)["body"]),
        updates.knit_update_body(update)["metaData"],
    ):
        blobs = {b["identifier"]: b for b in ashby["metadata"]}
        assert blobs["summary"]["value"] == score.summary
        assert contradicting_figures(blobs["summary"]["value"], score.dimensions) == []
        for d in score.dimensions:
            assert blobs[f"sub-{d.key}"]["value"] == d.raw
