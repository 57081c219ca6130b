"""Knit's own published example of an ATS application's sync eventData (Watch subset of Fields
In Syncs, https://developers.getknit.dev/docs/sync-watch-fields), kept byte-for-byte in
tests/fixtures/knit/sync/, read through the same mapping the sync uses: the application nested
under `info` with its candidate, and the current stage as `{"id", "text"}`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from integrations.base import SyncedApplication, SyncedCandidate
from integrations.providers.knit import constants
from integrations.providers.knit.sync import application_records
from integrations.sync.models import Application, Candidate, SyncStatus
from integrations.sync.services import sync_run_start

from .helpers import knit_integration

PUBLISHED = (
    Path(__file__).resolve().parents[3]
    / "fixtures"
    / "knit"
    / "sync"
    / "ats_applications.event_data__sync_watch_fields.jsonc"
)
APPLICATIONS_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_APPLICATION_LIST}"))


def published_event_data() -> dict:
    """The page's block as JSON: its `// data` placeholder lines (elided collections) dropped,
    which leaves those collections empty."""
    text = PUBLISHED.read_text()
    return json.loads(re.sub(r"(?m)^\s*// data\s*$\n?", "", text))


def test_the_fixture_is_the_published_block_with_its_placeholders():
    text = PUBLISHED.read_text()
    assert text.count("// data") == 5, "interviews, rejection, offers, attachments, questionResponses"
    assert '"currentStage": {\n    "id": "JLUnI5TFKWbhQ1k",\n    "text": "Technical Test"\n  }' in text


def test_the_published_application_maps_to_its_candidate_job_and_current_stage():
    candidate, application = application_records(published_event_data())

    assert isinstance(candidate, SyncedCandidate) and isinstance(application, SyncedApplication)
    assert (candidate.external_id, candidate.name, candidate.phone) == (
        "X73cKg1NAFUJTec",
        "ABC DEF",
        "000-000-00",
    )
    assert application.external_id == "lRQ03MnbWBSTKHX"
    assert application.candidate_external_id == "X73cKg1NAFUJTec"
    assert application.job_external_id == "Ty60CurNfqp5I9r"
    # [F] the stage is {"id", "text"}: the id scoped to the job, the text as the stage's title.
    assert application.stage_external_id == "Ty60CurNfqp5I9r:JLUnI5TFKWbhQ1k"
    assert application.stage_title == "Technical Test"
    assert application.status == "ACTIVE"
    assert application.applied_at is not None and application.applied_at.year == 1970


@pytest.mark.django_db
def test_a_list_page_of_the_published_application_is_synced(mocked_responses):
    integration = knit_integration()
    page = {"success": True, "data": {"applications": [published_event_data()], "nextPageToken": None}}
    mocked_responses.get(APPLICATIONS_URL, json=page, headers={"X-Knit-Execution-Id": "exe_published"})

    run = sync_run_start(integration=integration, resource="applications")

    assert run.status == SyncStatus.SUCCEEDED, run.errors
    application = Application.objects.get(integration=integration, external_id="lRQ03MnbWBSTKHX")
    assert application.stage_external_id == "Ty60CurNfqp5I9r:JLUnI5TFKWbhQ1k"
    assert application.stage_title == "Technical Test" and application.status == "ACTIVE"
    assert Candidate.objects.get(integration=integration, external_id="X73cKg1NAFUJTec").name == "ABC DEF"


def _keys(item: dict) -> tuple[set, set, set]:
    return set(item), set(item["info"]), set(item["info"]["candidate"])


@pytest.mark.django_db
def test_the_sandbox_answers_applications_with_the_published_example_fields():
    """The built-in Knit's application carries every key of Knit's published example, the
    candidate's location (a string there: "Delhi, India") and questionResponses included."""
    from integrations.providers.knit import sync_simulator
    from integrations.simulator_plugins.models import SimulatorObject

    sync_simulator.sync_seed("int_published", jobs=1, candidates=2)
    rows = SimulatorObject.objects.filter(provider="knit", kind=sync_simulator.KIND_APPLICATION).order_by(
        "id"
    )
    items = [sync_simulator._application(row) for row in rows]

    assert all(_keys(item) == _keys(published_event_data()) for item in items)
    locations = [item["info"]["candidate"]["location"] for item in items]
    assert all(isinstance(location, str) and location for location in locations)


