"""Scheduled token care: proactive refresh ahead of expiry, a daily keep-alive, and warnings
before a credential breaks. Every refresh goes through `token_refresh` (the only place tokens
are refreshed, single-flight under a row lock)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from integrations.base import ATSError
from integrations.models import ActivityLevel, IntegrationActivity, IntegrationStatus, Token
from integrations.registry import provider_for
from integrations.services.activity import activity_log
from integrations.services.oauth import REFRESH_MARGIN, token_expires_at, token_refresh

logger = logging.getLogger(__name__)

# The sweep runs every 5 minutes: look a little further ahead than the refresh margin so a
# token is refreshed by the sweep before any API call has to do it inline.
SWEEP_LOOKAHEAD = REFRESH_MARGIN + timedelta(minutes=10)
# Idle connections are refreshed once a day: proves the grant still works (and keeps refresh
# tokens that expire when unused alive), so a revoked grant is found before a result is due.
KEEPALIVE_IDLE = timedelta(hours=20)
# Warn the customer when refresh keeps failing, or when a token will expire with no refresh token.
WARN_AFTER_FAILURES = 3


@dataclass
class TokenSweepReport:
    refreshed: int = 0
    failed: int = 0
    warned: list[str] = field(default_factory=list)


def _connected_oauth_tokens():
    return (
        Token.objects.filter(integration__status=IntegrationStatus.CONNECTED, integration__auth_kind="oauth2")
        .exclude(access_token="")
        .select_related("integration")
    )


def token_refresh_expiring(*, within: timedelta = SWEEP_LOOKAHEAD) -> int:
    """Scheduled (every 5 min): refresh access tokens that expire within `within`, including
    tokens the ATS gave no expiry for (on the provider's default lifetime)."""
    now = timezone.now()
    refreshed = 0
    for token in _connected_oauth_tokens().exclude(refresh_token=""):
        config = provider_for(token.integration).oauth_config(token.integration)
        expires = token_expires_at(token=token, config=config) if config else None
        if expires is None or expires > now + within:
            continue
        try:
            # seen_access_token: refresh unless a worker replaced this token since we read it.
            token_refresh(integration_id=token.integration_id, seen_access_token=token.access_token)
            refreshed += 1
        except ATSError:
            continue  # recorded on the token and in the activity log by token_refresh
    return refreshed


def token_keepalive(*, idle: timedelta = KEEPALIVE_IDLE) -> TokenSweepReport:
    """Scheduled (daily): refresh tokens not refreshed for `idle`, and warn ahead of breakage."""
    now = timezone.now()
    report = TokenSweepReport()
    for token in _connected_oauth_tokens():
        if token.refresh_token and (token.refreshed_at is None or token.refreshed_at < now - idle):
            try:
                token = token_refresh(
                    integration_id=token.integration_id, seen_access_token=token.access_token
                )
                report.refreshed += 1
            except ATSError:
                report.failed += 1
                # Re-read: the provider may have forgotten a token the ATS refused
                # (ATSProvider.oauth_refresh_refused), and the other integrations still get theirs.
                fresh = Token.objects.filter(pk=token.pk).select_related("integration").first()
                if fresh is None:
                    continue
                token = fresh
        for kind, message in token_warnings(token=token, now=now):
            if _warn_once_a_day(token=token, kind=kind, message=message, now=now):
                report.warned.append(kind)
    return report


def token_warnings(*, token: Token, now=None) -> list[tuple[str, str]]:
    """What will break and when, said before it does: (activity kind, sentence) pairs."""
    now = now or timezone.now()
    integration = token.integration
    name = provider_for(integration).name
    warnings: list[tuple[str, str]] = []
    config = provider_for(integration).oauth_config(integration)
    expires = token_expires_at(token=token, config=config) if config else token.access_expires_at
    if token.refresh_failures >= WARN_AFTER_FAILURES:
        until = (
            f" The current token works until {expires:%Y-%m-%d %H:%M} UTC."
            if expires and expires > now
            else ""
        )
        warnings.append(
            (
                "token.refresh_failing",
                f"Refreshing the {name} token failed {token.refresh_failures} times in a row "
                f"({token.last_refresh_error}).{until} If it keeps failing, re-authorize the integration.",
            )
        )
    if not token.refresh_token and expires and expires <= now + timedelta(days=2):
        warnings.append(
            (
                "token.no_refresh_token",
                f"{name} gave no refresh token: the access token stops working on "
                f"{expires:%Y-%m-%d %H:%M} UTC. Re-authorize before then.",
            )
        )
    if token.access_token and token.access_expires_at is None:
        warnings.append(
            (
                "token.no_expiry",
                f"{name} issued an access token without an expiry. JobCannon refreshes it on a fixed "
                "schedule and checks it daily; watch for authorization errors.",
            )
        )
    return warnings


def _warn_once_a_day(*, token: Token, kind: str, message: str, now) -> bool:
    if IntegrationActivity.objects.filter(
        integration_id=token.integration_id, kind=kind, created_at__gte=now - timedelta(days=1)
    ).exists():
        return False
    activity_log(integration=token.integration, kind=kind, level=ActivityLevel.WARNING, message=message)
    logger.info("token.warning", extra={"integration": token.integration_id, "kind": kind})
    return True
