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


def test_instrument_list_follows_workspace_configuration(workspace):
    from assessments.models import AssessmentConfig

    AssessmentConfig.objects.create(workspace=workspace, offered_instruments=["eq"])

    assert [i.key for i in instrument_list(workspace=workspace)] == ["eq"]
    with pytest.raises(ValidationFailed) as excinfo:
        assessment_run_create(workspace=workspace, instrument="big5", candidate=CANDIDATE)
    assert excinfo.value.code == "instrument_not_offered"


def test_branded_template_uses_brand_name_and_colour(workspace):
    from assessments.models import AssessmentConfig

    AssessmentConfig.objects.create(
        workspace=workspace,
        offered_instruments=["disc"],
        email_template="branded",
        brand_name="Acme Talent",
        brand_color="#aa3300",
        default_due_days=3,
    )
    run, _ = assessment_run_create(workspace=workspace, instrument="disc", candidate=CANDIDATE)

    email = SentEmail.objects.get()
    assert email.subject.startswith("Acme Talent: your DISC work style assessment")
    assert "#aa3300" in email.body_html and "Acme Talent" in email.body_html
    assert abs(run.due_at - (timezone.now() + dt.timedelta(days=3))) < dt.timedelta(minutes=1)


def test_default_template_names_the_company_and_the_due_date(workspace):
    run, _ = assessment_run_create(workspace=workspace, instrument="eq", candidate=CANDIDATE)

    email = SentEmail.objects.get()
    assert email.subject == f"Your Emotional intelligence (EQ) assessment for {workspace.name}"
    assert f"JobCannon, on behalf of {workspace.name}" in email.body_text
    assert run.due_at.strftime("%-d %B %Y") in email.body_text


def test_send_invitation_false_leaves_the_run_created_without_email(workspace):
    run, _ = assessment_run_create(
        workspace=workspace, instrument="eq", candidate=CANDIDATE, send_invitation=False
    )
    assert run.status == RunStatus.CREATED
    assert not SentEmail.objects.exists()


def test_past_or_naive_due_date_is_rejected(workspace):
    with pytest.raises(ValidationFailed):
        assessment_run_create(
            workspace=workspace,
            instrument="eq",
            candidate=CANDIDATE,
            due_at=timezone.now() - dt.timedelta(hours=1),
        )
    with pytest.raises(ValidationFailed):
        assessment_run_create(
            workspace=workspace,
            instrument="eq",
            candidate=CANDIDATE,
            due_at=dt.datetime(2030, 1, 1),  # noqa: DTZ001
        )


def test_failed_invitation_email_is_recorded_not_raised(workspace, monkeypatch):
    from assessments.services import runs

    def broken(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(runs, "run_email_send", broken)
    run, created = assessment_run_create(workspace=workspace, instrument="eq", candidate=CANDIDATE)

    assert created and run.status == RunStatus.CREATED
    assert "SMTP down" in run.invitation_error


def test_run_scores_with_the_version_it_was_started_on(workspace, make_run, tmp_path, monkeypatch):
    import json
    import shutil

    from assessments import catalog
    from assessments.models import Result
    from assessments.services.candidate import assessment_run_submit

    run = make_run(workspace, "eq", answer=5)  # started on v1
    # Publish a v2 in which every item is reverse keyed: it must not touch the v1 run.
    for key in catalog.INSTRUMENT_KEYS:
        shutil.copytree(catalog.CATALOG_DIR / key, tmp_path / key)
    v2 = json.loads((tmp_path / "eq" / "v1.json").read_text())
    v2["version"] = "2"
    for item in v2["items"]:
        item["keyed"] = "-"
    (tmp_path / "eq" / "v2.json").write_text(json.dumps(v2))
    monkeypatch.setattr(catalog, "CATALOG_DIR", tmp_path)
    catalog.instrument_get.cache_clear()
    try:
        assert catalog.latest_version("eq") == "2"
        assessment_run_submit(run=run)
        new_run = make_run(workspace, "eq", send_invitation=False)
    finally:
        catalog.instrument_get.cache_clear()

    assert Result.objects.get(run=run).instrument_version == "1"
    # v1 with all 5s: SA/SO/RM 4 positive + 1 reverse item = 21 of 5..25 (80), SM 3 + 2 = 17 (60).
    assert run_result(run=run).overall_score == 75
    assert new_run.instrument_version == "2"


def test_completed_writeback_is_enqueued_with_the_result_in_place(integration, make_run):
    from assessments.services.candidate import assessment_run_submit

    run = make_run(integration.workspace, "disc", integration=integration, answer=4)
    assessment_run_submit(run=run)

    message = WritebackMessage.objects.get(run=run, event="completed")
    assert message.kind == "result:completed"
    assert run_result(run=message.run).overall_score == 67


def test_cancel_of_a_finished_run_changes_nothing(integration, make_run):
    from assessments.services.candidate import assessment_run_submit

    run = assessment_run_submit(run=make_run(integration.workspace, "eq", integration=integration, answer=3))
    assessment_run_cancel(run=run, reason="too late")

    assert run.status == RunStatus.SCORED
    assert not WritebackMessage.objects.filter(event="cancelled").exists()
