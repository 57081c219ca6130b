"""Per-dimension results as SRO publishes them: PackageResult.assessmentResults is an array of
AssessmentResult (`assessmentId` required; name, assessmentName, status from the PackageResult
enum, score as a Score {raw, min, max} of integers, scoreLabel, dates), vendor/
assessment_api_2021.openapi.json, transcribed from konfig-sdks/openapi-examples
smartrecruiters/openapi.yaml @2d2b1f35. Each of the run's dimensions is one entry, its score on
the instrument's own range (assessments.scales), never a hard-coded 0-100; the sandbox takes what
the schema takes and answers 400 to what it does not."""

import datetime as dt
from types import SimpleNamespace

import pytest

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun
from assessments.scales import dimension_scales
from assessments.services.runs import run_result
from integrations.base import ATSValidationError
from integrations.providers.smartrecruiters import constants, mappers, reference, simulator_schema
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider

from .test_simulator_flow import complete, deliver_all, move, new_candidate

# SRO Score's own example ({raw:28, min:20, max:80}) in an AssessmentResult naming the one
# property the schema requires.
PUBLISHED = {"assessmentId": "openness", "status": "COMPLETED", "score": {"raw": 28, "min": 20, "max": 80}}


def _sub(key, label, score, raw):
    return SimpleNamespace(key=key, label=label, score=score, raw=raw)


def _result(*subs):
    return SimpleNamespace(
        instrument="big5",
        instrument_name="Big Five",
        summary="Curious and steady.",
        overall_score=70,
        max_score=100,
        sub_scores=subs,
        completed_at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
        report_url="https://jobcannon.example.com/assessments/reports/1",
    )


def test_the_vendor_file_holds_srs_assessment_result_schema():
    schema = reference.schema("AssessmentResult")
    assert schema["required"] == ["assessmentId"]
    assert (
        schema["properties"]["status"]["enum"]
        == reference.schema("PackageResult")["properties"]["status"]["enum"]
    )
    assert schema["properties"]["score"]["$ref"] == "#/components/schemas/Score"
    items = reference.schema("PackageResult")["properties"]["assessmentResults"]["items"]
    assert items == {"$ref": "#/components/schemas/AssessmentResult"}


def test_the_published_example_fits_and_what_the_schema_refuses_does_not():
    assert simulator_schema.problems("AssessmentResult", PUBLISHED) == []
    assert simulator_schema.problems("AssessmentResult", {"status": "COMPLETED"}), "assessmentId is required"
    assert simulator_schema.problems("AssessmentResult", {**PUBLISHED, "status": "CANCELLED"})
    assert simulator_schema.problems(
        "AssessmentResult", {**PUBLISHED, "score": {"raw": 28.5, "min": 20, "max": 80}}
    )
    assert simulator_schema.problems("AssessmentResult", {**PUBLISHED, "passed": True})


def test_each_dimension_is_one_assessment_result_on_the_instruments_own_range():
    scales = {"openness": (10, 50), "neuroticism": (10, 50)}
    body = mappers.result_body(
        _result(_sub("openness", "Openness", 72, 38.8), _sub("neuroticism", "Neuroticism", 25, 20)),
        scales=scales,
    )
    assert body["assessmentResults"] == [
        {
            "assessmentId": "big5:openness",
            "name": "Openness",
            "assessmentName": "Openness",
            "status": "COMPLETED",
            "score": {"raw": 39, "min": 10, "max": 50},
            "scoreLabel": "38.8 on the 10–50 scale",
            "submissionDate": "2024-05-01T12:00:00+00:00",
        },
        {
            "assessmentId": "big5:neuroticism",
            "name": "Neuroticism",
            "assessmentName": "Neuroticism",
            "status": "COMPLETED",
            "score": {"raw": 20, "min": 10, "max": 50},
            "scoreLabel": "20 on the 10–50 scale",
            "submissionDate": "2024-05-01T12:00:00+00:00",
        },
    ]
    for item in body["assessmentResults"]:
        assert simulator_schema.problems("AssessmentResult", item) == []
        assert all(type(v) is int for v in item["score"].values()), "SRO Score: integer (int64)"


def test_a_run_without_sub_scores_sends_no_assessment_results():
    assert "assessmentResults" not in mappers.result_body(_result(), scales={})


def _order(client_in_workspace, connected):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = AssessmentRun.objects.get(integration=integration)
    client = get_provider("smartrecruiters").company_client(integration)
    return integration, run, client, f"/assessment-api/v202010/orders/{run.external_assessment_id}/results"


