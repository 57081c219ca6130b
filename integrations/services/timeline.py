"""One timeline per assessment order (AssessmentRun): every hop in order, from the ATS request
to the ATS acknowledgement of the result, with links to the raw log entries.

Runs, write-backs and activity lines reference each other directly (activity `data["run"]`).
Webhook deliveries and outbound calls carry no run reference, so they are joined by what they
share with the run: the vendor event ids the run keeps in `ats_context` / its request key, and
the ATS record ids that appear in REST paths. A bounded number of queries per timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from integrations.models import (
    ActivityLevel,
    IntegrationActivity,
    OutboundCall,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import provider_for

MAX_ROWS = 100
MIN_REF_LENGTH = 4  # shorter ids would match unrelated paths


@dataclass(frozen=True)
class Hop:
    at: dt.datetime
    kind: str  # request | run | invitation | candidate | scored | writeback | ack | webhook | call | activity
    title: str
    detail: str = ""
    state: str = "ok"  # ok | fail | waiting | info
    link: str = ""
    link_label: str = ""
    replay_writeback: int | None = None  # a WritebackMessage id the viewer may replay
    # Halted (outcome unknown): replay reads back first; "send anyway" resends regardless.
    offer_force: bool = False
    order: int = 0


@dataclass(frozen=True)
class Timeline:
    run: object
    hops: tuple[Hop, ...]
    writebacks: tuple[WritebackMessage, ...]

    @property
    def failing(self) -> bool:
        return any(h.state == "fail" for h in self.hops)


def _refs(run) -> list[str]:
    refs = {
        run.external_application_id,
        run.external_candidate_id,
        run.external_assessment_id,
    }
    return sorted(r for r in refs if r and len(r) >= MIN_REF_LENGTH)


def _event_ids(run) -> list[str]:
    ids = {run.external_request_key or "", run.external_assessment_id}
    for key, value in (run.ats_context or {}).items():
        if key.endswith("event_id") and isinstance(value, str | int):
            ids.add(str(value))
    return sorted(i for i in ids if i)


def _webhook_hops(run, integration) -> list[Hop]:
    ids = _event_ids(run)
    if not ids:
        return []
    events = (
        WebhookEvent.objects.filter(integration=integration, external_id__in=ids)
        .defer("body", "headers", "traceback")
        .order_by("received_at", "id")[:MAX_ROWS]
    )
    hops = []
    for event in events:
        failed = event.status in (WebhookStatus.REJECTED, WebhookStatus.FAILED, WebhookStatus.DEAD)
        hops.append(
            Hop(
                at=event.received_at,
                kind="webhook",
                title=f"Webhook {event.event_type or 'event'} received ({event.get_status_display().lower()})",
                detail=event.rejection_reason or event.error,
                state="fail" if failed else "ok",
                link=reverse("integrations:webhook-event", args=[integration.pk, event.pk]),
                link_label="Raw delivery",
                order=0,
            )
        )
    return hops


def _call_hops(run, integration) -> list[Hop]:
    refs = _refs(run)
    if not refs:
        return []
    match = Q()
    for ref in refs:
        match |= Q(path__contains=ref)
    calls = OutboundCall.objects.filter(
        match, integration=integration, created_at__gte=run.created_at - dt.timedelta(minutes=5)
    ).order_by("created_at", "id")[:MAX_ROWS]
    return [
        Hop(
            at=call.created_at,
            kind="call",
            title=f"Call to the ATS: {call.method} {call.path} → {call.status_code or call.error_class or '?'}",
            detail=call.error_message,
            state="fail" if call.error_class else "ok",
            link=reverse("integrations:logs", args=[integration.pk])
            + f"?direction=out&q={ref_for(call, refs)}",
            link_label="In the logs",
            order=5,
        )
        for call in calls
    ]


def ref_for(call: OutboundCall, refs: list[str]) -> str:
    return next((r for r in refs if r in call.path), refs[0])


def _activity_hops(run, integration) -> list[Hop]:
    lines = IntegrationActivity.objects.filter(
        integration=integration, created_at__gte=run.created_at - dt.timedelta(minutes=5), data__run=run.pk
    ).order_by("created_at", "id")[:MAX_ROWS]
    hops = []
    for line in lines:
        if line.kind == "writeback.delivered":
            continue  # the write-back's own acknowledgement hop says it, with the time of delivery
        kind = "writeback" if line.kind.startswith("writeback.") else "activity"
        if line.kind.startswith("partner.") and "started" in line.kind:
            kind = "request"
        hops.append(
            Hop(
                at=line.created_at,
                kind=kind,
                title=line.message,
                state="fail" if line.level == ActivityLevel.ERROR else "info",
                order=1 if kind == "request" else 6,
            )
        )
    return hops


def _run_hops(run, provider_name: str, has_request: bool) -> list[Hop]:
    hops: list[Hop] = []
    if run.integration_id and not has_request:
        refs = ", ".join(
            f"{label} {value}"
            for label, value in (
                ("application", run.external_application_id),
                ("candidate", run.external_candidate_id),
                ("order", run.external_assessment_id),
            )
            if value
        )
        hops.append(
            Hop(run.created_at, "request", f"{provider_name} requested {run.instrument}", refs, order=1)
        )
    hops.append(
        Hop(run.created_at, "run", f"Run created: {run.instrument} for {run.candidate_email}", order=2)
    )
    if run.invited_at:
        hops.append(Hop(run.invited_at, "invitation", "Invitation email sent to the candidate", order=3))
    elif run.invitation_error:
        hops.append(
            Hop(
                run.updated_at, "invitation", "Invitation email failed", run.invitation_error, "fail", order=3
            )
        )
    for stamp, title in (
        (run.started_at, "Candidate started"),
        (run.completed_at, "Candidate completed the assessment"),
        (run.scored_at, "Result scored"),
    ):
        if stamp:
            hops.append(Hop(stamp, "scored" if "scored" in title else "candidate", title, order=4))
    if run.cancelled_at:
        hops.append(Hop(run.cancelled_at, "run", "Run cancelled", run.cancelled_reason, "info", order=4))
    if run.expired_at:
        hops.append(Hop(run.expired_at, "run", "Run expired (due date passed)", state="info", order=4))
    return hops


def _writeback_hops(messages: list[WritebackMessage], provider_name: str, integration_pk: int) -> list[Hop]:
    hops: list[Hop] = []
    for message in messages:
        hops.append(
            Hop(message.created_at, "writeback", f"Write-back queued: {message.kind}", order=5, state="info")
        )
        if message.delivered_at:
            hops.append(
                Hop(
                    message.delivered_at,
                    "ack",
                    f"{provider_name} acknowledged {message.kind}"
                    + (f" (ref {message.external_ref})" if message.external_ref else ""),
                    order=7,
                )
            )
        if message.confirmed_at:
            hops.append(
                Hop(message.confirmed_at, "ack", f"Confirmed in {provider_name} by reading it back", order=8)
            )
        if message.status in (WritebackStatus.DEAD, WritebackStatus.HALTED, WritebackStatus.NEEDS_REAUTH):
            waiting = message.status == WritebackStatus.NEEDS_REAUTH
            hops.append(
                Hop(
                    message.updated_at,
                    "writeback",
                    f"Write-back {message.kind}: {message.get_status_display().lower()}",
                    message.last_error,
                    "fail",
                    link=reverse("integrations:detail", args=[integration_pk]) + "#reconnect"
                    if waiting
                    else "",
                    link_label="Re-authorize" if waiting else "",
                    replay_writeback=None if waiting else message.pk,
                    offer_force=message.status == WritebackStatus.HALTED,
                    order=9,
                )
            )
        elif message.status in (
            WritebackStatus.PENDING,
            WritebackStatus.RETRYING,
            WritebackStatus.DELIVERING,
        ):
            detail = f"attempt {message.attempts}" + (
                f", next at {message.next_attempt_at:%Y-%m-%d %H:%M}" if message.next_attempt_at else ""
            )
            hops.append(
                Hop(
                    message.updated_at,
                    "writeback",
                    f"Write-back {message.kind}: {message.get_status_display().lower()}",
                    detail + (f" — {message.last_error}" if message.last_error else ""),
                    "waiting",
                    order=9,
                )
            )
    return hops


def run_timeline(*, run) -> Timeline:
    integration = run.integration
    provider_name = provider_for(integration).name if integration is not None else "JobCannon"
    messages = (
        list(WritebackMessage.objects.filter(run=run).order_by("created_at", "id"))
        if integration is not None
        else []
    )
    hops: list[Hop] = []
    if integration is not None:
        hops += _webhook_hops(run, integration)
        hops += _activity_hops(run, integration)
        hops += _call_hops(run, integration)
    has_request = any(h.kind == "request" for h in hops) or any(h.kind == "webhook" for h in hops)
    hops += _run_hops(run, provider_name, has_request)
    if integration is not None:
        hops += _writeback_hops(messages, provider_name, integration.pk)
    hops.sort(key=lambda h: (h.at, h.order))
    return Timeline(run=run, hops=tuple(hops), writebacks=tuple(messages))
