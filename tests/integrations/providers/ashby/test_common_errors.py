"""Every error in seed 000's "Common Errors", reproduced against the simulator and ending in the
state the guide explains (plus its "refresh if >1.5 years old" advice)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    IntegrationActivity,
    IntegrationStatus,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.tasks import refresh_token_age_check_task as _age_check_task
from integrations.services.integrations import integration_credentials_check, webhook_secret_rotate
from integrations.services.writeback import writeback_deliver

from .helpers import add_result, ashby_integration, sim_assessment, sim_integration
from .test_connect import authorize, oauth_sim_integration

# The task body without its @periodic_job lease (the lease has its own tests): called back to back here.
refresh_token_age_check_task = _age_check_task.__wrapped__


@pytest.mark.django_db
def test_invalid_oauth_scope(client_in_workspace, workspace, simulators):
    """Cause: a requested scope is not on the workspace tier. Explained: the scope and the three fixes."""
    integration, account = oauth_sim_integration(workspace)
    sim.account_update(account, plan="Standard", unavailable_scopes=[constants.SCOPE_WEBHOOK_WRITE])
    page = authorize(client_in_workspace, integration).content.decode()
    assert "Invalid OAuth scope: Ashby refused webhook:write" in page
    for fix in ("workspace plan", "scope list", "support"):
        assert fix in page
    # Fixed on the Ashby side (plan upgraded): re-authorizing connects.
    sim.account_update(account, plan="Enterprise", unavailable_scopes=[])
    assert authorize(client_in_workspace, integration).status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED


@pytest.mark.django_db
def test_webhook_signature_validation_failed(simulators, admin_client):
    """Cause: the signature does not match (here: Ashby still signs with a retired secret).
    Explained: rejected, stored with the reason, shown in /admin/integrations/ashby/logs."""
    integration, account = sim_integration()
    assert integration_credentials_check(integration=integration)
    webhook_secret_rotate(integration=integration, keep_previous=False)
    integration.refresh_from_db()
    sim.candidate_create(
        account,
        first_name="Robin",
        last_name="Sample",
        email="robin.sample@example.com",
        job_name="Backend Engineer",
    )
    rejected = WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.REJECTED)
    assert rejected.count() == 1  # applicationSubmit (Ashby has no candidate.created webhook type)
    reason = rejected.first().rejection_reason
    assert reason.startswith("Webhook signature validation failed") and "Event Logs" in reason
    assert (
        "Webhook signature validation failed"
        in admin_client.get("/admin/integrations/ashby/logs").content.decode()
    )
    # The guide's fix: the right secret on the Ashby webhook. Test credentials re-registers with the new one.
    assert integration_credentials_check(integration=integration)
    sim.candidate_create(
        account,
        first_name="Sam",
        last_name="Sample",
        email="sam.sample@example.com",
        job_name="Backend Engineer",
    )
    assert WebhookEvent.objects.filter(
        integration=integration, event_type="applicationSubmit", verified=True
    ).exists()
    registered = integration.provider_settings["webhooks"] + integration.provider_settings["sync_webhooks"]
    assert len(sim.list_for("webhook", account)) == len(registered), "the old webhooks were deleted"


@pytest.mark.django_db
def test_401_unauthorized_when_updating_candidate_scorecard(client_in_workspace, workspace, simulators):
    """Cause: the token lacks candidate:write (or expired). One refresh, then needs_reauth with the
    seed's explanation; re-authorizing delivers the waiting scorecard."""
    integration, account = oauth_sim_integration(workspace)
    authorize(client_in_workspace, integration)
    for obj in sim.SimulatorObject.objects.filter(
        provider="ashby", kind__in=["access_token", "refresh_token"]
    ):
        obj.data = {
            **obj.data,
            "scopes": [s for s in obj.data["scopes"] if s != constants.SCOPE_CANDIDATE_WRITE],
        }
        obj.save()
    from tests.factories import AssessmentRunFactory

    now = timezone.now()
    candidate = sim.candidate_create(
        account,
        first_name="Robin",
        last_name="Sample",
        email="robin.sample@example.com",
        job_name="Backend Engineer",
    )
    run = AssessmentRunFactory(
        workspace=workspace,
        integration=integration,
        provider="ashby",
        external_candidate_id=candidate.key,
        external_assessment_id="0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0401",
        status="scored",
        invited_at=now,
        started_at=now,
        completed_at=now,
    )
    add_result(run)
    sim_assessment(account, "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0401", candidate_id=candidate.key)
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind=constants.KIND_SCORECARD,
        event="completed",
        idempotency_key="scorecard-401",
    )
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert integration.status == IntegrationStatus.NEEDS_REAUTH
    assert "token expired or insufficient scopes: re-authorize" in integration.status_reason
    assert "candidate:write" in integration.status_reason
    assert Token.objects.get(integration=integration).refresh_count >= 1, "refreshed once before giving up"
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "token expired or insufficient scopes" in page

    authorize(client_in_workspace, integration)  # the guide's fix: re-authorize with all scopes
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.DELIVERED
    assert len(sim.list_for("note", account)) == 1


@pytest.mark.django_db
def test_refresh_token_older_than_one_and_a_half_years_is_warned_once(workspace):
    integration = ashby_integration(workspace=workspace, auth_kind="oauth2")
    Token.objects.create(
        integration=integration,
        access_token="a",
        refresh_token="r",
        refresh_issued_at=timezone.now() - timedelta(days=400),
    )
    assert refresh_token_age_check_task() == 0
    Token.objects.filter(integration=integration).update(
        refresh_issued_at=timezone.now() - timedelta(days=560)
    )
    assert refresh_token_age_check_task() == 1
    assert refresh_token_age_check_task() == 0, "once per token"
    line = IntegrationActivity.objects.get(integration=integration, kind="ashby.refresh_token_old")
    assert "560 days old" in line.message and line.level == "warning"
