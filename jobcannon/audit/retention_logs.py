"""Retention for log noise: rejected partner API calls, already one row per calling address and
window (integrations/services/partner_auth.py), are kept in the audit log and the integration log
only for the workspace's retention window (the default window for rows without a workspace).
Called by the retention sweep (retention.py)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q

from integrations.models import IntegrationActivity
from jobcannon.audit.models import AuditEvent
from jobcannon.workspaces.models import Workspace

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
    counts = [0, 0]
    for i, qs in enumerate((audit, activity)):
        while True:
            if time.monotonic() > deadline:
                return counts[0], counts[1], False
            ids = list(qs.values_list("pk", flat=True)[:ROW_CHUNK])
            if not ids:
                break
            counts[i] += qs.model._default_manager.filter(pk__in=ids).delete()[0]
    return counts[0], counts[1], True
