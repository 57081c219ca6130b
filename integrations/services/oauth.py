"""OAuth 2.0 three-legged flow (requests-oauthlib) and token refresh.

- start: a random state bound to the browser session and stored server-side, PKCE (S256) where
  the provider allows it, redirect to the ATS consent page.
- callback at /<provider>/oauth-callback (the seeds' path): state checked against the session,
  code exchanged, requested vs granted scopes compared and explained.
- refresh: one service, under a row lock, re-reading after the lock so twenty concurrent callers
  cause one call to the token endpoint; a rotated refresh token is stored in the same commit."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations.base import ATSAuthError, ATSNetworkError, OAuth2Config
from integrations.models import ActivityLevel, AuthKind, Integration, IntegrationStatus, OAuthState, Token
from integrations.services.activity import activity_log
from integrations.services.integrations import integration_credentials_check, integration_mark_needs_reauth
from jobcannon.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

SESSION_KEY = "oauth_states"
STATE_TTL = timedelta(minutes=15)
REFRESH_MARGIN = timedelta(minutes=5)


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
    config = integration.provider_obj.oauth_config(integration)
    if config is None:
        raise OAuthFlowError(f"{integration.provider_obj.name} does not use OAuth.")
    return config


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def oauth_start(*, integration: Integration, user, session) -> str:
    """Returns the ATS authorization URL to redirect the admin's browser to."""
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


def _expiry(seconds: Any, default: int) -> Any:
    try:
        return timezone.now() + timedelta(seconds=int(seconds or default))
    except (TypeError, ValueError):
        return timezone.now() + timedelta(seconds=default)


@transaction.atomic
def _store_token(
    *, integration: Integration, token: dict[str, Any], config: OAuth2Config, rotated: bool
) -> Token:
    obj, _ = Token.objects.select_for_update().get_or_create(integration=integration)
    obj.access_token = token["access_token"]
    obj.token_type = token.get("token_type", "Bearer") or "Bearer"
    obj.access_expires_at = _expiry(token.get("expires_in"), config.access_token_lifetime_default)
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
    obj.scopes_granted = _scopes_from(token, config)
    obj.save()
    return obj


def oauth_callback(*, provider_key: str, params: dict[str, str], session, user) -> Integration:
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
    provider = integration.provider_obj
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
    integration_credentials_check(integration=integration)
    return integration


def token_refresh(*, integration_id: int, force: bool = False, seen_access_token: str | None = None) -> Token:
    """Refresh the access token once, however many workers ask at the same moment.

    Callers that got a 401 pass the token they used (`seen_access_token`): if another worker has
    already replaced it, the new one is returned without a second refresh."""
    with transaction.atomic():
        token = (
            Token.objects.select_for_update().select_related("integration").get(integration_id=integration_id)
        )
        integration = token.integration
        still_fresh = token.access_expires_at and token.access_expires_at > timezone.now() + REFRESH_MARGIN
        replaced = seen_access_token is not None and token.access_token != seen_access_token
        if replaced or (still_fresh and not force and seen_access_token is None):
            return token
        if not token.refresh_token:
            integration_mark_needs_reauth(
                integration=integration, reason="No refresh token: re-authorize the integration."
            )
            raise ATSAuthError("No refresh token: re-authorize the integration.")
        config = _config(integration)
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
            reason = (
                f"The ATS refused to refresh the token ({exc.error}): it was revoked or expired. "
                "Re-authorize the integration."
            )
            integration_mark_needs_reauth(integration=integration, reason=reason)
            raise ATSAuthError(reason, vendor_code=exc.error)
        except Exception as exc:
            raise ATSNetworkError(f"Could not reach the token endpoint: {type(exc).__name__}")
        stored = _store_token(integration=integration, token=dict(new), config=config, rotated=True)
        activity_log(integration=integration, kind="token.refreshed", message="Access token refreshed.")
        if integration.status == IntegrationStatus.NEEDS_REAUTH:
            pass  # a refresh alone does not clear needs_reauth: the admin re-authorizes
        return stored


def token_get_access(*, integration: Integration) -> str:
    """A valid access token, refreshed proactively when it expires within REFRESH_MARGIN."""
    token = Token.objects.filter(integration=integration).first()
    if token is None or not token.access_token:
        raise ATSAuthError("This integration is not authorized yet.")
    if token.access_expires_at and token.access_expires_at <= timezone.now() + REFRESH_MARGIN:
        token = token_refresh(integration_id=integration.pk)
    return token.access_token
