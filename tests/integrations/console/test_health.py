import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    IntegrationStatus,
    OutboundCall,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.health import HealthState, integration_health, integration_health_list
from tests.factories import AssessmentRunFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def writeback(integration, status, n=1):
    run = AssessmentRunFactory(
        workspace=integration.workspace, integration=integration, provider=integration.provider
    )
    for i in range(n):
        WritebackMessage.objects.create(
            integration=integration, run=run, kind="result", event="completed",
            idempotency_key=f"{integration.pk}-{run.pk}-{status}-{i}", status=status, last_error="boom",
        )  # fmt: skip


def test_healthy_integration_reports_connected_with_its_last_success(workspace):
    integration = IntegrationFactory(workspace=workspace)
    WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        body=b"{}",
        verified=True,
        external_id="evt-1",  # every signed delivery has its event id (models.SIGNED_DELIVERY)
        status=WebhookStatus.PROCESSED,
    )
    health = integration_health(integration=integration)
    assert health.state == HealthState.CONNECTED and health.reason == ""
    assert health.last_success_at is not None and health.webhooks_24h == 1


def test_needs_reauth_counts_the_write_backs_waiting_for_it(workspace):
    integration = IntegrationFactory(
        workspace=workspace, status=IntegrationStatus.NEEDS_REAUTH, status_reason="401 from the ATS."
    )
    writeback(integration, WritebackStatus.NEEDS_REAUTH, n=2)
    health = integration_health(integration=integration)
    assert health.state == HealthState.NEEDS_REAUTH
    assert "401 from the ATS." in health.reason and "2 write-back(s) wait for it" in health.reason


def test_recent_429s_mean_rate_limited(workspace):
    integration = IntegrationFactory(workspace=workspace)
    OutboundCall.objects.create(
        integration=integration,
        provider="fake",
        method="GET",
        path="/x",
        status_code=429,
        error_class="ATSRateLimited",
    )
    assert integration_health(integration=integration).state == HealthState.RATE_LIMITED


def test_dead_write_backs_mean_failing_deliveries(workspace):
    integration = IntegrationFactory(workspace=workspace)
    writeback(integration, WritebackStatus.DEAD)
    health = integration_health(integration=integration)
    assert health.state == HealthState.FAILING and "1 write-back(s) failed" in health.reason


def test_mostly_rejected_webhooks_mean_failing(workspace):
    integration = IntegrationFactory(workspace=workspace)
    for i in range(4):
        WebhookEvent.objects.create(
            provider="fake",
            integration=integration,
            body=b"{}",
            status=WebhookStatus.REJECTED,
            rejection_reason="x",
        )
    WebhookEvent.objects.create(
        provider="fake", integration=integration, body=b"{}", verified=True, status=WebhookStatus.PROCESSED
    )
    health = integration_health(integration=integration)
    assert health.state == HealthState.FAILING and health.webhook_error_rate == 80


def test_refresh_token_older_than_a_year_and_a_half_is_warned_about(workspace):
    integration = IntegrationFactory(workspace=workspace, auth_kind="oauth2")
    Token.objects.create(
        integration=integration, access_token="at", refresh_token="rt",
        access_expires_at=timezone.now() + dt.timedelta(hours=1),
        refresh_issued_at=timezone.now() - dt.timedelta(days=600),
    )  # fmt: skip
    warnings = integration_health(integration=integration).warnings
    assert [w.key for w in warnings] == ["refresh_token_age"]
    assert "600 days old" in warnings[0].message and "re-authorize" in warnings[0].message


def test_refresh_token_expiring_soon_is_warned_with_its_date(workspace):
    integration = IntegrationFactory(workspace=workspace, auth_kind="oauth2")
    expires = timezone.now() + dt.timedelta(days=10)
    Token.objects.create(
        integration=integration,
        access_token="at",
        refresh_token="rt",
        access_expires_at=expires,
        refresh_expires_at=expires,
    )
    warning = integration_health(integration=integration).warnings[0]
    assert warning.key == "refresh_token_expiry" and f"{expires:%Y-%m-%d}" in warning.message


def test_api_key_near_its_lifetime_is_warned_about(consolesim, workspace):
    created = timezone.now() - dt.timedelta(days=350)
    integration = IntegrationFactory(
        workspace=workspace,
        provider="consolesim",
        provider_settings={"api_key_created_at": created.isoformat()},
    )
    warning = integration_health(integration=integration).warnings[0]
    assert warning.key == "api_key_expiry" and "keys last 365 days" in warning.message


def test_health_of_many_integrations_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries, workspace
):
    integrations = [
        IntegrationFactory(workspace=workspace, environment=env, provider="fake")
        for env in ("sandbox", "production")
    ]
    for integration in integrations:
        writeback(integration, WritebackStatus.DEAD)
        OutboundCall.objects.create(
            integration=integration, provider="fake", method="GET", path="/x", status_code=200
        )
    with django_assert_max_num_queries(5):
        health = integration_health_list(integrations=integrations)
    assert all(h.state == HealthState.FAILING for h in health.values())


def test_dashboard_and_list_show_a_banner_with_reconnect_for_needs_reauth(
    client_in_workspace, workspace, django_assert_max_num_queries
):
    integration = IntegrationFactory(
        workspace=workspace, status=IntegrationStatus.NEEDS_REAUTH, status_reason="Token revoked."
    )
    IntegrationFactory(workspace=workspace, environment="production")
    for name in ("workspaces:dashboard", "integrations:list"):
        with django_assert_max_num_queries(14):
            page = client_in_workspace.get(reverse(name)).content.decode()
        assert f'id="banner-{integration.pk}"' in page
        assert "needs re-authorization" in page and "Token revoked." in page
        assert reverse("integrations:detail", args=[integration.pk]) + "#reconnect" in page


def test_dashboard_and_list_name_the_ats_in_the_banner_and_the_rows(client_in_workspace, workspace):
    """The ATS's name comes from the registry (the `provider_name` filter): an integration hands
    out no provider object, and a template asking one for it would print nothing."""
    integration = IntegrationFactory(
        workspace=workspace, status=IntegrationStatus.NEEDS_REAUTH, status_reason="Token revoked."
    )
    detail = reverse("integrations:detail", args=[integration.pk])
    for name in ("workspaces:dashboard", "integrations:list"):
        page = client_in_workspace.get(reverse(name)).content.decode()
        assert "<strong>Fake ATS (sandbox) needs re-authorization.</strong>" in page, name
        assert f'<a href="{detail}">Fake ATS</a>' in page, name
