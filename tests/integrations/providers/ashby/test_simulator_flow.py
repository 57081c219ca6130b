"""The whole Ashby loop in-process against the built-in simulator (the `simulators` fixture
routes http://testserver/... back into the app): connect, webhooks registered, a sandbox
candidate, an assessment triggered from the candidate profile through our partner API, the
candidate's answers, the write-back, and what the simulated Ashby shows."""

import pytest
from django.urls import reverse

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun
from assessments.services.candidate import answer_save, assessment_run_start, assessment_run_submit
from integrations.models import (
    IntegrationStatus,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.services.integrations import integration_credentials_check
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver

from .helpers import sim_integration, with_partner_key


def _deliver_pending():
    for message in WritebackMessage.objects.filter(status=WritebackStatus.PENDING).order_by("id"):
        writeback_deliver(message_id=message.pk)


def _connect(account, integration):
    key = with_partner_key(integration)
    sim.account_update(
        account, partner={"base_url": f"/partners/ashby/{integration.public_id}", "api_key": key}
    )
    assert integration_credentials_check(integration=integration), integration.status_reason
    integration.refresh_from_db()


@pytest.mark.django_db
def test_connecting_registers_both_setup_guide_webhooks_which_ashby_pings(simulators):
    integration, account = sim_integration()
    _connect(account, integration)
    assert integration.status == IntegrationStatus.CONNECTED
    webhooks = integration.provider_settings["webhooks"]
    assert [(w["event"], w["webhook_type"], w["status"]) for w in webhooks] == [
        ("candidate.created", "candidate.created", "enabled"),
        ("assessment.completed", "assessment.completed", "enabled"),
    ]
    # With the data sync on (the default), the actions that refresh the synced copy too.
    sync_hooks = integration.provider_settings["sync_webhooks"]
    assert [(w["webhook_type"], w["status"]) for w in sync_hooks] == [
        (action, "enabled") for action in constants.SYNC_WEBHOOKS
    ]
    registered = sim.list_for("webhook", account)
    assert {w.key for w in registered} == {w["id"] for w in webhooks} | {w["id"] for w in sync_hooks}
    assert all(w.data["requestUrl"].endswith(f"/webhooks/ashby/{integration.public_id}/") for w in registered)
    pings = WebhookEvent.objects.filter(integration=integration, event_type="ping")
    assert pings.count() == len(registered) and all(
        p.verified and p.signature_scheme == constants.SCHEME_REAL for p in pings
    )


@pytest.mark.django_db
def test_reconnecting_does_not_register_the_webhooks_twice(simulators):
    integration, account = sim_integration()
    _connect(account, integration)
    assert integration_credentials_check(integration=integration)
    assert len(sim.list_for("webhook", account)) == 2 + len(constants.SYNC_WEBHOOKS)


@pytest.mark.django_db
def test_connecting_with_sync_turned_off_registers_only_the_setup_guide_webhooks(simulators):
    integration, account = sim_integration()
    integration.provider_settings = {**integration.provider_settings, "sync_enabled": False}
    integration.save()
    _connect(account, integration)
    assert integration.status == IntegrationStatus.CONNECTED
    assert len(sim.list_for("webhook", account)) == 2 and "sync_webhooks" not in integration.provider_settings


@pytest.mark.django_db
def test_a_sync_webhook_ashby_refuses_does_not_fail_the_connection(simulators):
    integration, account = sim_integration()
    sim.account_update(
        account, webhook_catalog="real"
    )  # applicationSubmit is then taken by the seed fallback
    _connect(account, integration)
    assert integration.status == IntegrationStatus.CONNECTED
    types = [w["webhook_type"] for w in integration.provider_settings["sync_webhooks"]]
    assert "applicationSubmit" not in types and "candidateDelete" in types


@pytest.mark.django_db
def test_workspace_offering_only_real_actions_gets_application_submit_instead(simulators):
    integration, account = sim_integration()
    sim.account_update(account, webhook_catalog="real")
    _connect(account, integration)
    webhooks = {w["event"]: w for w in integration.provider_settings["webhooks"]}
    assert webhooks["candidate.created"]["webhook_type"] == "applicationSubmit"
    assert webhooks["assessment.completed"]["status"] == "unavailable"
    assert integration.status == IntegrationStatus.CONNECTED


@pytest.mark.django_db
def test_sandbox_candidate_assessment_round_trip(simulators, client):
    integration, account = sim_integration()
    _connect(account, integration)
    page = reverse("integrations:sim-ashby:account", args=[account])
    response = client.post(
        page,
        {
            "action": "candidate",
            "first_name": "Robin",
            "last_name": "Sample",
            "email": "robin.sample@example.com",
            "job": "Data Analyst",
        },
    )
    assert response.status_code == 302
    candidate = sim.list_for("candidate", account)[0]
    created = WebhookEvent.objects.get(integration=integration, event_type="candidate.created")
    assert created.verified

    profile = reverse("integrations:sim-ashby:candidate", args=[account, candidate.key])
    page_html = client.get(profile).content.decode()
    assert "Big Five" in page_html and "Send JobCannon assessment" in page_html
    response = client.post(profile, {"action": "start", "assessment_type_id": "big5"}, follow=True)
    assert "JobCannon assessment started" in response.content.decode()
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_request_key == f"{candidate.data['application_id']}:big5"
    assert run.candidate_email == "robin.sample@example.com" and run.status == "invited"

    run = assessment_run_start(run=run)
    for item in instrument_get(run.instrument, run.instrument_version).items:
        answer_save(run=run, item_id=item.id, value=4)
    assessment_run_submit(run=run)
    _deliver_pending()
    assert set(WritebackMessage.objects.values_list("status", flat=True)) <= {WritebackStatus.DELIVERED}
    assessment = sim.get("assessment", run.external_assessment_id)
    assert assessment.data["status"] == "Completed"
    statuses = [u["body"].get("assessment_status", {}).get("value") for u in assessment.data["updates"]]
    assert statuses == ["Invited", "Started", "Completed"]
    stamps = [u["timestamp"] for u in assessment.data["updates"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert all(u["in_order"] for u in assessment.data["updates"])
    notes = sim.list_for("note", account)
    assert len(notes) == 1 and "Big Five" in notes[0].data["content"]

    completed = WebhookEvent.objects.get(integration=integration, event_type="assessment.completed")
    webhook_event_process(event_id=completed.pk)
    completed.refresh_from_db()
    assert completed.status == WebhookStatus.PROCESSED
    shown = client.get(profile).content.decode()
    assert "Completed" in shown and "Scorecard" in shown and "Max Score" in shown
