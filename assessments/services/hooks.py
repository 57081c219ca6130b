"""The seam between assessments and the apps above it (integrations), in both directions,
without assessments importing them:

- run events: a run started, completed, was cancelled or expired. The run services announce
  them (`run_event_announce`, inside the run's transaction) and the apps above subscribe from
  their AppConfig.ready (integrations: the write-back outbox). A plain list of callables, not
  Django signals (house style §7): explicit registration, called in order, errors propagate so
  the run's transaction rolls back with its write-back.
- purge holds: the retention purge asks the subscribers which finished runs must be kept a
  while longer (integrations: a write-back still in flight).
- report context: what the apps above add to a run's report page for the workspace
  (integrations: the updates sent to the ATS), so the page reads no table of theirs itself.
- run sources: the name of what ordered a run (integrations: the ATS's name), for the run list
  and the report; a run no source claims was ordered by hand ("Manual").
- callbacks from integrations into assessments (`run_writeback_delivered`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import AssessmentRun, RunStatus


class RunEvent:
    """What happened to a run (the `event` passed to subscribers and to providers' on_run_event)."""

    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class RunEventSubscriber(Protocol):
    def __call__(self, *, run: AssessmentRun, event: str) -> Any: ...


class ReportContextSource(Protocol):
    def __call__(self, *, run: AssessmentRun) -> dict[str, Any]: ...


RunSourceName = Callable[[AssessmentRun], str]

PurgeHold = Callable[["QuerySet[AssessmentRun]"], "QuerySet[AssessmentRun]"]

_run_event_subscribers: list[RunEventSubscriber] = []
_purge_holds: list[PurgeHold] = []
_report_context_sources: list[ReportContextSource] = []
_run_source_names: list[RunSourceName] = []


def run_event_subscribe(subscriber: RunEventSubscriber) -> None:
    """Call `subscriber(run=..., event=...)` on every run event. Subscribing twice is a no-op."""
    if subscriber not in _run_event_subscribers:
        _run_event_subscribers.append(subscriber)


def run_event_announce(*, run: AssessmentRun, event: str) -> None:
    """Tell the subscribers. Call inside the run's transaction: what they write commits with
    the run, or not at all."""
    for subscriber in _run_event_subscribers:
        subscriber(run=run, event=event)


def run_purge_hold_register(hold: PurgeHold) -> None:
    """`hold(finished_runs)` returns the runs that may be purged now (it excludes the ones to keep)."""
    if hold not in _purge_holds:
        _purge_holds.append(hold)


def runs_purgeable(runs: QuerySet[AssessmentRun]) -> QuerySet[AssessmentRun]:
    for hold in _purge_holds:
        runs = hold(runs)
    return runs


def report_context_source_register(source: ReportContextSource) -> None:
    """`source(run=)` returns context for the run's report page as the workspace sees it
    (templates/assessments/report.html; not the shared report the ATS opens). Twice is a no-op."""
    if source not in _report_context_sources:
        _report_context_sources.append(source)


def report_context(*, run: AssessmentRun) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for source in _report_context_sources:
        context.update(source(run=run))
    return context


def run_source_name_register(source: RunSourceName) -> None:
    """`source(run)` returns the name of what ordered the run (e.g. "Ashby"), or "" when the run
    is not its own. Twice is a no-op."""
    if source not in _run_source_names:
        _run_source_names.append(source)


def run_source_name(run: AssessmentRun) -> str:
    """The first registered source's name for `run`, or "" (ordered by hand)."""
    for source in _run_source_names:
        name = source(run)
        if name:
            return name
    return ""


def run_writeback_delivered(*, run: AssessmentRun, event: str) -> None:
    """The ATS acknowledged the result: the run is delivered."""
    if event == "completed" and run.status in (RunStatus.COMPLETED, RunStatus.SCORED):
        AssessmentRun.objects.filter(pk=run.pk, status__in=[RunStatus.COMPLETED, RunStatus.SCORED]).update(
            status=RunStatus.DELIVERED, delivered_at=timezone.now()
        )
