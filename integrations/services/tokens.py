from datetime import timedelta

from django.utils import timezone

from integrations.base import ATSError
from integrations.models import IntegrationStatus, Token
from integrations.services.oauth import token_refresh


def token_refresh_expiring(*, within: timedelta = timedelta(minutes=15)) -> int:
    """Scheduled: refresh access tokens before they expire, so no ATS call meets a 401."""
    soon = timezone.now() + within
    ids = list(
        Token.objects.filter(access_expires_at__lte=soon, integration__status=IntegrationStatus.CONNECTED)
        .exclude(refresh_token="")
        .values_list("integration_id", flat=True)
    )
    n = 0
    for integration_id in ids:
        try:
            token_refresh(integration_id=integration_id)
            n += 1
        except ATSError:
            continue
    return n
