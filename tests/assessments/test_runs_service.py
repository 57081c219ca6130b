import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentRun, RunStatus
from assessments.services.runs import (
    ATSRefs,
    CandidateInfo,
    RunAlreadyActive,
    assessment_run_cancel,
    assessment_run_create,
    candidate_url,
    instrument_list,
    run_result,
)
from integrations.models import WritebackMessage
from jobcannon.core.exceptions import ValidationFailed
from jobcannon.core.models import SentEmail

pytestmark = pytest.mark.django_db

CANDIDATE = CandidateInfo(email="ada@example.com", first_name="Ada", last_name="Lovelace")


def test_instrument_list_offers_all_three_instruments_by_default(workspace):
    assert [i.key for i in instrument_list(workspace=workspace)] == ["big5", "disc", "eq"]


def test_assessment_run_create_invites_candidate_with_link_and_default_due_date(workspace):
    run, created = assessment_run_create(workspace=workspace, instrument="big5", candidate=CANDIDATE)

    assert created
    assert run.status == RunStatus.INVITED
    assert run.assessment == Assessment.objects.get(workspace=workspace, instrument="big5", version="1")
    assert abs(run.due_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    email = SentEmail.objects.get()
    assert email.to == "ada@example.com"
    assert candidate_url(run=run) in email.body_text
    assert candidate_url(run=run) in email.body_html


def test_assessment_run_create_is_idempotent_on_request_key(integration):
    refs = ATSRefs(application_id="app-1", request_key="req-1")
    first, created = assessment_run_create(
        workspace=integration.workspace,
        instrument="disc",
        candidate=CANDIDATE,
        integration=integration,
        refs=refs,
    )
    again, created_again = assessment_run_create(
        workspace=integration.workspace,
        instrument="disc",
        candidate=CANDIDATE,
        integration=integration,
        refs=refs,
    )

    assert created and not created_again
    assert again.pk == first.pk
    assert AssessmentRun.objects.count() == 1
    assert SentEmail.objects.count() == 1


def test_assessment_run_create_refuses_second_active_run_for_same_application(integration):
    assessment_run_create(
        workspace=integration.workspace,
        instrument="eq",
        candidate=CANDIDATE,
        integration=integration,
        refs=ATSRefs(application_id="app-1", request_key="a"),
    )

    with pytest.raises(RunAlreadyActive):
        assessment_run_create(
            workspace=integration.workspace,
            instrument="eq",
            candidate=CANDIDATE,
            integration=integration,
            refs=ATSRefs(application_id="app-1", request_key="b"),
        )


@pytest.mark.parametrize(
    ("instrument", "email", "code"),
    [
        ("mbti", "ada@example.com", "unknown_instrument"),
        ("big5", "", "validation_failed"),
        ("big5", "not-an-email", "validation_failed"),
    ],
)
def test_assessment_run_create_rejects_bad_input(workspace, instrument, email, code):
    with pytest.raises(ValidationFailed) as excinfo:
        assessment_run_create(
            workspace=workspace, instrument=instrument, candidate=CandidateInfo(email=email)
        )
    assert excinfo.value.code == code
    assert AssessmentRun.objects.count() == 0


def test_assessment_run_cancel_is_idempotent_and_enqueues_one_writeback(integration):
    run, _ = assessment_run_create(
        workspace=integration.workspace,
        instrument="big5",
        candidate=CANDIDATE,
        integration=integration,
        refs=ATSRefs(request_key="r"),
    )

    assessment_run_cancel(run=run, reason="Candidate withdrew")
    assessment_run_cancel(run=run, reason="again")

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert run.cancelled_reason == "Candidate withdrew"
    assert list(WritebackMessage.objects.values_list("event", flat=True)) == ["cancelled"]


def test_run_result_before_scoring_raises_value_error(workspace):
    run, _ = assessment_run_create(workspace=workspace, instrument="big5", candidate=CANDIDATE)
    with pytest.raises(ValueError):
        run_result(run=run)
