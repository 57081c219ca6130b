"""What integrations contributes to the ground layer's operations views (registered from
IntegrationsConfig.ready, so jobcannon.core imports nothing of integrations):

- scrape-time gauges for /metrics (`jobcannon.core.metrics.state_source_register`): webhooks
  waiting, write-backs not delivered, integrations by status;
- the "integration problems" section of the staff system status page
  (`jobcannon.core.admin_views.status_section_register`);
- the request id a webhook task logs under (`jobcannon.core.workers.request_id_lookup_register`):
  the one stored on the WebhookEvent at intake, so scheduler-driven retries keep it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from integrations.models import (
    Integration,
    IntegrationStatus,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
)


def integration_state_families() -> Iterator[Metric]:
    now = timezone.now()
    waiting = GaugeMetricFamily(
        "jobcannon_webhooks_waiting",
        "Verified webhooks not yet processed, and failed ones waiting for a retry.",
        labels=["provider", "status"],
    )
    waiting_age = GaugeMetricFamily(
        "jobcannon_webhooks_oldest_waiting_age_seconds",
        "Age of the oldest verified webhook still waiting to be processed.",
        labels=["provider"],
    )
    rows = (
        WebhookEvent.objects.filter(status__in=[WebhookStatus.VERIFIED, WebhookStatus.FAILED])
        .values("provider", "status")
        .annotate(n=Count("id"), oldest=Min("received_at"))
        .order_by()
    )
    for row in rows:
        waiting.add_metric([row["provider"], row["status"]], row["n"])
        if row["status"] == WebhookStatus.VERIFIED:
            waiting_age.add_metric([row["provider"]], (now - row["oldest"]).total_seconds())
    yield waiting
    yield waiting_age

    writebacks = GaugeMetricFamily(
        "jobcannon_writebacks",
        "Write-backs not delivered: pending, delivering, retrying, needs_reauth, halted, dead (dead letters).",
        labels=["provider", "status"],
    )
    for wb in (
        WritebackMessage.objects.exclude(status__in=["delivered", "confirmed", "cancelled"])
        .values("integration__provider", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        writebacks.add_metric([wb["integration__provider"], wb["status"]], wb["n"])
    yield writebacks

    integrations = GaugeMetricFamily(
        "jobcannon_integrations", "Integrations by provider and status.", labels=["provider", "status"]
    )
    for integ in Integration.objects.values("provider", "status").annotate(n=Count("id")).order_by():
        integrations.add_metric([integ["provider"], integ["status"]], integ["n"])
    yield integrations


def integration_problems() -> dict[str, Any]:
    since = timezone.now() - timedelta(hours=24)
    webhooks = list(
        WebhookEvent.objects.filter(
            received_at__gte=since,
            status__in=[WebhookStatus.REJECTED, WebhookStatus.FAILED, WebhookStatus.DEAD],
        )
        .values("provider", "status")
        .annotate(n=Count("id"))
        .order_by("provider", "status")
    )
    writebacks = list(
        WritebackMessage.objects.filter(status__in=["retrying", "needs_reauth", "halted", "dead"])
        .values("integration__provider", "status")
        .annotate(n=Count("id"))
        .order_by("integration__provider", "status")
    )
    reauth = list(
        Integration.objects.filter(status=IntegrationStatus.NEEDS_REAUTH)
        .select_related("workspace")
        .order_by("-status_changed_at")[:20]
    )
    return {"webhooks": webhooks, "writebacks": writebacks, "needs_reauth": reauth}


def webhook_event_request_id(args: tuple) -> str | None:
    if not args:
        return None
    return WebhookEvent.objects.filter(pk=args[0]).values_list("request_id", flat=True).first()