@pytest.mark.django_db
def test_the_sandbox_takes_the_published_example_as_an_assessment_result(client_in_workspace, connected):
    _, run, client, url = _order(client_in_workspace, connected)
    client.order_results_update(url=url, body={"status": "COMPLETED", "assessmentResults": [PUBLISHED]})
    assert sim.get("order", run.external_assessment_id)["result"]["assessmentResults"] == [PUBLISHED]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "item",
    [
        {"status": "COMPLETED", "score": {"raw": 28, "min": 20, "max": 80}},  # no assessmentId
        {**PUBLISHED, "status": "CANCELLED"},  # not in the enum
        {**PUBLISHED, "score": {"raw": 28.5, "min": 20, "max": 80}},  # not an integer
        {**PUBLISHED, "score": {"raw": 28, "max": 80}},  # min is required
        {**PUBLISHED, "score": {"raw": 81, "min": 20, "max": 80}},  # outside [min, max]
        {**PUBLISHED, "passed": None},  # not a property of AssessmentResult
        "openness: 28/80",  # not an object
    ],
)
def test_the_sandbox_answers_400_to_an_assessment_result_outside_the_schema(
    client_in_workspace, connected, item
):
    _, run, client, url = _order(client_in_workspace, connected)
    with pytest.raises(ATSValidationError):
        client.order_results_update(url=url, body={"status": "COMPLETED", "assessmentResults": [item]})
    assert not sim.get("order", run.external_assessment_id).get("result"), "a refused update changes nothing"


@pytest.mark.django_db
def test_a_completed_runs_sub_scores_arrive_in_the_sandbox_as_assessment_results(
    client_in_workspace, connected
):
    _, run, _, _ = _order(client_in_workspace, connected)
    run = complete(run, answer=4)
    deliver_all(run)
    sent = sim.get("order", run.external_assessment_id)["result"]["assessmentResults"]
    scales = dimension_scales(instrument_get(run.instrument, run.instrument_version))
    sub_scores = run_result(run=run).sub_scores
    assert len(sent) == len(sub_scores) == len(scales) > 1
    by_id = {item["assessmentId"]: item for item in sent}
    for sub in sub_scores:
        item = by_id[f"{run.instrument}:{sub.key}"]
        low, high = scales[sub.key]
        assert item["status"] == "COMPLETED" and item["name"] == sub.label
        assert item["score"] == {"raw": mappers.score_integer(sub.raw), "min": low, "max": high}
        assert low <= item["score"]["raw"] <= high


# --- The whole PackageResult, against the vendor file (never our constants) ------------------


def test_our_result_statuses_and_attachment_types_are_srs_published_enums():
    assert constants.RESULT_STATUSES == tuple(
        reference.schema("PackageResult")["properties"]["status"]["enum"]
    )
    assert constants.ATTACHMENT_TYPES == tuple(reference.schema("Attachment")["properties"]["type"]["enum"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"status": "COMPLETED", "passed": None},  # not a PackageResult property, null or not
        {"status": "CANCELLED"},  # not in PackageResult.status's enum
        {"status": "COMPLETED", "scoreLabel": 72},  # scoreLabel is a string
        {"status": "COMPLETED", "submissionDate": 1714564800},  # a date-time string, not a number
        {"status": "COMPLETED", "attachments": [{"type": "REPORT_URL", "url": "https://example.com/r"}]},
    ],
)
def test_the_sandbox_answers_400_to_a_package_result_outside_srs_schema_whatever_our_constants_say(
    client_in_workspace, connected, monkeypatch, body
):
    """The sandbox reads SR's PackageResult from the vendor file: a status or type added to our own
    constants (as CANCELLED and REPORT_URL are here) is still refused, as SR would refuse it."""
    monkeypatch.setattr(constants, "RESULT_STATUSES", (*constants.RESULT_STATUSES, "CANCELLED"))
    monkeypatch.setattr(constants, "ATTACHMENT_TYPES", (*constants.ATTACHMENT_TYPES, "REPORT_URL"))
    _, run, client, url = _order(client_in_workspace, connected)
    with pytest.raises(ATSValidationError) as refused:
        client.order_results_update(url=url, body=body)
    assert refused.value.status_code == 400
    assert not sim.get("order", run.external_assessment_id).get("result"), "a refused update changes nothing"


@pytest.mark.django_db
def test_a_null_member_of_the_result_patch_removes_it_as_rfc_7396_says(client_in_workspace, connected):
    _, run, client, url = _order(client_in_workspace, connected)
    client.order_results_update(url=url, body={"status": "COMPLETED", "summary": "Curious."})
    answer = client.order_results_update(url=url, body={"summary": None})
    assert answer == {"status": "COMPLETED"}
    assert sim.get("order", run.external_assessment_id)["result"] == {"status": "COMPLETED"}
