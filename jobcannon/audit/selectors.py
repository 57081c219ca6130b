from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jobcannon.audit.models import AuditEvent, RetentionSweep


def audit_event_list_for_workspace(*, workspace: Any, action: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(workspace=workspace).select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    return qs


def retention_sweep_last() -> RetentionSweep | None:
    return RetentionSweep.objects.filter(finished_at__isnull=False).first()
