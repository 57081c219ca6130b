"""OAuth 2.0 three-legged flow (requests-oauthlib) and token refresh.

- start: a random state bound to the browser session and stored server-side, PKCE (S256) where
  the provider allows it, redirect to the ATS consent page.
- callback at /<provider>/oauth-callback (the seeds' path): state checked against the session,
  code exchanged, requested vs granted scopes compared and explained. An authorization started
  through a reconnect link carries the link on its OAuthState row: the callback claims the link
  before exchanging the code (refused once used or revoked) and releases it if the attempt fails.
- refresh: one service (`token_refresh`), under a row lock, re-reading after the lock so fifty
  concurrent callers cause one call to the token endpoint; a rotated refresh token is stored in
  the same commit as the access token. Tokens are refreshed ahead of expiry (REFRESH_MARGIN);
  a token response without expires_in is stored with access_expires_at NULL (flagged on the
  health page) and refreshed on the provider's default lifetime instead."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations.base import (
    ATSAuthError,
    ATSError,
    ATSNetworkError,
    ATSServerError,
    OAuth2Config,
    TokenRefreshRefused,
)
from integrations.models import (
    ActivityLevel,
    AuthKind,
    Integration,
    OAuthState,
    ReconnectLink,
    Token,
)
from integrations.registry import provider_for
from integrations.services.activity import activity_log
from integrations.services.integrations import CredentialsOutcome, integration_credentials_check
from integrations.services.reconnect import reconnect_link_claim, reconnect_link_release, reconnect_link_used
from integrations.services.status import integration_mark_needs_reauth
from jobcannon.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

SESSION_KEY = "oauth_states"
STATE_TTL = timedelta(minutes=15)
# Refresh this long before the access token expires (at most a third of its lifetime), so no
# call meets an expired token and a failing token endpoint is noticed while the token still works.
REFRESH_MARGIN = timedelta(minutes=15)
# After a failed refresh, callers keep using a still-valid token for this long before trying again,
# instead of every API call hammering a token endpoint that is down.
REFRESH_FAILURE_COOLDOWN = timedelta(seconds=30)
# OAuth errors that no retry can fix (RFC 6749 §5.2): the grant is gone, re-authorization needed.
PERMANENT_REFRESH_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


class OAuthFlowError(ApplicationError):
    code = "oauth_failed"
    status = 400


def redirect_uri_for(provider_key: str) -> str:
    return settings.JOBCANNON_BASE_URL + reverse("integrations:oauth-callback", args=[provider_key])


def _client_credentials(integration: Integration) -> tuple[str, str]:
    creds = integration.credentials or {}
    defaults = getattr(settings, "OAUTH_CLIENTS", {}).get(integration.provider, {})
    client_id = creds.get("client_id") or defaults.get("client_id", "")
    client_secret = creds.get("client_secret") or defaults.get("client_secret", "")
    if not client_id:
        raise OAuthFlowError(
            "This integration has no OAuth client id: enter the Client ID and Client Secret the ATS generated."
        )
    return client_id, client_secret


def _config(integration: Integration) -> OAuth2Config:
    config = provider_for(integration).oauth_config(integration)
    if config is None:
        raise OAuthFlowError(f"{provider_for(integration).name} does not use OAuth.")
    return config


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def oauth_start(
    *, integration: Integration, user, session, reconnect_link: ReconnectLink | None = None
) -> str:
    """Returns the ATS authorization URL to redirect the admin's browser to. `reconnect_link`:
    the (resolved, open) link this authorization runs on, claimed by the callback."""
    config = _config(integration)
    client_id, _ = _client_credentials(integration)
    redirect_uri = redirect_uri_for(integration.provider)
    state = secrets.token_urlsafe(32)
    verifier, challenge = ("", "")
    params: dict[str, Any] = dict(config.extra_authorize_params)
    if config.use_pkce:
        verifier, challenge = _pkce_pair()
        params.update(code_challenge=challenge, code_challenge_method="S256")
    oauth = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=list(config.scopes), state=state)
    url, _ = oauth.authorization_url(config.authorize_url, **params)
    OAuthState.objects.create(
        integration=integration,
        state=state,
        code_verifier=verifier,
        redirect_uri=redirect_uri,
        user=user if getattr(user, "is_authenticated", False) else None,
        reconnect_link=reconnect_link,
    )
    states = session.get(SESSION_KEY, [])
    session[SESSION_KEY] = [*states[-4:], state]
    activity_log(
        integration=integration,
        kind="oauth.started",
        message="Authorization started: redirecting to the ATS consent page.",
    )
    return url


def _scopes_from(token: dict[str, Any], config: OAuth2Config) -> list[str]:
    scope = token.get("scope")
    if scope is None:
        return list(config.scopes)  # RFC 6749 §5.1: omitted means "as requested"
    if isinstance(scope, str):
        return [s for s in scope.replace(",", " ").split() if s]
    return list(scope)


def _expiry(seconds: Any) -> Any:
    """When the access token expires, or None when the ATS did not say (Nango #6775: such tokens
    were never refreshed and died silently; we refresh them on the default lifetime and flag them)."""
    try:
        return timezone.now() + timedelta(seconds=int(seconds)) if seconds not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _lifetime(seconds: Any) -> int | None:
    try:
        return max(0, int(seconds)) if seconds not in (None, "") else None
    except (TypeError, ValueError):
        return None


@transaction.atomic
def _store_token(
    *, integration: Integration, token: dict[str, Any], config: OAuth2Config, rotated: bool
) -> Token:
    obj, _ = Token.objects.select_for_update().get_or_create(integration=integration)
    obj.access_token = token["access_token"]
    obj.token_type = token.get("token_type", "Bearer") or "Bearer"
    obj.access_expires_at = _expiry(token.get("expires_in"))
    obj.access_lifetime = _lifetime(token.get("expires_in"))
    obj.refreshed_at = obj.last_refresh_attempt_at = timezone.now()
    obj.refresh_failures = 0
    obj.last_refresh_error = ""
    if token.get("refresh_token"):
        if token["refresh_token"] != obj.refresh_token or not obj.refresh_issued_at:
            obj.refresh_issued_at = timezone.now()
            if config.refresh_token_lifetime_days:
                obj.refresh_expires_at = timezone.now() + timedelta(days=config.refresh_token_lifetime_days)
        obj.refresh_token = token["refresh_token"]
    if rotated:
        obj.refresh_count += 1
    else:
        obj.scopes_requested = list(config.scopes)
    if not (rotated and token.get("scope") is None):
        # A refresh response without scope keeps the scope originally granted (RFC 6749 §6).
        obj.scopes_granted = _scopes_from(token, config)
    obj.save()
    return obj


@dataclass(frozen=True)
class OAuthCallbackResult:
    integration: Integration
    via_reconnect_link: bool  # started through a shareable link: the person may have no account
    # The live check of the new tokens: pages say what it says (a warning when the ATS could not
    # judge them), not what the status implies; an unreachable ATS leaves a status standing.
    outcome: CredentialsOutcome


def oauth_callback(*, provider_key: str, params: dict[str, str], session, user) -> OAuthCallbackResult:
    """Finish an authorization. Raises OAuthFlowError, or ReconnectLinkInvalid when it was started
    through a reconnect link that was used, revoked or expired meanwhile (nothing saved then)."""
    state = params.get("state", "")
    if not state or state not in session.get(SESSION_KEY, []):
        raise OAuthFlowError(
            "This authorization response does not belong to your browser session (state mismatch). Start the connection again."
        )
    pending = (
        OAuthState.objects.select_related("integration").filter(state=state, used_at__isnull=True).first()
    )
    if (
        pending is None
        or pending.integration.provider != provider_key
        or pending.created_at < timezone.now() - STATE_TTL
    ):
        raise OAuthFlowError(
            "This authorization link expired or was already used. Start the connection again."
        )
    OAuthState.objects.filter(pk=pending.pk).update(used_at=timezone.now())
    integration = pending.integration
    link_id = pending.reconnect_link_id
    if link_id is None:
        outcome = _authorize(pending=pending, params=params)
        return OAuthCallbackResult(integration, via_reconnect_link=False, outcome=outcome)
    # The link is the permission this authorization runs on. It is read from the state's own row,
    # not from the session, which keeps only the browser's latest start: claimed (one atomic
    # update) before the code is exchanged, so a link used by another start or tab, revoked or
    # expired saves no tokens; a failed attempt releases it for another try.
    reconnect_link_claim(link_id=link_id)
    try:
        outcome = _authorize(pending=pending, params=params)
    except BaseException:
        reconnect_link_release(link_id=link_id)
        raise
    integration.refresh_from_db()
    if outcome.ok or not outcome.judged:
        # Worked, or saved and not yet checked (the ATS was unavailable): the link is spent either
        # way, so nobody holding it can replace the tokens once a later check passes.
        reconnect_link_used(integration=integration, checked=outcome.ok)
    else:  # tokens saved but refused: the link may be tried again
        reconnect_link_release(link_id=link_id)
    return OAuthCallbackResult(integration, via_reconnect_link=True, outcome=outcome)


def _authorize(*, pending: OAuthState, params: dict[str, str]) -> CredentialsOutcome:
    """Exchange the code of a checked, now used, pending authorization, store the tokens and
    check them live; returns the check's outcome."""
    state = pending.state
    integration = pending.integration
    provider = provider_for(integration)
    if params.get("error"):
        message = provider.explain_oauth_error(
            params["error"], params.get("error_description", ""), integration
        )
        activity_log(
            integration=integration,
            kind="oauth.denied",
            level=ActivityLevel.ERROR,
            message=message,
            data={"error": params["error"][:100]},
        )
        raise OAuthFlowError(
            message, code=params["error"][:60], details={"integration": str(integration.public_id)}
        )
    code = params.get("code", "")
    if not code:
        raise OAuthFlowError("The ATS returned no authorization code.")
    config = _config(integration)
    client_id, client_secret = _client_credentials(integration)
    oauth = OAuth2Session(client_id, redirect_uri=pending.redirect_uri, state=state)
    try:
        token = oauth.fetch_token(
            config.token_url,
            code=code,
            client_secret=client_secret or None,
            include_client_id=config.client_auth == "body",
            code_verifier=pending.code_verifier or None,
            timeout=settings.OUTBOUND_TIMEOUT_SECONDS,
        )
    except OAuth2Error as exc:
        message = provider.explain_oauth_error(exc.error, exc.description or "", integration)
        activity_log(
            integration=integration, kind="oauth.exchange_failed", level=ActivityLevel.ERROR, message=message
        )
        raise OAuthFlowError(message, code=exc.error)
    except Exception as exc:  # network errors from requests
        raise OAuthFlowError(f"Could not reach the ATS token endpoint: {type(exc).__name__}.")
    stored = _store_token(integration=integration, token=dict(token), config=config, rotated=False)
    integration.auth_kind = AuthKind.OAUTH2
    integration.save(update_fields=["auth_kind", "updated_at"])
    missing = stored.missing_scopes()
    if missing:
        activity_log(
            integration=integration,
            kind="oauth.scopes_missing",
            level=ActivityLevel.WARNING,
            message=f"Granted scopes are missing {', '.join(missing)}: features that need them will fail until you re-authorize and approve them.",
            data={"missing": missing},
        )
    else:
        activity_log(
            integration=integration,
            kind="oauth.authorized",
            message="Authorized; all requested scopes granted.",
        )
    # The tokens were issued seconds ago: new credentials, whatever the status says about the
    # previous ones (an ATS that cannot judge them leaves no "connected" standing for them).
    return integration_credentials_check(integration=integration, credentials_changed=True)


