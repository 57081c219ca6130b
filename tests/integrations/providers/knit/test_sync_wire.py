"""The Knit sync against Knit's published list shapes (mocked HTTP, fixtures in
tests/fixtures/knit/api/): jobs and applications nested under `info`, stages as {id, text}, the
candidate inside the application, null collections, `pageToken` / `data.nextPageToken` paging,
and a page we cannot read ending as a failed run with the reason, never as a silent zero."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.models import IntegrationActivity, OutboundCall
from integrations.providers.knit import constants
from integrations.sync.models import Application, Candidate, InterviewStage, Job, SyncStatus
from integrations.sync.services import sync_run_start

from .helpers import knit_integration

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "knit" / "api"
JOBS_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_JOB_LIST}"))
APPLICATIONS_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_APPLICATION_LIST}"))


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@pytest.mark.django_db
def test_jobs_nested_under_info_are_synced_across_knit_page_tokens(mocked_responses):
    integration = knit_integration()
    first, last = fixture("ats.job.list.json"), fixture("ats.job.list__last_page.json")
    mocked_responses.get(JOBS_URL, json=first, headers={"X-Knit-Execution-Id": "exe_jobs_1"})
    mocked_responses.get(JOBS_URL, json=last, headers={"X-Knit-Execution-Id": "exe_jobs_2"})

    run = sync_run_start(integration=integration, resource="jobs")

    assert run.status == SyncStatus.SUCCEEDED, run.errors
    assert run.pages == 2 and run.records_upserted >= 3
    calls = mocked_responses.calls
    assert constants.PAGE_TOKEN_PARAM not in _query(calls[0]), "the first page is asked for without a token"
    assert _query(calls[1])[constants.PAGE_TOKEN_PARAM] == [first["data"]["nextPageToken"]]
    job = Job.objects.get(integration=integration, external_id="job_456def")
    assert (job.title, job.status, job.department, job.location) == (
        "Senior Frontend Engineer",
        "OPEN",
        "Engineering",
        "San Francisco",
    )
    assert job.url == "https://jobs.example.com/acme/job_456def"
    stages = InterviewStage.objects.filter(integration=integration, plan_external_id="job_456def")
    assert [s.title for s in stages.order_by("order")] == [
        "Application Review",
        "Skills Assessment",
        "Onsite",
    ]
    closed = Job.objects.get(integration=integration, external_id="job_789ghi")
    assert closed.status == "CLOSED" and closed.department == "", "null collections are empty, not errors"
    assert set(Job.objects.filter(integration=integration).values_list("external_id", flat=True)) == {
        "job_456def",
        "job_789ghi",
        "job_000aaa",
    }
    # Knit's execution id is kept with every call.
    assert list(
        OutboundCall.objects.filter(integration=integration)
        .order_by("pk")
        .values_list("vendor_request_id", flat=True)
    ) == ["exe_jobs_1", "exe_jobs_2"]


@pytest.mark.django_db
def test_applications_bring_their_candidate_and_current_stage(mocked_responses):
    integration = knit_integration()
    mocked_responses.get(APPLICATIONS_URL, json=fixture("ats.application.list.json"))

    run = sync_run_start(integration=integration, resource="applications")

    assert run.status == SyncStatus.SUCCEEDED, run.errors
    application = Application.objects.get(integration=integration, external_id="app_123abc")
    assert application.candidate_external_id == "cand_789xyz"
    assert application.job_external_id == "job_456def"
    assert application.stage_external_id == "job_456def:stg_assessment"
    assert application.stage_title == "Skills Assessment" and application.status == "ACTIVE"
    candidate = Candidate.objects.get(integration=integration, external_id="cand_789xyz")
    assert candidate.name == "Alex Chen" and candidate.email == "alex.chen@example.com"
    assert candidate.phone == "+1 555 0100"
    sparse = Application.objects.get(integration=integration, external_id="app_456def")
    assert sparse.status == "REJECTED" and sparse.stage_external_id == ""
    assert Candidate.objects.get(integration=integration, external_id="cand_456uvw").name == "Jordan"


@pytest.mark.django_db
def test_a_page_of_items_without_an_id_fails_the_run_with_the_reason(mocked_responses):
    integration = knit_integration()
    body = fixture("ats.job.list.json")
    for job in body["data"]["jobs"]:
        job["info"].pop("id")
    body["data"]["nextPageToken"] = None
    mocked_responses.get(JOBS_URL, json=body, headers={"X-Knit-Execution-Id": "exe_bad_page"})

    run = sync_run_start(integration=integration, resource="jobs")

    assert run.status == SyncStatus.FAILED
    assert (
        "none could be synced: 2 had no id (info.id)" in run.last_error["message"]
        and run.last_error["request_id"] == "exe_bad_page"
    )
    assert not Job.objects.filter(integration=integration).exists()
    failed = IntegrationActivity.objects.get(integration=integration, kind="sync.failed")
    assert "2 jobs" in failed.message and "exe_bad_page" in failed.message


@pytest.mark.django_db
def test_an_answer_without_the_documented_list_fails_instead_of_syncing_nothing(mocked_responses):
    integration = knit_integration()
    # A flat top-level list (not Knit's data.applications) is not read as "no applications".
    mocked_responses.get(APPLICATIONS_URL, json={"success": True, "applications": [{"id": "app_1"}]})

    run = sync_run_start(integration=integration, resource="applications")

    assert run.status == SyncStatus.FAILED and "no data.applications list" in run.last_error["message"]


@pytest.mark.django_db
def test_a_list_that_is_not_a_list_fails_instead_of_syncing_nothing(mocked_responses):
    integration = knit_integration()
    body = fixture("ats.job.list.json")
    body["data"]["jobs"] = {"job_456def": body["data"]["jobs"][0]}  # an object keyed by id
    mocked_responses.get(JOBS_URL, json=body, headers={"X-Knit-Execution-Id": "exe_obj"})

    run = sync_run_start(integration=integration, resource="jobs")

    assert run.status == SyncStatus.FAILED, "not a silent zero"
    assert "data.jobs as dict, not a list" in run.last_error["message"]
    assert run.last_error["request_id"] == "exe_obj"


@pytest.mark.django_db
def test_a_null_list_is_knits_empty_collection(mocked_responses):
    integration = knit_integration()
    mocked_responses.get(JOBS_URL, json={"success": True, "data": {"jobs": None, "nextPageToken": None}})

    run = sync_run_start(integration=integration, resource="jobs")

    assert run.status == SyncStatus.SUCCEEDED and run.records_upserted == 0


@pytest.mark.django_db
def test_some_unreadable_items_are_skipped_loudly_and_the_run_is_partial(mocked_responses):
    integration = knit_integration()
    body = copy.deepcopy(fixture("ats.application.list.json"))
    body["data"]["applications"][1]["info"]["id"] = None
    mocked_responses.get(APPLICATIONS_URL, json=body)

    run = sync_run_start(integration=integration, resource="applications")

    assert run.status == SyncStatus.PARTIAL
    assert "1 of 2 applications" in run.warnings[0]["message"]
    assert list(
        Application.objects.filter(integration=integration).values_list("external_id", flat=True)
    ) == ["app_123abc"]


@pytest.mark.django_db
def test_every_run_is_a_full_read_knit_has_no_updated_after_for_ashby(mocked_responses):
    integration = knit_integration()
    mocked_responses.get(APPLICATIONS_URL, json=fixture("ats.application.list.json"))

    sync_run_start(integration=integration, resource="applications")
    second = sync_run_start(integration=integration, resource="applications")

    assert second.status == SyncStatus.SUCCEEDED and second.sync_token_in == ""
    assert all(set(_query(c)) <= {constants.PAGE_TOKEN_PARAM} for c in mocked_responses.calls)
