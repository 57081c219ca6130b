"""The SmartRecruiters sync reads SR's list answer `{"content": [...], "totalFound", ...}` (SRD
Customer API) and, like Knit's (knit/sync.py page_read), never turns an answer it cannot read into
a run that "succeeds" with zero records: no `content` list, or a page none of whose items has an
id, fails the run with the reason; items without an id on a readable page are skipped with a
warning (mocked HTTP, the OAuth token)."""

from __future__ import annotations

import re

import pytest

from integrations.models import IntegrationActivity
from integrations.providers.smartrecruiters import constants
from integrations.sync.models import Candidate, Job, SyncStatus
from integrations.sync.services import sync_run_start

pytestmark = pytest.mark.django_db
JOBS = re.compile(re.escape(constants.API_BASE + "/jobs"))
CANDIDATES = re.compile(re.escape(constants.API_BASE + "/candidates"))


def _job(job_id, title="Data Analyst", **extra):
    # SRO components.schemas.Job: no hiring process; `department` is optional.
    return {"id": job_id, "title": title, "status": "SOURCING", **extra}


def test_a_readable_page_is_synced_and_items_without_an_id_are_skipped_with_a_warning(sr, mocked_responses):
    mocked_responses.get(
        JOBS, json={"totalFound": 3, "offset": 0, "limit": 100, "content": [_job("j-1"), {"title": "?"}, "x"]}
    )

    run = sync_run_start(integration=sr, resource="jobs")

    assert run.status == SyncStatus.PARTIAL, run.last_error
    assert list(Job.objects.filter(integration=sr).values_list("external_id", flat=True)) == ["j-1"]
    assert [w["message"] for w in run.warnings] == ["2 of 3 jobs on this page had no id and were skipped."]


def test_a_page_none_of_whose_candidates_has_an_id_fails_the_run_with_the_reason(sr, mocked_responses):
    # Before: candidate["id"] raised KeyError, a crash without a reason.
    mocked_responses.get(
        CANDIDATES,
        json={
            "totalFound": 2,
            "content": [{"firstName": "Pat", "email": "pat@example.com"}, {"uuid": "u-2"}],
        },
        headers={"X-Request-Id": "sr-req-bad"},
    )

    run = sync_run_start(integration=sr, resource="candidates")

    assert run.status == SyncStatus.FAILED
    message = run.last_error["message"]
    assert "returned 2 candidates on page 1 of GET /candidates, none with an id" in message
    assert not Candidate.objects.filter(integration=sr).exists()
    assert IntegrationActivity.objects.filter(integration=sr, kind="sync.failed").exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"totalFound": 1, "items": [_job("j-1")]}, "has no content list"),  # a renamed list
        ({"totalFound": 1, "content": {"j-1": _job("j-1")}}, "has content as dict, not a list"),
        ([_job("j-1")], "has no content list"),  # a bare array
    ],
)
def test_an_answer_without_the_content_list_fails_instead_of_syncing_nothing(
    sr, mocked_responses, body, reason
):
    mocked_responses.get(JOBS, json=body)

    run = sync_run_start(integration=sr, resource="jobs")

    assert run.status == SyncStatus.FAILED, "not a silent zero"
    assert f"SmartRecruiters' answer to GET /jobs (page 1) {reason}" in run.last_error["message"]
    assert not Job.objects.filter(integration=sr).exists()


def test_an_empty_content_list_is_an_empty_company_not_an_error(sr, mocked_responses):
    mocked_responses.get(JOBS, json={"totalFound": 0, "offset": 0, "limit": 100, "content": []})

    run = sync_run_start(integration=sr, resource="jobs")

    assert run.status == SyncStatus.SUCCEEDED and not run.warnings


def test_a_job_without_a_department_is_synced_with_none_not_the_text_none(sr, mocked_responses):
    # Before: str(None) stored the department "None" for every job SR sent without one.
    mocked_responses.get(
        JOBS,
        json={"content": [_job("j-1"), _job("j-2", department={"id": "d-1", "label": "Sales"})]},
    )

    run = sync_run_start(integration=sr, resource="jobs")

    assert run.status == SyncStatus.SUCCEEDED, run.last_error
    departments = dict(Job.objects.filter(integration=sr).values_list("external_id", "department"))
    assert departments == {"j-1": "", "j-2": "Sales"}
