"""Announcements the workspaces app makes to the apps above it, without importing them (README
"Layout"): the audit log (jobcannon.audit) subscribes to what is audited and to a shortened
retention window (its purge), integrations fills the dashboard. Plain lists of callables
(house style §7: explicit registration, not Django signals), filled from the upper apps'
AppConfig.ready and called in order inside the caller's transaction; errors propagate."""

from __future__ import annotations

from typing import Any, Protocol


class AuditSubscriber(Protocol):
    def __call__(
        self, *, action: str, message: str, workspace: Any, target: Any, actor: Any, data: dict[str, Any]
    ) -> Any: ...


class RetentionSubscriber(Protocol):
    def __call__(self, *, workspace: Any, actor: Any, previous_days: int) -> Any: ...


class DashboardSource(Protocol):
    def __call__(self, *, workspace: Any) -> dict[str, Any]: ...


_audit_subscribers: list[AuditSubscriber] = []
_retention_subscribers: list[RetentionSubscriber] = []
_dashboard_sources: list[DashboardSource] = []


def audit_subscribe(subscriber: AuditSubscriber) -> None:
    """`subscriber(action=, message=, workspace=, target=, actor=, data=)` for every workspace
    event that belongs in the audit log (retention changes, invitations). Twice is a no-op."""
    if subscriber not in _audit_subscribers:
        _audit_subscribers.append(subscriber)


def audit_announce(
    *, action: str, message: str, workspace: Any, target: Any, actor: Any, data: dict[str, Any]
) -> None:
    for subscriber in _audit_subscribers:
        subscriber(action=action, message=message, workspace=workspace, target=target, actor=actor, data=data)


def retention_shortened_subscribe(subscriber: RetentionSubscriber) -> None:
    """`subscriber(workspace=, actor=, previous_days=)` when a workspace's retention window was
    made shorter (what it now covers is purged at once). Twice is a no-op."""
    if subscriber not in _retention_subscribers:
        _retention_subscribers.append(subscriber)


def retention_shortened_announce(*, workspace: Any, actor: Any, previous_days: int) -> None:
    for subscriber in _retention_subscribers:
        subscriber(workspace=workspace, actor=actor, previous_days=previous_days)


def dashboard_source_register(source: DashboardSource) -> None:
    """`source(workspace=)` returns context for the workspace dashboard (templates/workspaces/
    dashboard.html). Twice is a no-op."""
    if source not in _dashboard_sources:
        _dashboard_sources.append(source)


def dashboard_context(*, workspace: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for source in _dashboard_sources:
        context.update(source(workspace=workspace))
    return context
