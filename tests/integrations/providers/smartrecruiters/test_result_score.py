"""The result's score as SRO publishes it: PackageResult.score is Score {raw, min, max}, all
three required, each `type: integer, format: int64`, "raw value in a range from min to max -
including min and max", with the example {raw:28, min:20, max:80} (vendor/
assessment_api_2021.openapi.json). We send integers rounded (never truncated); the sandbox takes
what the schema takes and answers 400 to what it does not."""

import datetime as dt
from types import SimpleNamespace

import pytest

from assessments.models import AssessmentRun
from integrations.base import ATSValidationError
from integrations.providers.smartrecruiters import mappers, reference
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider

from .test_simulator_flow import move, new_candidate

pytestmark = pytest.mark.django_db


def _result(overall, max_score=100):
    return SimpleNamespace(
        instrument="big5",
        instrument_name="Big Five",
        sub_scores=(),  # the dimensions' assessmentResults: test_assessment_results.py
        summary="Curious and steady.",
        overall_score=overall,
        max_score=max_score,
        completed_at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
        report_url="https://jobcannon.example.com/assessments/reports/1",
    )


def test_the_vendor_file_says_score_is_integers_with_all_three_required():
    score = reference.schema("Score")
    assert set(score["required"]) == {"raw", "min", "max"}
    assert {p["type"] for p in score["properties"].values()} == {"integer"}


@pytest.mark.parametrize("overall, raw", [(72, 72), (72.6, 73), (72.5, 73), (72.4, 72), (99.9, 100)])
def test_a_fractional_score_is_rounded_to_the_nearest_integer_not_truncated(overall, raw):
    body = mappers.result_body(_result(overall))
    assert body["score"] == {"raw": raw, "min": 0, "max": 100}
    assert all(type(v) is int for v in body["score"].values()), "SRO Score: integer (int64)"


def _order(client_in_workspace, connected):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    order_id = AssessmentRun.objects.get(integration=integration).external_assessment_id
    client = get_provider("smartrecruiters").company_client(integration)
    return client, order_id, f"/assessment-api/v202010/orders/{order_id}/results"


def test_the_sandbox_takes_srs_published_score_example_and_our_rounded_score(client_in_workspace, connected):
    client, order_id, url = _order(client_in_workspace, connected)
    client.order_results_update(
        url=url, body={"status": "COMPLETED", "score": {"raw": 28, "min": 20, "max": 80}}
    )
    assert sim.get("order", order_id)["result"]["score"] == {"raw": 28, "min": 20, "max": 80}
    client.order_results_update(url=url, body=mappers.result_body(_result(72.6)))
    assert sim.get("order", order_id)["result"]["score"] == {"raw": 73, "min": 0, "max": 100}


@pytest.mark.parametrize(
    "score",
    [
        {"raw": 28.5, "min": 20, "max": 80},  # not an integer
        {"raw": 28, "max": 80},  # min is required
        {"raw": "28", "min": 20, "max": 80},  # a string is not an integer
        {"raw": 81, "min": 20, "max": 80},  # outside [min, max]
        {"raw": 19, "min": 20, "max": 80},
    ],
)
def test_the_sandbox_answers_400_to_a_score_outside_the_schema(client_in_workspace, connected, score):
    client, order_id, url = _order(client_in_workspace, connected)
    with pytest.raises(ATSValidationError):
        client.order_results_update(url=url, body={"status": "COMPLETED", "score": score})
    assert not sim.get("order", order_id).get("result"), "a refused update changes nothing"
