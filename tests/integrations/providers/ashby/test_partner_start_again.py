"""assessment.start sent again for an order JobCannon already has: the answer is the same assessment
with its current state (Invited, Started, the completed result, or its cancellation or expiry),
exactly the update the write-back sends or sent, never the original "Invited" of a run that has
moved on. Ashby keeps the latest update per assessment by `timestamp`; one that does not would
otherwise show a completed assessment as Invited again. Every answer is checked against Ashby's
partner OpenAPI (partner_spec.Partner)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun
from assessments.services.candidate import answers_save, assessment_run_start, assessment_run_submit
from assessments.services.runs import assessment_run_cancel
from integrations.providers.ashby import constants, services
from integrations.services.writeback import writeback_deliver
from jobcannon.core.models import SentEmail

from .test_partner_schema import example, listed_type_id


@pytest.fixture
def ashby_api(mocked_responses):
    """Ashby's assessment.update endpoint, recording each body the write-back sends."""
    mocked_responses.post(constants.API_BASE + "/assessment.update", json={"success": True})
    return mocked_responses


def _order(partner, **extra) -> dict:
    return {**example("assessment.start"), "assessment_type_id": listed_type_id(partner), **extra}


def _delivered(ashby_api, run: AssessmentRun, event: str) -> dict:
    """Deliver the run's `event` write-back; the assessment.update body Ashby received."""
    writeback_deliver(message_id=run.writebacks.get(event=event, kind=constants.KIND_ASSESSMENT_UPDATE).pk)
    return json.loads(ashby_api.calls[-1].request.body)


def _start_again(partner, order: dict, aid: str) -> dict:
    response = partner.call("/assessment.start", order)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results["assessment_id"] == aid, "the same assessment, not a new one"
    return results["update_request"]


@pytest.mark.django_db
def test_start_again_after_the_candidate_completed_answers_the_completed_update(partner, ashby_api):
    order = _order(partner)
    first = partner.call("/assessment.start", order).json()["results"]
    run = AssessmentRun.objects.get()
    run = assessment_run_start(run=run)
    answers_save(
        run=run, values={i.id: 3 for i in instrument_get(run.instrument, run.instrument_version).items}
    )
    run = assessment_run_submit(run=run)
    completed = _delivered(ashby_api, run, "completed")
    emails = SentEmail.objects.count()

    update = _start_again(partner, order, first["assessment_id"])

    assert update == completed, "the result, exactly as the write-back told Ashby"
    assert update["assessment_status"]["value"] == "Completed" and "assessment_result" in update
    assert update["timestamp"] > first["update_request"]["timestamp"]
    assert AssessmentRun.objects.count() == 1 and SentEmail.objects.count() == emails, "no new invitation"


@pytest.mark.django_db
def test_start_again_while_the_candidate_is_taking_it_answers_started(partner, ashby_api):
    order = _order(partner)
    first = partner.call("/assessment.start", order).json()["results"]
    run = assessment_run_start(run=AssessmentRun.objects.get())
    started = _delivered(ashby_api, run, "started")

    update = _start_again(partner, order, first["assessment_id"])

    assert update == started and update["assessment_status"]["value"] == "Started"
    assert update["timestamp"] > first["update_request"]["timestamp"]


@pytest.mark.django_db
def test_start_again_before_the_candidate_opened_it_is_still_the_invitation(partner):
    order = _order(partner)
    first = partner.call("/assessment.start", order).json()["results"]
    assert _start_again(partner, order, first["assessment_id"]) == first["update_request"]


