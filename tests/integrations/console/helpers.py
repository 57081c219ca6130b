"""Shared steps of the console tests: an integration on the console sandbox simulator, and
the background work a worker would do (called explicitly: tasks never run by themselves)."""

from __future__ import annotations

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.services.integrations import integration_connect_api_key, integration_create
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver
from tests.integrations.console import sandbox


def sim_integration(*, workspace, auth_kind: str = "api_key", connect: bool = True, user=None):
    integration = integration_create(
        workspace=workspace,
        provider=sandbox.KEY,
        auth_kind=auth_kind,
        created_by=user,
        provider_settings={"use_simulator": True},
    )
    if connect and auth_kind == "api_key":
        assert integration_connect_api_key(integration=integration, api_key=sandbox.api_key_register())
        integration.refresh_from_db()
    return integration


def process_webhooks(integration) -> list[WebhookEvent]:
    pending = WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED)
    return [webhook_event_process(event_id=e.pk) for e in list(pending)]


def deliver_writebacks(integration) -> list:
    pending = WritebackMessage.objects.filter(
        integration=integration, status__in=[WritebackStatus.PENDING, WritebackStatus.RETRYING]
    )
    return [writeback_deliver(message_id=m.pk) for m in list(pending)]