def token_expires_at(*, token: Token, config: OAuth2Config) -> Any:
    """When the access token stops working: as the ATS said, or (no expires_in) the provider's
    default lifetime after it was granted. None: unknown and never granted here."""
    if token.access_expires_at:
        return token.access_expires_at
    if token.refreshed_at:
        return token.refreshed_at + timedelta(seconds=config.access_token_lifetime_default)
    return None


def token_needs_refresh(*, token: Token, config: OAuth2Config, now: Any = None) -> bool:
    now = now or timezone.now()
    expires = token_expires_at(token=token, config=config)
    if expires is None:
        return False
    lifetime = token.access_lifetime if token.access_expires_at else config.access_token_lifetime_default
    margin = min(REFRESH_MARGIN, timedelta(seconds=lifetime) / 3) if lifetime else REFRESH_MARGIN
    if expires <= now:
        return True
    if expires > now + margin:
        return False
    # Inside the margin the token still works: after a failed attempt, wait a little.
    recent_failure = (
        token.refresh_failures
        and token.last_refresh_attempt_at
        and token.last_refresh_attempt_at > now - REFRESH_FAILURE_COOLDOWN
    )
    return not recent_failure


def token_refresh(*, integration_id: int, force: bool = False, seen_access_token: str | None = None) -> Token:
    """Refresh the access token once, however many workers ask at the same moment.

    The only place tokens are refreshed. Under a row lock on the Token, re-reading after the lock:
    a caller that waited finds the token another worker just refreshed and returns it. Callers
    that got a 401 pass the token they used (`seen_access_token`): if it has been replaced, the
    new one is returned without a second refresh; if not, the refresh happens even before expiry.
    A rotated refresh token is saved in the same commit as the new access token.

    Failures are recorded on the Token (health) after the lock is released: invalid_grant and
    friends → needs_reauth + ATSAuthError; anything else → a retryable ATSError."""
    failure: ATSError
    with transaction.atomic():
        token = (
            Token.objects.select_for_update().select_related("integration").get(integration_id=integration_id)
        )
        integration = token.integration
        config = _config(integration)
        if seen_access_token is not None and token.access_token != seen_access_token:
            return token  # another worker refreshed while we waited for the lock
        if seen_access_token is None and not force and not token_needs_refresh(token=token, config=config):
            return token
        if not token.refresh_token:
            failure = TokenRefreshRefused(
                "No refresh token: re-authorize the integration.", vendor_code="no_refresh_token"
            )
        else:
            client_id, client_secret = _client_credentials(integration)
            oauth = OAuth2Session(
                client_id,
                token={
                    "access_token": token.access_token,
                    "refresh_token": token.refresh_token,
                    "token_type": token.token_type,
                },
            )
            try:
                new = oauth.refresh_token(
                    config.token_url,
                    refresh_token=token.refresh_token,
                    client_id=client_id,
                    client_secret=client_secret or None,
                    timeout=settings.OUTBOUND_TIMEOUT_SECONDS,
                    include_client_id=config.client_auth == "body",
                )
            except OAuth2Error as exc:
                if exc.error in PERMANENT_REFRESH_ERRORS:
                    failure = TokenRefreshRefused(
                        f"The ATS refused to refresh the token ({exc.error}): it was revoked or expired. "
                        "Re-authorize the integration.",
                        vendor_code=exc.error,
                    )
                else:
                    failure = ATSServerError(
                        f"The token endpoint failed ({exc.error}); JobCannon will try again.",
                        vendor_code=exc.error,
                    )
            except Exception as exc:  # noqa: BLE001 - network errors, timeouts, non-JSON bodies
                failure = ATSNetworkError(f"Could not refresh the token at the ATS: {type(exc).__name__}")
            else:
                stored = _store_token(integration=integration, token=dict(new), config=config, rotated=True)
                activity_log(
                    integration=integration, kind="token.refreshed", message="Access token refreshed."
                )
                # A refresh alone does not clear needs_reauth: the admin re-authorizes.
                return stored
    _record_refresh_failure(integration=integration, error=failure)
    raise failure


