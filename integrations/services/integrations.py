from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.base import ATSError
from integrations.models import ActivityLevel, AuthKind, Environment, Integration, IntegrationStatus
from integrations.registry import get_provider, provider_for
from integrations.services.activity import activity_log
from integrations.services.status import integration_set_status
from jobcannon.core.exceptions import Conflict, ValidationFailed


def webhook_secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def integration_create(
    *,
    workspace,
    provider: str,
    environment: str = Environment.SANDBOX,
    auth_kind: str,
    region: str = "",
    created_by=None,
    credentials: dict[str, Any] | None = None,
    provider_settings: dict[str, Any] | None = None,
) -> Integration:
    prov = get_provider(provider)
    if auth_kind not in prov.auth_kinds:
        raise ValidationFailed(f"{prov.name} does not support {auth_kind} authentication.")
    if prov.regions and region not in prov.regions:
        raise ValidationFailed(f"Choose a data region for {prov.name}: {', '.join(prov.regions)}.")
    try:
        with transaction.atomic():
            return Integration.objects.create(
                workspace=workspace,
                provider=provider,
                environment=environment,
                auth_kind=auth_kind,
                region=region,
                created_by=created_by,
                credentials=credentials or {},
                provider_settings=provider_settings or {},
                webhook_secrets=[
                    {"secret": webhook_secret_generate(), "created_at": timezone.now().isoformat()}
                ],
            )
    except IntegrityError:
        raise Conflict(f"This workspace already has a {environment} integration with {prov.name}.")


def integration_credentials_check(*, integration: Integration) -> bool:
    """Live call to the ATS. On success the integration is connected and provider setup
    (webhook registration...) runs; on failure the reason is recorded and shown."""
    provider = provider_for(integration)
    try:
        check = provider.validate_credentials(integration)
    except ATSError as exc:
        integration_set_status(
            integration=integration,
            status=IntegrationStatus.NEEDS_REAUTH
            if integration.status != IntegrationStatus.PENDING
            else IntegrationStatus.PENDING,
            reason=exc.message,
        )
        activity_log(
            integration=integration,
            kind="credentials.invalid",
            level=ActivityLevel.ERROR,
            message=exc.message,
        )
        return False
    if not check.ok:
        integration_set_status(
            integration=integration, status=IntegrationStatus.PENDING, reason=check.message
        )
        activity_log(
            integration=integration,
            kind="credentials.invalid",
            level=ActivityLevel.ERROR,
            message=check.message,
        )
        return False
    integration.credentials_checked_at = timezone.now()
    integration.save(update_fields=["credentials_checked_at", "updated_at"])
    activity_log(integration=integration, kind="credentials.valid", message=check.message)
    if integration.status == IntegrationStatus.DISCONNECTED:
        # Reconnecting: on_connected may make the vendor call us (SmartRecruiters' X-Hook-Secret
        # handshake for a new subscription), which intake refuses while disconnected.
        integration_set_status(
            integration=integration, status=IntegrationStatus.PENDING, reason="Reconnecting."
        )
    try:
        provider.on_connected(integration)
    except ATSError as exc:
        integration_set_status(
            integration=integration,
            status=IntegrationStatus.PENDING,
            reason=f"Credentials are valid, but setup failed: {exc.message}",
        )
        activity_log(
            integration=integration, kind="setup.failed", level=ActivityLevel.ERROR, message=exc.message
        )
        return False
    integration_set_status(
        integration=integration,
        status=IntegrationStatus.CONNECTED,
        reason=provider.connected_reason(integration),
    )
    from integrations.services.writeback import writeback_resume_after_reauth

    writeback_resume_after_reauth(integration=integration)
    return True


def integration_connect_api_key(
    *, integration: Integration, api_key: str, extra: dict[str, Any] | None = None
) -> bool:
    api_key = api_key.strip()
    if not api_key:
        raise ValidationFailed("Enter the API key.")
    integration.credentials = {**(integration.credentials or {}), "api_key": api_key, **(extra or {})}
    integration.auth_kind = AuthKind.API_KEY
    integration.save(update_fields=["credentials", "auth_kind", "updated_at"])
    return integration_credentials_check(integration=integration)


@transaction.atomic
def webhook_secret_rotate(*, integration: Integration, keep_previous: bool = True) -> str:
    """New secret first; the previous one keeps verifying until `webhook_secret_retire_old`.
    Refused (Conflict) where the ATS signs with a key of its own: a secret no page shows would only
    be one more key verification tries."""
    provider = provider_for(integration)
    if not provider.signs_with_our_secret(integration):
        raise Conflict(
            f"{provider.name} signs its webhooks with a key of its own: there is no JobCannon webhook "
            "secret to rotate for it."
        )
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    new = {"secret": webhook_secret_generate(), "created_at": timezone.now().isoformat()}
    old = (integration.webhook_secrets or [])[:1] if keep_previous else []
    integration.webhook_secrets = [new, *old]
    integration.save(update_fields=["webhook_secrets", "updated_at"])
    activity_log(integration=integration, kind="webhook_secret.rotated", message="Webhook secret rotated.")
    return new["secret"]


def webhook_secret_retire_old(*, integration: Integration) -> None:
    integration.webhook_secrets = (integration.webhook_secrets or [])[:1]
    integration.save(update_fields=["webhook_secrets", "updated_at"])
    activity_log(
        integration=integration, kind="webhook_secret.retired", message="Previous webhook secret retired."
    )


def integration_disconnect(
    *, integration: Integration, reason: str = "Disconnected by a workspace admin."
) -> Integration:
    """Disconnect; `reason` is what the integration's page says about who did it (a workspace
    admin by default, JobCannon staff from the admin, the ATS itself when it removed us)."""
    # While the credentials still work: the provider removes what it registered at the vendor.
    provider_for(integration).on_disconnect(integration)
    return integration_set_status(
        integration=integration, status=IntegrationStatus.DISCONNECTED, reason=reason
    )
