"""The whole Ashby loop in-process against the built-in simulator (the `simulators` fixture
routes http://testserver/... back into the app): connect, webhooks registered, a sandbox
candidate, an assessment triggered from the candidate profile through our partner API, the
candidate's answers, the write-back, and what the simulated Ashby shows."""

import uuid

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
from integrations.providers.ashby.selectors import assessment_type_id
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
def test_connecting_registers_ashbys_own_webhook_types_which_ashby_pings(simulators):
    integration, account = sim_integration()
    _connect(account, integration)
    assert integration.status == IntegrationStatus.CONNECTED
    webhooks = integration.provider_settings["webhooks"]
    # Seed 000's candidate.created is registered as Ashby's applicationSubmit; its
    # assessment.completed is not a webhookType at all (the spec's enum).
    assert [(w["webhook_type"], w["alias"], w["status"]) for w in webhooks] == [
        ("applicationSubmit", "candidate.created", "enabled")
    ]
    # With the data sync on (the default), the actions that refresh the synced copy too.
    sync_hooks = integration.provider_settings["sync_webhooks"]
    assert [(w["webhook_type"], w["status"]) for w in sync_hooks] == [
        (action, "enabled") for action in constants.SYNC_WEBHOOKS if action != "applicationSubmit"
    ]
    registered = sim.list_for("webhook", account)
    assert {w.key for w in registered} == {w["id"] for w in webhooks} | {w["id"] for w in sync_hooks}
    assert {w.data["webhookType"] for w in registered} <= constants.WEBHOOK_TYPES
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
    assert len(sim.list_for("webhook", account)) == len(constants.SYNC_WEBHOOKS)


@pytest.mark.django_db
def test_connecting_with_sync_turned_off_registers_only_application_submit(simulators):
    integration, account = sim_integration()
    integration.provider_settings = {**integration.provider_settings, "sync_enabled": False}
    integration.save()
    _connect(account, integration)
    assert integration.status == IntegrationStatus.CONNECTED
    assert [w.data["webhookType"] for w in sim.list_for("webhook", account)] == ["applicationSubmit"]
    assert "sync_webhooks" not in integration.provider_settings


@pytest.mark.django_db
def test_webhooks_registered_under_the_seed_names_are_replaced_by_the_real_types(simulators):
    """An integration connected before this change, against a sandbox that took the seed names:
    the next credentials check registers applicationSubmit and deletes both old webhooks."""
    integration, account = sim_integration()
    integration.provider_settings = {**integration.provider_settings, "sync_enabled": False}
    integration.save()
    _connect(account, integration)
    url = integration.provider_settings["webhooks"][0]["url"]
    created = integration.provider_settings["webhooks"][0]["secret_created_at"]
    for obj in sim.list_for("webhook", account):
        obj.delete()
    old = []
    for seed_name in ("candidate.created", "assessment.completed"):
        key = str(uuid.uuid4())
        sim.put(
            "webhook", key, {"account": account, "webhookType": seed_name, "requestUrl": url, "enabled": True}
        )
        old.append(
            {
                "event": seed_name,
                "webhook_type": seed_name,
                "id": key,
                "status": "enabled",
                "url": url,
                "secret_created_at": created,
            }
        )
    integration.provider_settings = {**integration.provider_settings, "webhooks": old}
    integration.save()

    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert [w.data["webhookType"] for w in sim.list_for("webhook", account)] == ["applicationSubmit"]
    assert [w["webhook_type"] for w in integration.provider_settings["webhooks"]] == ["applicationSubmit"]


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
    created = WebhookEvent.objects.get(integration=integration, event_type="applicationSubmit")
    assert created.verified

    profile = reverse("integrations:sim-ashby:candidate", args=[account, candidate.key])
    page_html = client.get(profile).content.decode()
    assert "Big Five" in page_html and "Send JobCannon assessment" in page_html
    # The simulated Ashby offers what assessment.list answered: UUIDs.
    big5 = assessment_type_id(workspace_id=integration.workspace_id, instrument="big5")
    assert f'value="{big5}"' in page_html and 'value="big5"' not in page_html
    response = client.post(profile, {"action": "start", "assessment_type_id": big5}, follow=True)
    assert "JobCannon assessment started" in response.content.decode()
    run = AssessmentRun.objects.get(integration=integration)
    assert run.external_request_key == f"{candidate.data['application_id']}:big5"
    assert run.external_type_id == big5
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
    assert notes[0].data["stripped_tags"] == [], "Ashby keeps every element of our scorecard note"
    # Ashby has no assessment-completed webhook: nothing of the kind arrives.
    assert not WebhookEvent.objects.filter(
        integration=integration, event_type="assessment.completed"
    ).exists()
    submitted = WebhookEvent.objects.get(integration=integration, event_type="applicationSubmit")
    webhook_event_process(event_id=submitted.pk)
    submitted.refresh_from_db()
    assert submitted.status == WebhookStatus.PROCESSED
    shown = client.get(profile).content.decode()
    assert "Completed" in shown and "Scorecard" in shown and "Max Score" in shown
