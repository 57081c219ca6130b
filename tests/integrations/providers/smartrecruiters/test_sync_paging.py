"""How the SmartRecruiters sync pages GET /jobs and GET /candidates, built to SR's own parameter
text (SRO `paths./jobs.get` Jobs_searchJobsByParams and `paths./candidates.get`
Candidates_searchResults, konfig-sdks/openapi-examples:smartrecruiters/openapi.yaml @03ba507a;
the same text in OCM SmartRecruitersJobsJobsAll.php / SmartRecruitersCandidatesCandidatesAll.php):

- GET /jobs `pageId`: "returned as `nextPageId` in previous page result. You must set `job_id`
  value for `sort` parameter if you use `pageId`"; `sort=default` "Can't be used with pageId
  parameter (request might not return all results)"; `offset` is deprecated;
- GET /candidates has no `offset`; the next `pageId` "is returned either in the `nextPageId`
  property, or is available in the HTTP header `Link` value of relation type `next`".

The sandbox holds us to that (400 in SRO's ErrorResponse shape), so a sync that passes here pages
the way SR documents."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from integrations.models import Integration
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.sync.models import Application, Candidate, Job, SyncStatus
from integrations.sync.services import sync_integration, sync_run_start

pytestmark = pytest.mark.django_db
CANDIDATES = re.compile(re.escape(constants.API_BASE + "/candidates"))


def _lists_sent(simulators, path: str) -> list[dict[str, list[str]]]:
    """The query of every GET <path> the sandbox received, in order."""
    return [
        parse_qs(urlsplit(call.request.url).query)
        for call in simulators.calls
        if call.request.method == "GET" and urlsplit(call.request.url).path.endswith(f"/api{path}")
    ]


def _seed(integration: Integration, *, jobs: int, candidates: int) -> tuple[list[str], list[str]]:
    """The sandbox company's jobs (demo_setup made one) topped up to `jobs`, `candidates` on the first."""
    company = integration.demo["company_id"]
    while len(sim.jobs(company)) < jobs:
        sim.put(
            "job",
            sim.new_id("job-"),
            {"company": company, "title": "Data Analyst", "stages": sim.DEMO_STAGES},
        )
    job_ids = [j["id"] for j in sim.jobs(company)]
    for n in range(len(sim.candidates(company)), candidates):
        sim.candidate_create(
            company_id=company,
            job_id=job_ids[0],
            first_name=f"Pat{n}",
            last_name="Example",
            email=f"pat{n}@example.com",
        )
    return job_ids, [c["id"] for c in sim.candidates(company)]


# --- our requests, against the sandbox ------------------------------------------------------------


def test_a_two_page_jobs_sync_asks_for_job_id_order_on_every_page(connected, simulators):
    integration = connected(provider_settings={"sync_page_size": 1})
    job_ids, _ = _seed(integration, jobs=2, candidates=0)

    run = sync_run_start(integration=integration, resource="jobs")

    assert run.status == SyncStatus.SUCCEEDED, run.last_error
    assert sorted(
        Job.objects.filter(integration=integration).values_list("external_id", flat=True)
    ) == sorted(job_ids)
    sent = _lists_sent(simulators, "/jobs")
    pages = [
        q for q in sent if q.get("limit") == ["1"]
    ]  # the sync's pages (the connect's check asks limit=1 too)
    assert len(pages) >= 2 and "pageId" in pages[-1], sent
    assert all(q.get("sort") == ["job_id"] for q in pages if "pageId" in q), sent
    assert pages[-1]["sort"] == ["job_id"]
    assert not any("offset" in q for q in sent), "offset is deprecated on GET /jobs"


def test_a_full_sync_against_the_sandbox_reads_every_page_of_jobs_and_candidates(connected, simulators):
    integration = connected(provider_settings={"sync_page_size": 2})
    job_ids, people = _seed(integration, jobs=5, candidates=5)

    runs = sync_integration(integration=integration)

    assert [(r.resource, r.status) for r in runs] == [
        ("jobs", SyncStatus.SUCCEEDED),
        ("candidates", SyncStatus.SUCCEEDED),
    ], [r.last_error for r in runs]
    assert [r.pages for r in runs] == [3, 3]  # 5 jobs and 5 candidates, 2 a page
    assert sorted(
        Job.objects.filter(integration=integration).values_list("external_id", flat=True)
    ) == sorted(job_ids)
    assert sorted(
        Candidate.objects.filter(integration=integration).values_list("external_id", flat=True)
    ) == sorted(people)
    assert Application.objects.filter(integration=integration).count() == 5
    candidate_pages = _lists_sent(simulators, "/candidates")
    assert [("pageId" in q) for q in candidate_pages] == [False, True, True]
    assert not any("offset" in q for q in candidate_pages)

    # The next run is incremental: `updatedAfter` on every page, beside `pageId`, never `offset`.
    again = sync_run_start(integration=integration, resource="candidates")
    assert again.status == SyncStatus.SUCCEEDED and again.pages == 3, again.last_error
    latest = _lists_sent(simulators, "/candidates")[3:]
    assert all("updatedAfter" in q for q in latest) and not any("offset" in q for q in latest)


