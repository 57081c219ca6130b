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


class DashboardSection:
    """One block of the workspace dashboard, rendered with the upper app's own template (this
    app knows neither its URLs nor its models)."""

    def __init__(self, *, template: str, context: dict[str, Any]):
        self.template = template
        self.context = context


_audit_subscribers: list[AuditSubscriber] = []
_retention_subscribers: list[RetentionSubscriber] = []
_dashboard_sources: list[tuple[DashboardSource, str]] = []


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


def dashboard_source_register(source: DashboardSource, *, template: str) -> None:
    """`source(workspace=)` returns the context of one dashboard section, rendered with
    `template` (the registering app's own, included by templates/workspaces/dashboard.html in
    registration order). Twice is a no-op."""
    if all(registered is not source for registered, _ in _dashboard_sources):
        _dashboard_sources.append((source, template))


def dashboard_context(*, workspace: Any) -> dict[str, Any]:
    return {
        "sections": [
            DashboardSection(template=template, context=source(workspace=workspace))
            for source, template in _dashboard_sources
        ]
    }
