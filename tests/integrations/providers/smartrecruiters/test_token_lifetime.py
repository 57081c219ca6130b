"""SmartRecruiters refresh tokens last 28 days and are one-time use (help.smartrecruiters.com "Most
important facts about OAuth in SmartRecruiters"): they rotate at every refresh, so the console
never warns about a token's age, only about a refresh that has not succeeded for days (idle or
failing), before the 28 days run out."""

import datetime as dt

import pytest
from django.utils import timezone

from integrations.models import Token
from integrations.providers.smartrecruiters import constants
from integrations.services.health import credential_warnings

pytestmark = pytest.mark.django_db


def _warnings(integration, token):
    return {w.key: w for w in credential_warnings(integration=integration, token=token, now=timezone.now())}


def test_no_age_warning_for_a_token_granted_long_ago_and_refreshed_since(connected):
    integration = connected()
    token = Token.objects.get(integration=integration)
    token.refresh_issued_at = timezone.now() - dt.timedelta(days=560)
    token.save()
    assert "refresh_token_age" not in _warnings(integration, token), "SR tokens rotate: age means nothing"


def test_a_freshly_rotated_refresh_token_raises_no_warning(connected):
    integration = connected()
    token = Token.objects.get(integration=integration)
    assert token.refresh_expires_at - timezone.now() > dt.timedelta(days=27)
    assert _warnings(integration, token) == {}


def test_a_refresh_that_has_not_succeeded_for_days_is_flagged_before_the_grant_lapses(connected):
    integration = connected()
    token = Token.objects.get(integration=integration)
    idle = constants.REFRESH_TOKEN_DAYS - constants.REFRESH_TOKEN_WARN_BEFORE_DAYS + 1
    token.refresh_expires_at = timezone.now() + dt.timedelta(days=constants.REFRESH_TOKEN_DAYS - idle)
    token.save()
    warning = _warnings(integration, token)["refresh_token_expiry"]
    assert warning.level == "warning" and "re-authorize" in warning.message
    token.refresh_expires_at = timezone.now() - dt.timedelta(minutes=1)
    assert _warnings(integration, token)["refresh_token_expiry"].level == "error"
