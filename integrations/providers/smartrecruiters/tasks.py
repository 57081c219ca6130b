"""Periodic SmartRecruiters work (registered by `manage.py setup_schedules`)."""

from __future__ import annotations

import logging

from integrations.base import ATSError
from integrations.models import Integration, IntegrationStatus
from integrations.services.queue import periodic_job

from . import constants, services

logger = logging.getLogger(__name__)

SCHEDULES = [("integrations.providers.smartrecruiters.tasks.orders_poll_task", 15)]


@periodic_job(every_minutes=15)
def orders_poll_task() -> int:
    """The safety net for orders whose call or webhook to us was lost."""
    accepted = 0
    for integration in Integration.objects.filter(provider=constants.KEY, status=IntegrationStatus.CONNECTED):
        try:
            accepted += services.orders_poll(integration=integration)
        except ATSError as exc:
            logger.warning(
                "smartrecruiters.orders_poll_failed",
                extra={"integration": integration.pk, "error_class": type(exc).__name__},
            )
    return accepted
