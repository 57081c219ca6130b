"""The order's status at SmartRecruiters follows the candidate, set by JobCannon (the partner): SRO
PackageResult.status IN_PROGRESS PATCHed to the order's results endpoint with the company
credentials when the candidate starts (its own outbox row, `assessment.started`), then the result's
COMPLETED. The sandbox never moves the status by itself, and a "started" that arrives after the
result never overwrites it."""

import pytest

from assessments.models import AssessmentRun
from assessments.services.candidate import assessment_run_start
from integrations.models import WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver

from .test_simulator_flow import complete, move, new_candidate

pytestmark = pytest.mark.django_db


def _ordered_run(client, integration) -> AssessmentRun:
    candidate_id = new_candidate(client, integration)
    move(client, integration, candidate_id, "assessment")
    return AssessmentRun.objects.get(integration=integration)


def test_accepting_an_order_leaves_its_status_to_jobcannon(client_in_workspace, connected):
    integration = connected()
    run = _ordered_run(client_in_workspace, integration)
    order = sim.get("order", run.external_assessment_id)
    assert order["delivery"]["ok"] and order["status"] == "NEW" and not order.get("result")


def test_the_candidate_starting_sets_the_order_in_progress_with_the_company_credentials(
    client_in_workspace, connected
):
    integration = connected()
    run = _ordered_run(client_in_workspace, integration)
    assessment_run_start(run=run)

    [message] = WritebackMessage.objects.filter(run=run)
    assert message.kind == "assessment.started" and message.event == "started"
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "IN_PROGRESS" and order["result"] == {"status": "IN_PROGRESS"}
    assert order["result_meta"]["credential"] == "company"

    complete(run)
    for later in WritebackMessage.objects.filter(run=run).exclude(pk=message.pk):
        writeback_deliver(message_id=later.pk)
    assert sim.get("order", run.external_assessment_id)["status"] == "COMPLETED"


def test_a_started_update_delivered_after_the_result_does_not_overwrite_it(client_in_workspace, connected):
    integration = connected()
    run = _ordered_run(client_in_workspace, integration)
    run = complete(run)  # started and completed both enqueued; deliver the result first
    messages = {m.kind: m for m in WritebackMessage.objects.filter(run=run)}
    writeback_deliver(message_id=messages["assessment.result"].pk)
    assert sim.get("order", run.external_assessment_id)["status"] == "COMPLETED"

    started = messages["assessment.started"]
    writeback_deliver(message_id=started.pk)
    started.refresh_from_db()
    assert started.status in (WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED), started.last_error
    assert sim.get("order", run.external_assessment_id)["status"] == "COMPLETED"
