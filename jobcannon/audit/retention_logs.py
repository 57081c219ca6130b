"""Retention for rows that only matter for a while, called by the retention sweep (retention.py):

- log noise: rejected partner API calls, already one row per calling address and window
  (integrations/services/partner_auth.py), are kept in the audit log and the integration log only
  for the workspace's retention window (the default window for rows without a workspace);
- spent reconnect links (integrations.ReconnectLink): once a link was used, revoked or expired,
  its row (who created it, when) is kept for the workspace's window after that moment, then
  deleted. A link whose row is gone is refused like an unknown one
  (integrations/services/reconnect.py), so the purge never makes a link usable again; the
  integration log and the audit log keep their lines about it;
- spent workspace invitations (workspaces.Invitation: the invitee's address, who invited them):
  accepted, revoked, replaced by a resend or expired, kept for the workspace's window after that
  moment, then deleted. Their link already no longer works; one whose row is gone is refused as
  unknown. The team and the audit log keep who joined and when."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from integrations.models import IntegrationActivity, ReconnectLink
from jobcannon.audit.models import AuditEvent
from jobcannon.workspaces.models import Invitation, Workspace

AGED_AUDIT_ACTIONS = ("partner.auth_failed",)
AGED_ACTIVITY_KINDS = ("partner.auth_failed",)
ROW_CHUNK = 500


def _older_than_window(*, now: dt.datetime, periods: Iterable[int], workspace_path: str) -> Q:
    default = now - dt.timedelta(days=settings.RETENTION_DAYS_DEFAULT)
    past = Q(**{f"{workspace_path}__isnull": True, "created_at__lt": default})
    for days in periods:
        past |= Q(
            **{f"{workspace_path}__retention_days": days, "created_at__lt": now - dt.timedelta(days=days)}
        )
    return past


def log_lines_purge(
    *, now: dt.datetime, periods: list[int], deadline: float, workspace: Workspace | None = None
) -> tuple[int, int, bool]:
    """Delete aged noise rows in chunks: (audit events, activity lines, finished)."""
    audit = AuditEvent.objects.filter(
        _older_than_window(now=now, periods=periods, workspace_path="workspace"),
        action__in=AGED_AUDIT_ACTIONS,
    )
    activity = IntegrationActivity.objects.filter(
        _older_than_window(now=now, periods=periods, workspace_path="integration__workspace"),
        kind__in=AGED_ACTIVITY_KINDS,
    )
    if workspace is not None:
        audit, activity = audit.filter(workspace=workspace), activity.filter(integration__workspace=workspace)
    audit_deleted, finished = _delete_in_chunks(audit, deadline)
    activity_deleted = 0
    if finished:
        activity_deleted, finished = _delete_in_chunks(activity, deadline)
    return audit_deleted, activity_deleted, finished


def _delete_in_chunks(rows: QuerySet[Any], deadline: float) -> tuple[int, bool]:
    """Delete `rows` ROW_CHUNK at a time until none is left or the deadline passes: (deleted,
    finished)."""
    deleted = 0
    while time.monotonic() <= deadline:
        ids = list(rows.values_list("pk", flat=True)[:ROW_CHUNK])
        if not ids:
            return deleted, True
        deleted += rows.model._default_manager.filter(pk__in=ids).delete()[0]
    return deleted, False


@dataclass(frozen=True)
class SpentRows:
    """Rows that end (used or accepted, revoked, expired) and are kept for their workspace's
    window after that moment: `ended` names the three moments, `workspace_path` the lookup from
    a row to its workspace."""

    model: type[ReconnectLink] | type[Invitation]
    ended: tuple[str, str, str]
    workspace_path: str


# The sweep's count name -> what it purges, in the sweep's order.
SPENT_ROWS = {
    "reconnect_links": SpentRows(
        ReconnectLink, ("used_at", "revoked_at", "expires_at"), "integration__workspace"
    ),
    # Invitations replaced by a resend are revoked.
    "invitations": SpentRows(Invitation, ("accepted_at", "revoked_at", "expires_at"), "workspace"),
}


def spent_rows_purge(
    spent_rows: SpentRows,
    *,
    now: dt.datetime,
    periods: Iterable[int],
    deadline: float,
    workspace: Workspace | None = None,
) -> tuple[int, bool]:
    """Delete, in chunks, the rows that ended before their workspace's window: (deleted,
    finished). A row ends at most once before it expires, so "any of the three moments before
    the cutoff" is "ended before"."""
    path, ended = spent_rows.workspace_path, spent_rows.ended
    spent: Q | None = None
    for days in periods:
        cutoff = now - dt.timedelta(days=days)
        window = Q(**{f"{path}__retention_days": days}) & (
            Q(**{f"{ended[0]}__lt": cutoff})
            | Q(**{f"{ended[1]}__lt": cutoff})
            | Q(**{f"{ended[2]}__lt": cutoff})
        )
        spent = window if spent is None else spent | window
    if spent is None:  # no workspace, so no row
        return 0, True
    rows = spent_rows.model._default_manager.filter(spent)
    if workspace is not None:
        rows = rows.filter(**{path: workspace})
    return _delete_in_chunks(rows, deadline)
