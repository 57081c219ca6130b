import datetime as dt
import json

from assessments.services.runs import RunResult, SubScore
from integrations.providers.knit import constants, updates
from integrations.providers.knit.reference import candidate_assessment_model

RESULT = RunResult(
    run_id=7,
    instrument="big5",
    instrument_name="Big Five",
    overall_score=72,
    max_score=100,
    # Big Five v1: 10 items a dimension on 1–5, raw 10–50; 38 is 70 % of the way.
    sub_scores=(SubScore(key="O", label="Openness", score=70, raw=38.0),),
    summary="Curious.",
    report_url="https://jobcannon.example.com/assessments/reports/abc/",
    completed_at=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
    duration_minutes=14,
)


# Knit's Candidate Assessment model, transcribed by hand from its page and shipped with the provider
# (integrations/providers/knit/vendor/, read as package data; the simulator validates against it too).
PUBLISHED_MODEL = candidate_assessment_model()


def test_completed_update_uses_knits_published_candidate_assessment_fields():
    body = updates.knit_update_body(updates.update_completed(assessment_id="ats_ass_1", result=RESULT))
    # Knit's model: id, status and metaData are its names; nothing we invented at the top level.
    assert set(body) == {"id", "status", "metaData"} and set(body) <= set(PUBLISHED_MODEL["fields"])
    assert body["id"] == "ats_ass_1" and body["status"] == "COMPLETED"
    assert body["status"] in PUBLISHED_MODEL["fields"]["status"]["enum"]
    assert isinstance(body["metaData"], dict)  # the model's JsonObject
    # The result, for which Knit's model has no field: Ashby's assessment.update values in metaData.
    result = body["metaData"]
    assert result["timestamp"] == int(RESULT.completed_at.timestamp() * 1000)
    assert result["assessment_result"] == {
        "identifier": "score",
        "label": "Big Five score",
        "type": "numeric_score",
        "value": 72,
    }
    assert result["assessment_profile_url"]["type"] == "url"
    assert result["assessment_profile_url"]["value"] == RESULT.report_url
    identifiers = {m["identifier"]: m for m in result["metadata"]}
    assert identifiers["score-max"]["value"] == 100
    assert identifiers["duration"]["type"] == "numeric_duration_minutes"
    # The sub-score on Big Five's own range, not its 0–100 position (test_updates_scales.py: DISC).
    assert identifiers["sub-O"]["label"] == "Openness (10–50)" and identifiers["sub-O"]["value"] == 38
    assert "assessment_id" not in result  # sent once, as Knit's `id`


def test_passthrough_sends_ashby_assessment_update_as_a_json_string():
    update = updates.update_cancelled(assessment_id="ats_ass_2", reason="Candidate withdrew", at=None)
    body = updates.passthrough_body(update)
    assert body["method"] == "POST" and body["path"] == "/assessment.update"
    # Knit's passthrough takes the app's body as a string, not as a nested object.
    assert isinstance(body["body"], str)
    inner = json.loads(body["body"])
    assert inner["assessment_id"] == "ats_ass_2"
    assert inner["cancelled_reason"]["value"] == "Candidate withdrew"
    assert "assessment_result" not in inner


def test_expired_is_knit_expired_and_closes_the_ashby_assessment_with_a_reason():
    update = updates.update_expired(assessment_id="ats_ass_4", at=RESULT.completed_at)
    body = updates.knit_update_body(update)
    assert body["status"] == "EXPIRED" and body["metaData"]["cancelled_reason"]["value"].startswith("Expired")
    inner = json.loads(updates.passthrough_body(update)["body"])
    assert inner["cancelled_reason"]["label"] == "Expired" and "assessment_status" not in inner


def test_started_update_tells_ashby_started_with_knit_started():
    body = updates.knit_update_body(
        updates.update_started(assessment_id="ats_ass_3", started_at=RESULT.completed_at)
    )
    assert body["status"] == "STARTED"
    assert body["metaData"]["assessment_status"]["value"] == "Started"
    assert "assessment_result" not in body["metaData"] and "assessment_profile_url" not in body["metaData"]


# Knit's ATS Assessments Data Models page (developers.getknit.dev/reference/assessments-apis),
# Candidate Assessment `status`, verbatim.
KNIT_PUBLISHED_STATUSES = (
    "STARTED, IN_PROGRESS, COMPLETED, REJECTED, EXPIRED, PENDING, CANCELLED, NOT_SPECIFIED"
)


def test_every_status_we_send_is_one_knit_publishes():
    published = set(KNIT_PUBLISHED_STATUSES.split(", "))
    assert set(PUBLISHED_MODEL["fields"]["status"]["enum"]) == published
    assert set(constants.KNIT_ASSESSMENT_STATUSES) == published
    sent = {
        updates.update_started(assessment_id="a", started_at=None).knit_status,
        updates.update_completed(assessment_id="a", result=RESULT).knit_status,
        updates.update_cancelled(assessment_id="a", reason="", at=None).knit_status,
        updates.update_expired(assessment_id="a", at=None).knit_status,
    }
    assert sent == {"STARTED", "COMPLETED", "CANCELLED", "EXPIRED"} and sent <= published


def test_the_unified_body_takes_every_field_name_from_the_one_guessed_constant(monkeypatch):
    """Knit publishes no body for ats.candidate.assessment.update: correcting the guess is an edit of
    constants.UPDATE_BODY_FIELDS alone."""
    renamed = {ours: f"x_{knits}" for ours, knits in constants.UPDATE_BODY_FIELDS.items()}
    monkeypatch.setattr(constants, "UPDATE_BODY_FIELDS", renamed)
    body = updates.knit_update_body(updates.update_completed(assessment_id="ats_ass_5", result=RESULT))
    assert set(body) == {"x_id", "x_status", "x_metaData"}
    assert body["x_id"] == "ats_ass_5" and body["x_status"] == "COMPLETED"
    assert body["x_metaData"]["assessment_result"]["value"] == 72
