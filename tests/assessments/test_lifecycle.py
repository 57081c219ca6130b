"""Reminders before the due date and expiry at the due date (the periodic tasks' services)."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments import tasks
from assessments.models import AssessmentConfig, AssessmentRun, RunStatus
from assessments.services.lifecycle import assessment_reminders_send, assessment_runs_expire_due
from integrations.models import WritebackMessage
from jobcannon.core.models import SentEmail

pytestmark = pytest.mark.django_db


def set_due(run, **delta):
    AssessmentRun.objects.filter(pk=run.pk).update(due_at=timezone.now() + dt.timedelta(**delta))


def test_schedules_are_declared_for_reminders_and_expiry():
    assert dict(tasks.SCHEDULES) == {
        "assessments.tasks.assessment_reminders_send_task": 15,
        "assessments.tasks.assessment_runs_expire_task": 5,
        "assessments.tasks.assessment_runs_purge_task": 1440,
    }


def test_expiry_expires_overdue_active_runs_once_and_tells_the_ats(integration, make_run):
    overdue = make_run(integration.workspace, "big5", integration=integration, started=True)
    set_due(overdue, minutes=-5)
    not_due = make_run(integration.workspace, "disc", integration=integration, request_key="r2")

    assert tasks.assessment_runs_expire_task() == 1
    assert assessment_runs_expire_due() == 0

    overdue.refresh_from_db()
    not_due.refresh_from_db()
    assert overdue.status == RunStatus.EXPIRED and overdue.expired_at
    assert not_due.status == RunStatus.INVITED
    assert list(WritebackMessage.objects.filter(event="expired").values_list("run_id", flat=True)) == [
        overdue.pk
    ]


def test_expiry_leaves_finished_and_cancelled_runs_alone(workspace, make_run):
    from assessments.services.candidate import assessment_run_submit

    done = assessment_run_submit(run=make_run(workspace, "eq", answer=3))
    set_due(done, minutes=-5)

    assert assessment_runs_expire_due() == 0
    done.refresh_from_db()
    assert done.status == RunStatus.SCORED


def test_reminder_is_sent_once_within_the_reminder_window(workspace, make_run):
    run = make_run(workspace, "big5")
    set_due(run, days=1)
    later = make_run(workspace, "disc")
    set_due(later, days=5)
    SentEmail.objects.all().delete()

    assert tasks.assessment_reminders_send_task() == 1
    assert assessment_reminders_send() == 0

    email = SentEmail.objects.get()
    assert email.to == "ada@example.com" and email.subject.startswith("Reminder: your Big Five personality")
    assert "/a/" in email.body_text and "previous answers are kept" in email.body_text


def test_reminders_follow_the_workspace_setting_and_can_be_turned_off(workspace, make_run):
    AssessmentConfig.objects.create(workspace=workspace, offered_instruments=["eq"], reminder_days_before=0)
    run = make_run(workspace, "eq")
    set_due(run, hours=3)
    SentEmail.objects.all().delete()

    assert assessment_reminders_send() == 0
    assert not SentEmail.objects.exists()


def test_purge_deletes_finished_runs_after_the_workspace_retention_period(integration, make_run):
    from assessments.models import Answer, Result
    from assessments.services.candidate import assessment_run_submit
    from assessments.services.lifecycle import assessment_runs_purge
    from integrations.models import WritebackStatus

    workspace = integration.workspace
    old = assessment_run_submit(run=make_run(workspace, "eq", answer=3))
    recent = assessment_run_submit(run=make_run(workspace, "disc", answer=3))
    active = make_run(workspace, "big5", started=True)
    in_flight = assessment_run_submit(run=make_run(workspace, "eq", integration=integration, answer=3))
    long_ago = timezone.now() - dt.timedelta(days=workspace.retention_days + 1)
    AssessmentRun.objects.filter(pk__in=[old.pk, active.pk, in_flight.pk]).update(
        scored_at=long_ago, updated_at=long_ago
    )

    assert assessment_runs_purge() == 1
    assert set(AssessmentRun.objects.values_list("pk", flat=True)) == {recent.pk, active.pk, in_flight.pk}
    assert (
        not Answer.objects.filter(run_id=old.pk).exists()
        and not Result.objects.filter(run_id=old.pk).exists()
    )

    WritebackMessage.objects.filter(run=in_flight).update(status=WritebackStatus.DELIVERED)
    assert tasks.assessment_runs_purge_task() == 1