@pytest.mark.parametrize(
    "values",
    [(None, None), ("Delhi, India", [{"question": "Notice period?", "answer": "1 month"}]), "absent"],
    ids=["null", "published-values", "absent"],
)
def test_the_mapping_reads_an_application_with_or_without_location_and_question_responses(values):
    item = published_event_data()
    if values == "absent":
        del item["info"]["candidate"]["location"], item["questionResponses"]
    else:
        item["info"]["candidate"]["location"], item["questionResponses"] = values

    candidate, application = application_records(item)

    assert (candidate.external_id, candidate.name) == ("X73cKg1NAFUJTec", "ABC DEF")
    assert application.stage_title == "Technical Test" and application.status == "ACTIVE"


# --- what an application needs to be usable ---------------------------------------------------
# We keep an application as "a candidate in a job's pipeline": it is read through its candidate
# (sync selectors, privacy export and erasure key on the candidate) and its stage is scoped to its
# job. Knit's published example has both (info.jobId, info.candidate.id); the same example with
# one of them removed is an application we cannot use, so it is counted and reported, never stored.

WITHOUT = {
    "jobId": (lambda item: item["info"].pop("jobId"), "no job (info.jobId)"),
    "candidate": (lambda item: item["info"].pop("candidate"), "no candidate id (info.candidate.id)"),
    "candidate.id": (lambda item: item["info"]["candidate"].pop("id"), "no candidate id (info.candidate.id)"),
}


def _published_without(field: str, application_id: str = "lRQ03MnbWBSTKHX") -> dict:
    item = published_event_data()
    item["info"]["id"] = application_id
    WITHOUT[field][0](item)
    return item


def _page(*items: dict) -> dict:
    return {"success": True, "data": {"applications": list(items), "nextPageToken": None}}


@pytest.mark.django_db
@pytest.mark.parametrize("field", list(WITHOUT))
def test_a_page_of_published_applications_missing_what_we_need_fails_the_run(mocked_responses, field):
    from integrations.models import IntegrationActivity

    integration = knit_integration()
    page = _page(_published_without(field, "app_a"), _published_without(field, "app_b"))
    mocked_responses.get(APPLICATIONS_URL, json=page, headers={"X-Knit-Execution-Id": "exe_unusable"})

    run = sync_run_start(integration=integration, resource="applications")

    assert run.status == SyncStatus.FAILED, "not a silent zero, nor orphan applications"
    reason = WITHOUT[field][1]
    assert f"2 had {reason}" in run.last_error["message"]
    assert run.last_error["request_id"] == "exe_unusable"
    assert not Application.objects.filter(integration=integration).exists()
    failed = IntegrationActivity.objects.get(integration=integration, kind="sync.failed")
    assert "2 applications" in failed.message and reason in failed.message


@pytest.mark.django_db
def test_published_applications_missing_what_we_need_are_skipped_and_counted_by_reason(mocked_responses):
    integration = knit_integration()
    page = _page(
        published_event_data(),
        _published_without("jobId", "app_no_job"),
        _published_without("candidate", "app_no_candidate"),
    )
    mocked_responses.get(APPLICATIONS_URL, json=page)

    run = sync_run_start(integration=integration, resource="applications")

    assert run.status == SyncStatus.PARTIAL
    [warning] = [w["message"] for w in run.warnings]
    assert "2 of 3 applications" in warning
    assert "1 had no job (info.jobId)" in warning
    assert "1 had no candidate id (info.candidate.id)" in warning
    assert list(
        Application.objects.filter(integration=integration).values_list("external_id", flat=True)
    ) == ["lRQ03MnbWBSTKHX"]
