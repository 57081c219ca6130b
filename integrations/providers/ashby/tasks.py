"""Periodic Ashby work (registered by `manage.py setup_schedules`)."""

from integrations.models import AuthKind, Integration, IntegrationStatus
from jobcannon.core.jobs import periodic_job

from .services import refresh_token_age_warn


@periodic_job(every_minutes=1440)
def refresh_token_age_check_task() -> int:
    """Daily: warn once per refresh token when it is older than 1.5 years (they last ~2 years).
    Access tokens themselves are refreshed ahead of expiry by the generic token task."""
    integrations = (
        Integration.objects.filter(provider="ashby", auth_kind=AuthKind.OAUTH2, token__isnull=False)
        .exclude(status=IntegrationStatus.DISCONNECTED)
        .select_related("token")
    )
    return sum(refresh_token_age_warn(integration=i) for i in integrations)


SCHEDULES = [("integrations.providers.ashby.tasks.refresh_token_age_check_task", 24 * 60)]
