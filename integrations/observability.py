"""What integrations contributes to the ground layer's operations views (registered from
IntegrationsConfig.ready, so jobcannon.core imports nothing of integrations):

- its counters and histograms (webhooks received and processed, processing latency, outbound
  calls, limiter waits, write-back outcomes) in prometheus_client's shared registry, which
  core's /metrics exposes, with one recording helper each for the instrumented spot;
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
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from integrations.models import (
    Integration,
    IntegrationStatus,
    OutboundCall,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
)
from jobcannon.core.metrics import safe_recorder

WEBHOOKS_RECEIVED = Counter(
    "jobcannon_webhooks_received",
    "Webhook deliveries received, by outcome (accepted, rejected with a reason category, duplicate).",
    ["provider", "outcome", "reason"],
)
WEBHOOKS_PROCESSED = Counter(
    "jobcannon_webhooks_processed",
    "Webhook processing attempts, by resulting status (processed, failed, dead, ignored, unsupported).",
    ["provider", "status"],
)
WEBHOOK_LATENCY = Histogram(
    "jobcannon_webhook_processing_latency_seconds",
    "From receipt of a webhook to the end of its successful processing.",
    ["provider"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600),
)
OUTBOUND_CALLS = Counter(
    "jobcannon_outbound_calls",
    "HTTP calls to an ATS, by status class (2xx, 3xx, 4xx, 429, 5xx, timeout, network_error).",
    ["provider", "status_class"],
)
OUTBOUND_DURATION = Histogram(
    "jobcannon_outbound_call_duration_seconds",
    "Duration of HTTP calls to an ATS.",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
)
LIMITER_WAITS = Counter(
    "jobcannon_rate_limiter_waits",
    "Outbound calls held back by our own per-account rate limiter (the task retries later).",
    ["provider"],
)
WRITEBACK_OUTCOMES = Counter(
    "jobcannon_writeback_outcomes",
    "Write-back delivery attempts, by resulting status (delivered, confirmed, retrying, dead, needs_reauth, halted).",
    ["provider", "status"],
)


# --- Recording helpers (one call each at the instrumented spot) ---------------------------------

# Rejection reasons are human-readable sentences from each provider; the label is a bounded
# category derived from them (first match wins; order matters).
_REASON_CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("unknown_integration", ("unknown integration", "no integration")),
    ("integration_disconnected", ("disconnected",)),
    ("malformed_body", ("not a valid", "malformed body", "invalid json")),
    ("no_secret_configured", ("no webhook secret", "no secret", "api key is saved")),
    ("missing_header", ("missing", "no signature")),
    ("stale_timestamp", ("timestamp", "stale", "too old", "tolerance", "expired")),
    ("bad_signature", ("signature", "does not match", "wrong secret", "hmac")),
]


def rejection_category(reason: str) -> str:
    text = (reason or "").lower()
    for category, needles in _REASON_CATEGORIES:
        if any(n in text for n in needles):
            return category
    return "other"


@safe_recorder
def webhook_received(event: WebhookEvent) -> None:
    """After intake: `event` is the stored WebhookEvent (rejected, duplicate or verified)."""
    if event.status == WebhookStatus.REJECTED:
        outcome, reason = "rejected", rejection_category(event.rejection_reason)
    elif event.status == WebhookStatus.DUPLICATE:
        outcome, reason = "duplicate", ""
    else:
        outcome, reason = "accepted", ""
    WEBHOOKS_RECEIVED.labels(provider=event.provider, outcome=outcome, reason=reason).inc()


@safe_recorder
def webhook_processed(event: WebhookEvent | None) -> None:
    """After a processing attempt: `event` is the WebhookEvent (or None if it was gone)."""
    if event is None:
        return
    WEBHOOKS_PROCESSED.labels(provider=event.provider, status=str(event.status)).inc()
    if event.status == WebhookStatus.PROCESSED and event.processed_at and event.received_at:
        WEBHOOK_LATENCY.labels(provider=event.provider).observe(
            max(0.0, (event.processed_at - event.received_at).total_seconds())
        )


def status_class(status_code: int | None, error_class: str = "") -> str:
    if status_code == 429:
        return "429"  # the ATS is rate limiting us: its own class, it is what the runbook watches
    if status_code:
        return f"{status_code // 100}xx"
    if error_class == "ATSAmbiguousError":  # base.py's name for "sent, answer unknown" (a timeout)
        return "timeout"
    return "network_error" if error_class else "unknown"


@safe_recorder
def outbound_call(call: OutboundCall) -> None:
    """After an HTTP call to an ATS: `call` is the saved OutboundCall."""
    OUTBOUND_CALLS.labels(
        provider=call.provider, status_class=status_class(call.status_code, call.error_class)
    ).inc()
    OUTBOUND_DURATION.labels(provider=call.provider).observe(call.duration_ms / 1000)


@safe_recorder
def limiter_wait(*, provider: str) -> None:
    LIMITER_WAITS.labels(provider=provider).inc()


@safe_recorder
def writeback_outcome(message: WritebackMessage) -> None:
    """After a delivery attempt: `message` is the saved WritebackMessage."""
    WRITEBACK_OUTCOMES.labels(provider=message.integration.provider, status=str(message.status)).inc()


# --- Scrape-time gauges and the system status section -------------------------------------------


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
