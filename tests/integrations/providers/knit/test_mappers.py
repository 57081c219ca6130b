import copy
import json
from pathlib import Path

import pytest

from integrations.providers.knit import mappers

FIXTURES = Path(__file__).parents[3] / "fixtures" / "knit" / "webhooks"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_bytes())


def test_seed_record_new_maps_candidate_application_job_package_and_origin():
    event = mappers.event_from_payload(fixture("record.new"))
    a = event.assessment
    assert (event.event_id, event.event_type, event.sync_data_type) == (
        "evt_1734567890123",
        "record.new",
        "ats_assessments",
    )
    assert event.triggered_at == 1734567890123
    assert a.id == "ats_ass_a1b2c3d4e5f6g7h8i9j0k"
    assert (a.first_name, a.last_name, a.candidate_email) == ("Alex", "Chen", "alex.chen@example.com")
    assert a.candidate.emails == (mappers.KnitEmail(email="alex.chen@example.com", type="PRIMARY"),)
    assert (a.candidate_id, a.application, a.job, a.type_id) == (
        "cand_789xyz",
        "app_123abc",
        "job_456def",
        "pkg_456",
    )
    assert a.package == mappers.KnitPackage(
        id="pkg_456",
        name="Frontend Engineer Assessment",
        description="Technical Skills Assessment",
        type="SKILLS_TEST",
    )
    assert a.candidate.location == "San Francisco, CA"
    assert a.origin.job_name == "Senior Frontend Engineer"
    assert a.origin.application_status == "IN_REVIEW"
    assert a.status == "NOT_SPECIFIED"


def test_seed_record_deleted_full_of_nulls_maps_to_empty_values():
    event = mappers.event_from_payload(fixture("record.deleted"))
    a = event.assessment
    assert a.id == "ats_ass_x9y8z7w6v5u4t3s2r1q0p"
    assert a.candidate_email == "" and a.first_name == "" and a.candidate.emails == ()
    assert a.package == mappers.KnitPackage(id="", name="", description="", type="")
    assert a.origin.assessment_id == "ats_ass_x9y8z7w6v5u4t3s2r1q0p"
    assert a.status == "CANCELLED"


def _with(path: str, value):
    """The seed's record.new with one key set to `value` (or removed when value is KeyError)."""
    payload = copy.deepcopy(fixture("record.new"))
    *parents, last = path.split(".")
    node = payload
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return payload


CA = "eventData.candidateAssessment"


@pytest.mark.parametrize(
    "path, value",
    [
        (f"{CA}.candidate", None),
        (f"{CA}.candidate", KeyError),
        (f"{CA}.candidate", "not an object"),
        (f"{CA}.candidate.emails", None),
        (f"{CA}.candidate.emails", []),
        (f"{CA}.candidate.emails", [None, {"email": None}, "x"]),
        (f"{CA}.candidate.firstName", None),
        (f"{CA}.candidate.phones", [{"phoneNumber": None}, None]),
        (f"{CA}.candidate.links", "https://example.com"),
        (f"{CA}.assessmentPackage", None),
        (f"{CA}.assessmentPackage", KeyError),
        (f"{CA}.assessmentPackage.id", 456),
        (f"{CA}.originData", None),
        (f"{CA}.originData", KeyError),
        (f"{CA}.originData.candidate", None),
        (f"{CA}.originData.job", []),
        (f"{CA}.applicationId", None),
        (f"{CA}.jobId", KeyError),
        (f"{CA}.status", None),
        ("triggeredAt", "soon"),
        ("triggeredAt", None),
        ("eventId", KeyError),
        ("syncDataType", None),
    ],
)
def test_missing_or_null_optional_fields_never_crash_the_mapper(path, value):
    event = mappers.event_from_payload(_with(path, value))
    assert event.assessment.id == "ats_ass_a1b2c3d4e5f6g7h8i9j0k"
    # Still usable: strings everywhere, no None leaking into the run.
    a = event.assessment
    for text in (
        a.candidate_email,
        a.first_name,
        a.last_name,
        a.application,
        a.job,
        a.type_id,
        a.package.name,
    ):
        assert isinstance(text, str)


def test_unified_fields_fall_back_to_ashby_origin_data():
    event = mappers.event_from_payload(fixture("record.new__origin_data_only"))
    a = event.assessment
    assert (a.candidate_email, a.first_name, a.last_name) == ("jordan.origin@example.com", "Jordan", "Origin")
    assert (a.candidate_id, a.application, a.job, a.type_id) == (
        "cand_origin_1",
        "app_origin_1",
        "job_origin_1",
        "disc",
    )
    context = mappers.run_context(a, event_id=event.event_id)
    assert context["job_name"] == "Data Analyst"
    assert context["candidate_profile_url"] == "https://app.ashbyhq.com/candidates/cand_origin_1"


def test_primary_email_wins_over_work_email():
    payload = _with(
        f"{CA}.candidate.emails",
        [{"email": "work@example.com", "type": "WORK"}, {"email": "me@example.com", "type": "PRIMARY"}],
    )
    assert mappers.event_from_payload(payload).assessment.candidate_email == "me@example.com"


@pytest.mark.parametrize("payload", [{}, {"eventData": None}, {"eventData": {"candidateAssessment": {}}}, []])
def test_an_event_without_any_assessment_id_is_a_value_error(payload):
    with pytest.raises(ValueError):
        mappers.event_from_payload(payload)


def test_record_id_stands_in_for_a_missing_candidate_assessment():
    event = mappers.event_from_payload(fixture("record.deleted__minimal"))
    assert event.assessment.id == "ats_ass_unknown0000000000001"


@pytest.mark.parametrize(
    "package_id, mapping, default, expected",
    [
        ("pkg_456", {"pkg_456": "disc"}, "eq", "disc"),
        ("pkg_456", {}, "eq", "eq"),
        ("pkg_456", {}, "", "big5"),
        ("DISC", {}, "eq", "disc"),
    ],
)
def test_instrument_for_package(package_id, mapping, default, expected):
    assessment = mappers.event_from_payload(_with(f"{CA}.assessmentPackage.id", package_id)).assessment
    assert mappers.instrument_for(assessment, package_map=mapping, default=default) == expected
