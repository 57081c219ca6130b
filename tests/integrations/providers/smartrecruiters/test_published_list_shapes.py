"""GET /jobs and GET /candidates as SmartRecruiters publishes them, and the pipeline the sync reads
from them.

SRO (vendor/assessment_api_2021.openapi.json, transcribed from SR's own OpenAPI) gives a job no
hiring process and a candidate's assignment a `status` from CandidateStatusEnum (LEAD, NEW,
IN_REVIEW, INTERVIEW, OFFERED, HIRED, REJECTED, WITHDRAWN, TRANSFERRED) plus a free-text
`subStatus`. Earlier versions of the sandbox answered with `hiringProcess.stages` on every job and
`status: {"stageId": ...}` on every candidate, shapes SR does not publish, and the sync read stages
only from those: the sandbox synced a pipeline and a real company synced none. These tests hold the
sandbox's list items against the vendor schemas (as test_published_order_schemas.py does for
orders) and sync items of the published shapes."""

from __future__ import annotations

import re

import jsonschema
import pytest

from integrations.providers.smartrecruiters import constants, reference
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.sync.models import Application, Job
from integrations.sync.selectors import stage_list_for_job
from integrations.sync.services import sync_run_start

pytestmark = pytest.mark.django_db
PROVIDER = get_provider("smartrecruiters")
JOBS = re.compile(re.escape(constants.API_BASE + "/jobs"))
CANDIDATES = re.compile(re.escape(constants.API_BASE + "/candidates"))


def validate(item, name):
    """jsonschema.validate against SRO's components.schemas[name] (its $refs in the same file)."""
    document = reference.assessment_api()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.validate(item, schema, cls=jsonschema.Draft4Validator)


def _get(integration, path, **params):
    client = PROVIDER.reads_client(integration)
    response = client.request("GET", path, operation="test.read", params=params)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_the_sandbox_answers_jobs_and_candidates_in_srs_published_shapes(connected):
    integration = connected()
    company_id = integration.demo["company_id"]
    job = sim.jobs(company_id)[0]
    people = [
        sim.candidate_create(
            company_id=company_id,
            job_id=job["id"],
            first_name=f"Robin{n}",
            last_name="Example",
            email=f"robin{n}@example.com",
        )
        for n in range(2)
    ]
    sim.put("candidate", people[1]["id"], {**sim.get("candidate", people[1]["id"]), "stageId": "assessment"})

    jobs = _get(integration, "/jobs", limit=100)["content"]
    candidates = _get(integration, "/candidates", limit=100)["content"]
    detail = _get(integration, f"/candidates/{people[1]['id']}")

    assert jobs and len(candidates) == 2
    for item in jobs:
        validate(item, "Job")
        assert "hiringProcess" not in item, "SRO's Job has no hiring process"
    for item in [*candidates, detail]:
        validate(item, "Candidate")
        # The published assignment status is the enum string, not an object with a stage id.
        assert isinstance(item["primaryAssignment"]["status"], str)
    assert detail["primaryAssignment"]["job"] == {
        "id": job["id"],
        "title": job["title"],
        "actions": detail["primaryAssignment"]["job"]["actions"],
    }
    by_id = {c["id"]: c["primaryAssignment"] for c in candidates}
    assert (by_id[people[0]["id"]]["status"], by_id[people[0]["id"]].get("subStatus")) == ("NEW", None)
    assert (by_id[people[1]["id"]]["status"], by_id[people[1]["id"]]["subStatus"]) == (
        "IN_REVIEW",
        "Assessment",
    )


def test_our_candidate_statuses_are_srs_published_enum():
    assert list(constants.CANDIDATE_STATUSES) == reference.schema("CandidateStatusEnum")["enum"]


def _sro_job(job_id="j-1", **extra):
    """A job as SRO publishes it (components.schemas.Job): no hiring process, no stages."""
    return {"id": job_id, "title": "Data Analyst", "refNumber": "REF-9", "status": "SOURCING", **extra}


def _sro_candidate(candidate_id, job_id="j-1", status="IN_REVIEW", sub_status=None):
    """A candidate as SRO publishes it (components.schemas.Candidate)."""
    assignment = {
        "job": {
            "id": job_id,
            "title": "Data Analyst",
            "actions": {"details": {"url": f"{constants.API_BASE}/jobs/{job_id}", "method": "GET"}},
        },
        "status": status,
    }
    if sub_status:
        assignment["subStatus"] = sub_status
    url = f"{constants.API_BASE}/candidates/{candidate_id}"
    return {
        "id": candidate_id,
        "internal": False,
        "firstName": "Pat",
        "lastName": "Example",
        "email": f"{candidate_id}@example.com",
        "createdOn": "2026-01-05T10:00:00Z",
        "updatedOn": "2026-01-06T10:00:00Z",
        "actions": {
            "details": {"url": url, "method": "GET"},
            "properties": {"url": url + "/properties", "method": "GET"},
        },
        "primaryAssignment": assignment,
    }


def test_syncing_published_shapes_gives_every_job_srs_status_stages_and_each_application_its_stage(
    sr, mocked_responses
):
    job, candidates = (
        _sro_job(),
        [
            _sro_candidate("c-1", status="IN_REVIEW", sub_status="Assessment"),
            _sro_candidate("c-2", status="NEW"),
        ],
    )
    validate(job, "Job")
    for candidate in candidates:
        validate(candidate, "Candidate")
    mocked_responses.get(JOBS, json={"totalFound": 1, "content": [job]})
    mocked_responses.get(CANDIDATES, json={"totalFound": 2, "content": candidates})

    assert sync_run_start(integration=sr, resource="jobs").status == "succeeded"
    assert sync_run_start(integration=sr, resource="candidates").status == "succeeded"

    synced = Job.objects.get(integration=sr, external_id="j-1")
    stages = list(stage_list_for_job(job=synced))
    assert [s.external_id for s in stages] == [f"j-1:{s}" for s in constants.CANDIDATE_STATUSES]
    assert [s.title for s in stages][:5] == ["Lead", "New", "In review", "Interview", "Offered"]
    reviewed = Application.objects.get(integration=sr, external_id="c-1:j-1")
    assert reviewed.stage is not None and reviewed.stage.external_id == "j-1:IN_REVIEW"
    assert (reviewed.stage_title, reviewed.status) == ("In review: Assessment", "IN_REVIEW")
    new = Application.objects.get(integration=sr, external_id="c-2:j-1")
    assert (new.stage.title, new.stage_title, new.status) == ("New", "New", "NEW")


def test_a_status_sr_adds_later_is_kept_as_the_applications_status_without_a_stage(sr, mocked_responses):
    mocked_responses.get(CANDIDATES, json={"content": [_sro_candidate("c-9", status="ON_HOLD")]})

    run = sync_run_start(integration=sr, resource="candidates")

    assert run.status == "succeeded", run.last_error
    application = Application.objects.get(integration=sr, external_id="c-9:j-1")
    assert (application.stage_external_id, application.status) == ("", "ON_HOLD")
