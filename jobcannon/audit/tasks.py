"""django-q2 entry points: thin wrappers, one service each."""

from jobcannon.audit.retention import retention_purge, retention_purge_for_workspace
from jobcannon.core.jobs import periodic_job


@periodic_job(every_minutes=60)
def retention_purge_task() -> int:
    sweep = retention_purge()
    return 0 if sweep is None else sweep.webhook_bodies + sweep.runs + sweep.answers


def retention_purge_workspace_task(
    workspace_id: int, user_id: int | None, previous_days: int, deferrals: int = 0
) -> int:
    """The purge a shortened retention window causes (jobcannon.workspaces.services); run again
    by a schedule when it found another purge of the workspace running (`deferrals`)."""
    from django.contrib.auth import get_user_model

    from jobcannon.workspaces.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    counts = retention_purge_for_workspace(
        workspace=workspace, requested_by=user, previous_days=previous_days, deferrals=deferrals
    )
    return sum((counts or {}).values())


# Hourly, each run bounded to ~30 s: a backlog (a first deploy, a shortened window) drains over
# a few runs instead of one long job. assessments.tasks' daily run purge keeps running too.
SCHEDULES = [
    ("jobcannon.audit.tasks.retention_purge_task", 60),
]