def _record_refresh_failure(*, integration: Integration, error: ATSError) -> None:
    Token.objects.filter(integration=integration).update(
        refresh_failures=F("refresh_failures") + 1,
        last_refresh_error=error.message[:500],
        last_refresh_attempt_at=timezone.now(),
    )
    if isinstance(error, ATSAuthError):
        if not provider_for(integration).oauth_refresh_refused(integration, error):
            integration_mark_needs_reauth(integration=integration, reason=error.message)
    else:
        activity_log(
            integration=integration,
            kind="token.refresh_failed",
            level=ActivityLevel.WARNING,
            message=f"{error.message} The current access token keeps working until it expires.",
        )
    logger.warning(
        "token.refresh_failed", extra={"integration": integration.pk, "error_class": type(error).__name__}
    )


def token_get_access(*, integration: Integration) -> str:
    """A valid access token, refreshed ahead of expiry (see `token_needs_refresh`)."""
    token = Token.objects.filter(integration=integration).first()
    if token is None or not token.access_token:
        raise ATSAuthError("This integration is not authorized yet.")
    config = provider_for(integration).oauth_config(integration)
    if config is not None and token_needs_refresh(token=token, config=config):
        try:
            token = token_refresh(integration_id=integration.pk)
        except ATSError as exc:
            expires = token_expires_at(token=token, config=config)
            # A proactive refresh that failed for a transient reason: the token still works.
            if exc.retryable and expires is not None and expires > timezone.now():
                return token.access_token
            raise
    return token.access_token
