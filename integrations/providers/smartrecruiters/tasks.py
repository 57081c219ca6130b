"""SmartRecruiters work run by the queue (django-q2 entry points: load by id, call one service).

An entry point sits above provider.py, like the queue's generic tasks sit above the registry: it
hands the provider to the service, which never looks it up (README "Layout")."""

from integrations.models import Integration

from . import constants, setup
from .provider import SmartRecruitersProvider


def subscription_retry_task(integration_id: int) -> None:
    """The backoff retry a temporary subscription failure scheduled (setup._subscription_error)."""
    integration = Integration.objects.filter(pk=integration_id, provider=constants.KEY).first()
    if integration is not None:
        setup.subscription_retry(integration=integration, provider=SmartRecruitersProvider())
