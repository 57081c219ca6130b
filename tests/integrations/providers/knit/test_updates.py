import datetime as dt
import json

from assessments.services.runs import RunResult, SubScore
from integrations.providers.knit import constants, updates

RESULT = RunResult(
    run_id=7,
    instrument="big5",
    instrument_name="Big Five",
    overall_score=72,
    max_score=100,
    sub_scores=(SubScore(key="O", label="Openness", score=70, raw=3.8),),
    summary="Curious.",
    report_url="https://jobcannon.example.com/assessments/reports/abc/",
    completed_at=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
    duration_minutes=14,
)


def test_completed_update_carries_ashby_assessment_update_fields_in_knit_camel_case():
    body = updates.knit_update_body(updates.update_completed(assessment_id="ats_ass_1", result=RESULT))
    assert body["candidateAssessmentId"] == "ats_ass_1" and body["status"] == "COMPLETED"
    assert body["timestamp"] == int(RESULT.completed_at.timestamp() * 1000)
    assert body["assessmentResult"] == {
        "identifier": "score",
        "label": "Big Five score",
        "type": "numeric_score",
        "value": 72,
    }
    assert body["assessmentProfileUrl"]["type"] == "url"
    assert body["assessmentProfileUrl"]["value"] == RESULT.report_url
    identifiers = {m["identifier"]: m for m in body["metadata"]}
    assert identifiers["score-max"]["value"] == 100
    assert identifiers["duration"]["type"] == "numeric_duration_minutes"
    assert identifiers["sub-O"]["label"] == "Openness"


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
    assert body["status"] == "EXPIRED" and body["cancelledReason"]["value"].startswith("Expired")
    inner = json.loads(updates.passthrough_body(update)["body"])
    assert inner["cancelled_reason"]["label"] == "Expired" and "assessment_status" not in inner


def test_started_update_tells_ashby_started_with_knit_started():
    body = updates.knit_update_body(
        updates.update_started(assessment_id="ats_ass_3", started_at=RESULT.completed_at)
    )
    assert body["status"] == "STARTED"
    assert body["assessmentStatus"]["value"] == "Started"
    assert "assessmentResult" not in body and "assessmentProfileUrl" not in body


# Knit's ATS Assessments Data Models page (developers.getknit.dev/reference/assessments-apis),
# Candidate Assessment `status`, verbatim.
KNIT_PUBLISHED_STATUSES = (
    "STARTED, IN_PROGRESS, COMPLETED, REJECTED, EXPIRED, PENDING, CANCELLED, NOT_SPECIFIED"
)


def test_every_status_we_send_is_one_knit_publishes():
    published = set(KNIT_PUBLISHED_STATUSES.split(", "))
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
    assert set(body) <= set(renamed.values())
    assert body["x_candidateAssessmentId"] == "ats_ass_5" and body["x_status"] == "COMPLETED"
    assert body["x_assessmentResult"]["value"] == 72
