"""Scheduled Lever work (registered by `manage.py setup_schedules`)."""

from integrations.models import Integration, IntegrationStatus
from jobcannon.core.jobs import periodic_job

from .setup import lever_api_key_expiry_check

SCHEDULES = [("integrations.providers.lever.tasks.lever_api_key_expiry_check_task", 24 * 60)]


@periodic_job(every_minutes=1440)
def lever_api_key_expiry_check_task() -> int:
    """Daily: warn (activity line, once per threshold) when a Lever API key nears its first birthday."""
    warned = 0
    for integration in Integration.objects.filter(provider="lever", auth_kind="api_key").exclude(
        status=IntegrationStatus.DISCONNECTED
    ):
        warned += bool(lever_api_key_expiry_check(integration=integration))
    return warned
