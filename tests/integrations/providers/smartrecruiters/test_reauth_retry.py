"""Seed 001 Common Errors, "Assessment delivery failed (403 Forbidden)", with SR's real scopes:
the admin granted less than candidates_manage, so filling the scorecard fields after the result
is refused; the integration asks for re-authorization naming the scope, and once re-authorized
the failed delivery goes through without anyone retrying it."""

import pytest

from assessments.models import AssessmentRun, RunStatus
from integrations import tasks
from integrations.models import IntegrationStatus, Token, WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver

from .helpers import connect_via_simulator
from .test_simulator_flow import complete, move, new_candidate

pytestmark = pytest.mark.django_db


def test_403_without_candidates_manage_then_reauthorization_delivers_the_result(
    client_in_workspace, sr_sim, django_capture_on_commit_callbacks, monkeypatch
):
    integration = sr_sim()
    without_write = [s for s in constants.SCOPES if s != "candidates_manage"]
    connect_via_simulator(client_in_workspace, integration, granted=without_write)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED

    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")  # orders still arrive
    run = complete(AssessmentRun.objects.get(integration=integration))
    message = WritebackMessage.objects.get(run=run, kind="assessment.result")

    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert integration.status == IntegrationStatus.NEEDS_REAUTH
    assert "candidates_manage" in integration.status_reason
    assert not sim.get("candidate", candidate_id)["properties"], "no scorecard field written yet"

    queued: list[tuple] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kw: queued.append((func, *args)))
    with django_capture_on_commit_callbacks(execute=True):
        connect_via_simulator(client_in_workspace, integration)  # approve everything this time
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not Token.objects.get(integration=integration).missing_scopes()
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING
    assert ("integrations.services.writeback.writeback_deliver_task", message.pk) in queued, (
        "re-authorization queued the retry"
    )

    tasks.writeback_deliver_task(message.pk)  # what the worker runs for the queued task
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert (
        order["status"] == "COMPLETED" and order["result"]["scoreLabel"] == f"{run.result.overall_score}/100"
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DELIVERED
