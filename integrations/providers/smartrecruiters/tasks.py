"""SmartRecruiters work run by the queue (django-q2 entry points: load by id, call one service).

An entry point sits above provider.py, like the queue's generic tasks sit above the registry: it
hands the provider to the service, which never looks it up (README "Layout"). New subscription
retries are scheduled through the generic integrations.services.queue.provider_step_retry_task;
this name stays for schedules written before that (a pending ONCE schedule names its func)."""

from integrations.models import Integration

from . import constants, setup
from .provider import SmartRecruitersProvider


def subscription_retry_task(integration_id: int) -> None:
    """A retry scheduled under the old name: the same step the generic task runs."""
    integration = Integration.objects.filter(pk=integration_id, provider=constants.KEY).first()
    if integration is not None:
        SmartRecruitersProvider().retry_step(setup.SUBSCRIPTION_RETRY_STEP, integration)