@pytest.mark.parametrize("outcome", ["cancelled", "expired"])
@pytest.mark.django_db
def test_a_run_that_ends_while_the_start_is_answered_answers_its_end(
    partner, ashby_api, monkeypatch, outcome
):
    """Ashby retries a start while JobCannon cancels the run, or it expires: the retry finds the
    run it already made (its request key was read before the run ended) and answers the
    cancellation or expiry update the write-back sends, not an invitation."""
    order = _order(
        partner, additional_fields={"due_date": (timezone.now() + timedelta(days=3)).date().isoformat()}
    )
    first = partner.call("/assessment.start", order).json()["results"]
    run = AssessmentRun.objects.get()
    real_request_key = services._request_key

    def run_ends_meanwhile(integration, start):
        key = real_request_key(integration, start)
        if outcome == "cancelled":
            assessment_run_cancel(run=run, reason="Withdrawn in JobCannon")
        else:
            from assessments.services.lifecycle import assessment_run_expire

            assessment_run_expire(run=run, now=run.due_at + timedelta(minutes=1))
        return key

    monkeypatch.setattr(services, "_request_key", run_ends_meanwhile)
    update = _start_again(partner, order, first["assessment_id"])

    assert update == _delivered(ashby_api, run, outcome), "the end, exactly as the write-back tells Ashby"
    assert "assessment_status" not in update
    expected = "Withdrawn in JobCannon" if outcome == "cancelled" else "Expired"
    assert update["cancelled_reason"]["value"].startswith(expected)


@pytest.mark.django_db
def test_start_again_after_the_due_date_passed_unswept_is_a_new_order(partner, ashby_api):
    """The run's due date passed and the periodic expiry has not run yet: it is expired now (and
    Ashby told), and sending the assessment again is a new order, as after the sweep."""
    due = (timezone.now() + timedelta(days=3)).date().isoformat()
    order = _order(partner, additional_fields={"due_date": due})
    first = partner.call("/assessment.start", order).json()["results"]
    old = AssessmentRun.objects.get()
    AssessmentRun.objects.filter(pk=old.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    again = partner.call("/assessment.start", {**order, "additional_fields": {}})

    assert again.status_code == 200, again.content
    results = again.json()["results"]
    assert results["assessment_id"] != first["assessment_id"]
    assert results["update_request"]["assessment_status"]["value"] == "Invited"
    old.refresh_from_db()
    assert old.status == "expired"
    assert _delivered(ashby_api, old, "expired")["cancelled_reason"]["value"].startswith("Expired")
    new = AssessmentRun.objects.get(external_assessment_id=results["assessment_id"])
    assert new.status == "invited" and new.external_request_key == old.external_request_key + "#2"


@pytest.mark.django_db
def test_start_again_when_the_periodic_expiry_won_the_race_is_the_same_new_order(
    partner, ashby_api, monkeypatch
):
    """The sweep (or a concurrent retry) expires the overdue run between our read and our own
    expiry: the row says expired, so this retry answers the new order too, not the old id."""
    from assessments.services import lifecycle

    due = (timezone.now() + timedelta(days=3)).date().isoformat()
    order = _order(partner, additional_fields={"due_date": due})
    first = partner.call("/assessment.start", order).json()["results"]
    old = AssessmentRun.objects.get()
    AssessmentRun.objects.filter(pk=old.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    real = lifecycle.assessment_run_expire_if_due

    def sweep_first(*, run):
        lifecycle.assessment_runs_expire_due()  # the periodic expiry takes the row first
        return real(run=run)

    monkeypatch.setattr(lifecycle, "assessment_run_expire_if_due", sweep_first)
    again = partner.call("/assessment.start", {**order, "additional_fields": {}})
    assert again.status_code == 200, again.content
    results = again.json()["results"]
    assert results["assessment_id"] != first["assessment_id"]
    assert results["update_request"]["assessment_status"]["value"] == "Invited"


@pytest.mark.django_db
def test_start_again_after_the_candidates_data_was_deleted_answers_completed_without_scores(partner):
    """An erasure request deleted the result of a completed run; Ashby sends the order again: the
    answer is the completed status (within the published schema), not a 500 on the missing result."""
    from jobcannon.audit.privacy import candidate_delete

    order = _order(partner)
    first = partner.call("/assessment.start", order).json()["results"]
    run = assessment_run_start(run=AssessmentRun.objects.get())
    answers_save(
        run=run, values={i.id: 3 for i in instrument_get(run.instrument, run.instrument_version).items}
    )
    assessment_run_submit(run=run)
    candidate_delete(workspace=partner.integration.workspace, email=order["candidate"]["email"])

    update = _start_again(partner, order, first["assessment_id"])
    assert update["assessment_status"]["value"] == "Completed"
    assert "assessment_result" not in update and "metadata" not in update
