import pytest
from django.urls import reverse

from integrations.models import WebhookEvent, WritebackMessage, WritebackStatus
from integrations.services.checklist_actions import checklist_action_run
from integrations.services.timeline import run_timeline
from jobcannon.workspaces.models import Role
from tests.factories import AssessmentRunFactory, IntegrationFactory, MembershipFactory
from tests.integrations.console import sandbox
from tests.integrations.console.helpers import deliver_writebacks, process_webhooks, sim_integration

pytestmark = pytest.mark.django_db


def test_timeline_joins_every_hop_from_ats_request_to_acknowledgement(consolesim, simulators, workspace):
    integration = sim_integration(workspace=workspace)
    checklist_action_run(integration=integration, action="assessment")
    process_webhooks(integration)
    run = integration.runs.get()
    checklist_action_run(integration=integration, action="complete")
    deliver_writebacks(integration)
    run.refresh_from_db()

    timeline = run_timeline(run=run)
    kinds = [h.kind for h in timeline.hops]
    titles = " | ".join(h.title for h in timeline.hops)
    assert kinds.index("webhook") < kinds.index("run") < kinds.index("invitation")
    assert kinds.index("invitation") < kinds.index("candidate") < kinds.index("scored")
    assert kinds.index("scored") < kinds.index("writeback") < kinds.index("ack")
    assert "Webhook assessment.requested received (processed)" in titles
    assert "Console Sim ATS acknowledged result" in titles and "Confirmed in Console Sim ATS" in titles
    assert "Call to the ATS: POST /sim/consolesim/api/applications/" in titles  # joined by the application id
    event = WebhookEvent.objects.get(event_type="assessment.requested")
    assert reverse("integrations:webhook-event", args=[integration.pk, event.pk]) in [
        h.link for h in timeline.hops
    ]


def test_failing_hop_offers_a_replay_that_puts_the_write_back_back_on_the_queue(
    client_in_workspace, workspace
):
    integration = IntegrationFactory(workspace=workspace)
    run = AssessmentRunFactory(workspace=workspace, integration=integration, provider="fake", status="scored")
    message = WritebackMessage.objects.create(
        integration=integration, run=run, kind="result", event="completed", idempotency_key="k",
        status=WritebackStatus.DEAD, last_error="The ATS rejected the request (422).",
    )  # fmt: skip
    page = client_in_workspace.get(reverse("integrations:run-timeline", args=[run.pk])).content.decode()
    assert "The ATS rejected the request (422)." in page and "Replay from here" in page
    response = client_in_workspace.post(reverse("integrations:writeback-replay", args=[run.pk, message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING


def test_timeline_of_another_workspaces_run_is_not_found_and_members_cannot_replay(
    client, workspace, other_workspace
):
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    foreign = AssessmentRunFactory(workspace=other_workspace)
    assert client.get(reverse("integrations:run-timeline", args=[foreign.pk])).status_code == 404
    integration = IntegrationFactory(workspace=workspace)
    run = AssessmentRunFactory(workspace=workspace, integration=integration, provider="fake")
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind="r",
        event="completed",
        idempotency_key="k2",
        status=WritebackStatus.DEAD,
    )
    assert client.post(reverse("integrations:writeback-replay", args=[run.pk, message.pk])).status_code == 403


def test_runs_page_finds_orders_by_candidate_email(
    client_in_workspace, workspace, integration, django_assert_max_num_queries
):
    run = AssessmentRunFactory(
        workspace=workspace, integration=integration, provider="fake", candidate_email="robin@example.com"
    )
    for _ in range(5):
        AssessmentRunFactory(workspace=workspace, integration=integration, provider="fake")
    with django_assert_max_num_queries(10):
        client_in_workspace.get(reverse("integrations:runs", args=[integration.pk]))
    page = client_in_workspace.get(
        reverse("integrations:runs", args=[integration.pk]), {"q": "robin@example.com"}
    ).content.decode()
    assert reverse("integrations:run-timeline", args=[run.pk]) in page and page.count("run-timeline") == 0
    assert page.count('href="/integrations/runs/') == 1


def test_timeline_waiting_for_reauthorization_links_to_reconnect(
    consolesim, simulators, client_in_workspace, workspace
):
    integration = sim_integration(workspace=workspace)
    checklist_action_run(integration=integration, action="assessment")
    process_webhooks(integration)
    sandbox.api_key_revoke(integration.credential("api_key"))
    checklist_action_run(integration=integration, action="complete")
    deliver_writebacks(integration)
    run = integration.runs.get()
    page = client_in_workspace.get(reverse("integrations:run-timeline", args=[run.pk])).content.decode()
    assert "waiting for re-authorization" in page.lower() and "Re-authorize" in page