# --- the sandbox answers as SR documents -----------------------------------------------------------


def _get(client, name: str, token: str, **params: str):
    return client.get(
        reverse(f"integrations:sim-smartrecruiters:{name}"), params, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.fixture
def sandbox_token(sr_sim):
    integration = sr_sim()
    _seed(integration, jobs=3, candidates=3)
    return sim.tokens_issue(company_id=integration.demo["company_id"], scopes=list(constants.SCOPES))[
        "access_token"
    ]


def test_the_sandbox_refuses_page_id_on_jobs_without_job_id_order(client, sandbox_token):
    first = _get(client, "api-jobs-sync", sandbox_token, limit="1", sort="job_id")
    assert first.status_code == 200
    page_id = first.json()["nextPageId"]

    for params in ({}, {"sort": "default"}):
        refused = _get(client, "api-jobs-sync", sandbox_token, limit="1", pageId=page_id, **params)
        assert refused.status_code == 400, params
        body = refused.json()
        # SRO ErrorResponse {message, errors: [{code, message}]}; INVALID_PAGE_ID is the one code
        # SRO lists for GET /jobs' 400 ("provided page id is invalid").
        assert [e["code"] for e in body["errors"]] == ["INVALID_PAGE_ID"]
        assert "sort=job_id" in body["message"]

    followed = _get(client, "api-jobs-sync", sandbox_token, limit="1", pageId=page_id, sort="job_id")
    assert followed.status_code == 200 and followed.json()["content"]


def test_the_sandbox_refuses_offset_on_candidates(client, sandbox_token):
    refused = _get(client, "api-candidates-sync", sandbox_token, limit="1", offset="1")

    assert refused.status_code == 400
    body = refused.json()
    assert body["errors"][0]["code"] and "offset" in body["message"] and "pageId" in body["message"]
    assert _get(client, "api-candidates-sync", sandbox_token, limit="1").status_code == 200


def test_the_sandbox_pages_candidates_by_next_page_id_and_the_link_header(client, sandbox_token):
    first = _get(client, "api-candidates-sync", sandbox_token, limit="2")
    body = first.json()

    assert body["nextPageId"] and f"pageId={body['nextPageId']}" in first["Link"].replace("%3D", "=")
    assert 'rel="next"' in first["Link"]
    last = _get(client, "api-candidates-sync", sandbox_token, limit="2", pageId=body["nextPageId"])
    assert "nextPageId" not in last.json() and "Link" not in last


# --- our paging rules, on SR's documented answers (mocked HTTP) -------------------------------------


def _candidate(n: int) -> dict:
    return {"id": f"c-{n}", "firstName": "Pat", "lastName": f"Example{n}", "email": f"pat{n}@example.com"}


def test_the_next_page_is_read_from_the_link_header_when_the_body_has_no_next_page_id(sr, mocked_responses):
    sent: list[dict[str, list[str]]] = []

    def answer(request):
        query = parse_qs(urlsplit(request.url).query)
        sent.append(query)
        if query.get("pageId") == ["SKYfn51w%2F=="]:
            return 200, {}, '{"totalFound": 2, "content": [{"id": "c-2"}]}'
        # SRO's own Link example: </candidates?limit=10&pageId=...>; rel="next"
        link = '</candidates?limit=1&pageId=SKYfn51w%252F%3D%3D>; rel="next"'
        return 200, {"Link": link}, '{"totalFound": 2, "content": [{"id": "c-1"}]}'

    mocked_responses.add_callback("GET", CANDIDATES, callback=answer, content_type="application/json")

    run = sync_run_start(integration=sr, resource="candidates")

    assert run.status == SyncStatus.SUCCEEDED, run.last_error
    assert [q.get("pageId") for q in sent] == [None, ["SKYfn51w%2F=="]]
    assert sorted(Candidate.objects.filter(integration=sr).values_list("external_id", flat=True)) == [
        "c-1",
        "c-2",
    ]


def test_without_a_next_page_id_the_run_ends_and_never_pages_by_offset(sr, mocked_responses):
    sent: list[dict[str, list[str]]] = []

    def answer(request):
        sent.append(parse_qs(urlsplit(request.url).query))
        return 200, {}, '{"totalFound": 3, "offset": 0, "limit": 1, "content": [{"id": "c-1"}]}'

    mocked_responses.add_callback("GET", CANDIDATES, callback=answer, content_type="application/json")

    run = sync_run_start(integration=sr, resource="candidates")

    assert len(sent) == 1 and "offset" not in sent[0], sent  # SR lists no offset on GET /candidates
    assert run.pages == 1
    # SR said 3 and handed no next page: said on the run, not a silent success with 1 of 3.
    assert run.status == SyncStatus.PARTIAL
    assert any("totalFound" in w["message"] and "1 of 3" in w["message"] for w in run.warnings), run.warnings
