"""Reads of the synced data and of the runs, for the console, the scheduler and other apps
(per-stage assessment configuration, candidate context, the reconciler)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from integrations.models import Integration, IntegrationStatus, OutboundCall
from integrations.registry import get_providers, provider_for

from .models import Application, Candidate, InterviewStage, Job, SyncCheckpoint, SyncRun, SyncStatus
from .records import RESOURCE_MODELS

DEFAULT_INTERVAL_MINUTES = 30
MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES = 15, 60  # seed 002 §12: "every 15–60 minutes"


def sync_interval_minutes(integration: Integration) -> int:
    """provider_settings["sync_interval_minutes"], clamped to 15–60 (default 30)."""
    raw = (integration.provider_settings or {}).get("sync_interval_minutes", DEFAULT_INTERVAL_MINUTES)
    try:
        minutes = int(raw)
    except (TypeError, ValueError):
        minutes = DEFAULT_INTERVAL_MINUTES
    return max(MIN_INTERVAL_MINUTES, min(MAX_INTERVAL_MINUTES, minutes))


def integrations_due_for_sync(*, now: dt.datetime | None = None) -> list[Integration]:
    """Connected integrations with sync on whose interval has passed since their last run
    started, or with a run paused at its time budget (continued at once)."""
    now = now or timezone.now()
    keys = [key for key, provider in get_providers().items() if provider.sync_resources]
    latest = SyncRun.objects.filter(integration=OuterRef("pk")).order_by("-started_at")
    rows = (
        Integration.objects.filter(status=IntegrationStatus.CONNECTED, provider__in=keys)
        .annotate(
            last_started=Subquery(latest.values("started_at")[:1]),
            paused=Exists(SyncRun.objects.filter(integration=OuterRef("pk"), status=SyncStatus.PAUSED)),
        )
        .order_by("pk")
    )
    due: list[Integration] = []
    for integration in rows:
        if (integration.provider_settings or {}).get("sync_enabled", True) is False:
            continue
        last = getattr(integration, "last_started", None)
        interval = dt.timedelta(minutes=sync_interval_minutes(integration))
        if getattr(integration, "paused", False) or last is None or now - last >= interval:
            due.append(integration)
    return due


def sync_run_list_for_integration(
    *, integration: Integration, resource: str = "", limit: int = 50
) -> QuerySet[SyncRun]:
    qs = SyncRun.objects.filter(integration=integration)
    if resource:
        qs = qs.filter(resource=resource)
    return qs.order_by("-started_at", "-pk")[:limit]


def sync_run_get_for_integration(*, integration: Integration, pk: int) -> SyncRun:
    run = SyncRun.objects.filter(integration=integration, pk=pk).first()
    if run is None:
        raise Http404("No such sync run")
    return run


@dataclass(frozen=True)
class ResourceSummary:
    resource: str
    records: int
    removed: int
    checkpoint: SyncCheckpoint | None
    last_run: SyncRun | None


def sync_overview(*, integration: Integration) -> list[ResourceSummary]:
    """Per resource: how many records we hold (and removed ones), the checkpoint, the last run."""
    checkpoints = {
        c.resource: c for c in SyncCheckpoint.objects.filter(integration=integration).select_related("run")
    }
    out = []
    for resource in provider_for(integration).sync_resources:
        models = RESOURCE_MODELS.get(resource, ())
        records = sum(
            m.objects.filter(integration=integration, deleted_at__isnull=True).count() for m in models
        )
        removed = sum(
            m.objects.filter(integration=integration, deleted_at__isnull=False).count() for m in models
        )
        last = (
            SyncRun.objects.filter(integration=integration, resource=resource)
            .order_by("-started_at", "-pk")
            .first()
        )
        out.append(ResourceSummary(resource, records, removed, checkpoints.get(resource), last))
    return out


def sync_run_calls(*, run: SyncRun, limit: int = 200) -> QuerySet[OutboundCall]:
    """The calls to the ATS made while the run was going (with the vendor's request ids): calls
    of the same integration within the run's time window."""
    end = run.finished_at or run.heartbeat_at or timezone.now()
    return OutboundCall.objects.filter(
        integration_id=run.integration_id,
        created_at__gte=run.started_at,
        created_at__lte=end + dt.timedelta(seconds=1),
    ).order_by("created_at", "id")[:limit]


# --- the synced data, for other apps -----------------------------------------------------------


def job_list_for_integration(*, integration: Integration) -> QuerySet[Job]:
    return Job.objects.filter(integration=integration, deleted_at__isnull=True)


def stage_list_for_job(*, job: Job) -> QuerySet[InterviewStage]:
    """The job's interview stages in pipeline order (account-wide stages when the ATS has no
    per-job plan, as Lever)."""
    return InterviewStage.objects.filter(
        integration_id=job.integration_id, plan_external_id=job.plan_external_id, deleted_at__isnull=True
    ).order_by("order", "pk")


def candidate_get(*, integration: Integration, external_id: str) -> Candidate | None:
    return Candidate.objects.filter(
        integration=integration, external_id=external_id, deleted_at__isnull=True
    ).first()


def application_list_for_candidate(*, candidate: Candidate) -> QuerySet[Application]:
    return Application.objects.filter(candidate=candidate, deleted_at__isnull=True).select_related(
        "job", "stage"
    )


def synced_totals(*, integration: Integration) -> dict[str, int]:
    """How many live records of each kind we hold for the integration."""
    models = {"jobs": Job, "stages": InterviewStage, "candidates": Candidate, "applications": Application}
    return {
        name: model.objects.filter(integration=integration, deleted_at__isnull=True).count()
        for name, model in models.items()
    }
