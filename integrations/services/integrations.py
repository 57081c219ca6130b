from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.base import (
    ATSAmbiguousError,
    ATSError,
    ATSNetworkError,
    ATSProvider,
    ATSRateLimited,
    ATSServerError,
    LocalRateLimited,
)
from integrations.models import ActivityLevel, AuthKind, Environment, Integration, IntegrationStatus
from integrations.registry import get_provider, provider_for
from integrations.services.activity import activity_log
from integrations.services.status import integration_reason_set, integration_set_status
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


# Failures that say nothing about the credentials: the ATS was busy (429, or our own limiter),
# down (5xx) or not reached (network, a read timeout). Not `exc.retryable`: providers mark some
# refusals retryable so the outbox holds a write (Ashby's PermissionMissing, SmartRecruiters'
# CompanyCredentialsRefused), and those do judge the credentials.
UNJUDGED_ERRORS: tuple[type[ATSError], ...] = (ATSRateLimited, ATSServerError, ATSNetworkError)

# Statuses whose status_reason the "could not be reached" sentence replaces: their banner already
# asks the customer to act, and trying again is the act. A connected integration keeps its reason
# (the provider's connected_reason, or empty): nothing clears a reason but the next successful
# check, so the sentence would sit on a healthy integration's banner long after the outage. A
# disconnected one keeps the reason that says who disconnected it (the checklist shows it).
_REASON_REPLACED_WHEN_UNJUDGED = frozenset({IntegrationStatus.PENDING, IntegrationStatus.NEEDS_REAUTH})


@dataclasses.dataclass(frozen=True)
class CredentialsOutcome:
    """What a credentials check ended in. `message` is the sentence for the admin when not ok:
    why the credentials failed, or that the ATS could not be reached (`judged` False) and the
    credentials are as good or bad as before."""

    ok: bool
    message: str = ""
    judged: bool = True

    def __bool__(self) -> bool:
        # Truthy when ok, as requests.Response is: callers that only branch on success read it
        # as the bool the check used to return.
        return self.ok


def connected_sentence(head: str, integration: Integration) -> str:
    """A passed check's sentence for the admin: `head`, then what the customer must still fix, if
    anything (the provider's connected_reason, kept as status_reason, e.g. a permission the API
    key lacks)."""
    return f"{head} {integration.status_reason}" if integration.status_reason else head


def integration_credentials_check(
    *, integration: Integration, credentials_changed: bool = False
) -> CredentialsOutcome:
    """Live call to the ATS. On success the integration is connected and provider setup
    (webhook registration...) runs; on failure the reason is recorded and shown. Pages show the
    outcome's `message` rather than status_reason, which an unreachable ATS leaves alone on a
    connected integration.

    `credentials_changed`: the caller stored different credentials in this request (a new key,
    fresh OAuth tokens). If the ATS then cannot judge them, a connected integration waits, pending,
    for a check of the new ones: the previous credentials' "connected" says nothing about
    credentials the ATS never saw (`_unchecked`)."""
    provider = provider_for(integration)
    try:
        check = provider.validate_credentials(integration)
    except UNJUDGED_ERRORS as exc:
        cause = _unjudged_cause(provider, exc)
        if credentials_changed:
            return _unchecked(
                integration,
                message=f"New credentials saved but not checked: {cause}. Try again in a few minutes.",
                exc=exc,
            )
        return _unjudged(
            integration,
            kind="credentials.unreachable",
            message=f"Could not check the credentials: {cause}. The credentials were not judged; "
            "try again in a few minutes.",
            exc=exc,
        )
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
        return CredentialsOutcome(ok=False, message=exc.message)
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
        return CredentialsOutcome(ok=False, message=check.message)
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
        unjudged = isinstance(exc, UNJUDGED_ERRORS)
        unreachable = (
            f"The credentials work, but the setup could not finish: {_unjudged_cause(provider, exc)}. "
            "Try again in a few minutes."
        )
        if unjudged and integration.status == IntegrationStatus.CONNECTED:
            # The credentials work and what setup registered before is still there: an outage
            # while re-registering is no reason to hold this integration's traffic.
            return _unjudged(integration, kind="setup.unreachable", message=unreachable, exc=exc)
        reason = unreachable if unjudged else f"Credentials are valid, but setup failed: {exc.message}"
        integration_set_status(integration=integration, status=IntegrationStatus.PENDING, reason=reason)
        activity_log(
            integration=integration,
            kind="setup.unreachable" if unjudged else "setup.failed",
            level=ActivityLevel.WARNING if unjudged else ActivityLevel.ERROR,
            message=exc.message,
        )
        return CredentialsOutcome(ok=False, message=reason, judged=not unjudged)
    integration_set_status(
        integration=integration,
        status=IntegrationStatus.CONNECTED,
        reason=provider.connected_reason(integration),
    )
    from integrations.services.writeback import writeback_resume_after_reauth

    writeback_resume_after_reauth(integration=integration)
    return CredentialsOutcome(ok=True)


def _unjudged_cause(provider: ATSProvider, exc: ATSError) -> str:
    """Why the ATS could not judge, from the error's class, status and request id. Not from
    `exc.message`: providers word that for the outbox, which retries (Ashby's 5xx says "we retry
    with backoff"), and nothing retries a check. Names the company whose API was called (Knit for
    "Ashby via Knit")."""
    vendor = provider.api_vendor_name or provider.name
    notes: list[str] = []
    if isinstance(exc, LocalRateLimited):
        # Our own limiter held the call (no request went out): the vendor did not refuse anything.
        cause = f"JobCannon is holding its calls to {vendor} to stay within {vendor}'s rate limit"
    elif isinstance(exc, ATSRateLimited):
        cause = f"{vendor} is rate-limiting JobCannon"
    elif isinstance(exc, ATSServerError):
        cause = f"{vendor} answered {exc.status_code}" if exc.status_code else f"{vendor} failed"
        notes.append("a failure on its side")
    elif isinstance(exc, ATSAmbiguousError):
        cause = f"{vendor} could not be reached"
        notes.append("no answer in time")
    else:
        cause = f"{vendor} could not be reached"
    if exc.request_id:
        notes.append(f"{vendor} request id {exc.request_id}")
    return f"{cause} ({'; '.join(notes)})" if notes else cause


def _unjudged_data(exc: ATSError) -> dict[str, Any]:
    # The vendor's own words stay in the log for support, out of the sentence (_unjudged_cause).
    return {"error_class": type(exc).__name__, "status_code": exc.status_code, "vendor_message": exc.message}


def _unjudged(integration: Integration, *, kind: str, message: str, exc: ATSError) -> CredentialsOutcome:
    """The ATS did not answer the check: the status stays as it was (pending stays pending,
    connected stays connected, write-backs are not held), the admin is told to try again."""
    if integration.status in _REASON_REPLACED_WHEN_UNJUDGED:
        integration_reason_set(integration=integration, reason=message)
    activity_log(
        integration=integration,
        kind=kind,
        level=ActivityLevel.WARNING,
        message=message,
        data=_unjudged_data(exc),
    )
    return CredentialsOutcome(ok=False, message=message, judged=False)


def _unchecked(integration: Integration, *, message: str, exc: ATSError) -> CredentialsOutcome:
    """New credentials the ATS could not judge; no earlier check's "connected" or time is shown
    for them. A connected or disconnected integration goes pending until a check of them passes.
    Pending holds no traffic: webhooks are taken in and write-backs go out with the new
    credentials (the outbox holds only disconnected and needs-reauth integrations); only the
    scheduled sync and the reconciler's read-back skip it, and nothing retries the check but
    Test now. A needs-reauth integration stays needs-reauth, its reason replaced: its write-backs
    stay held, and the check that later passes is the needs-reauth → connected change that mails
    admins "Resolved" (notifications._kind), which pending → connected never does."""
    if integration.status in _REASON_REPLACED_WHEN_UNJUDGED:
        integration_reason_set(integration=integration, reason=message)
    else:
        integration_set_status(integration=integration, status=IntegrationStatus.PENDING, reason=message)
    if integration.credentials_checked_at is not None:
        integration.credentials_checked_at = None
        integration.save(update_fields=["credentials_checked_at", "updated_at"])
    activity_log(
        integration=integration,
        kind="credentials.unchecked",
        level=ActivityLevel.WARNING,
        message=message,
        data=_unjudged_data(exc),
    )
    return CredentialsOutcome(ok=False, message=message, judged=False)


def integration_connect_api_key(
    *, integration: Integration, api_key: str, extra: dict[str, Any] | None = None
) -> CredentialsOutcome:
    api_key = api_key.strip()
    if not api_key:
        raise ValidationFailed("Enter the API key.")
    return integration_credentials_save(integration=integration, values={"api_key": api_key, **(extra or {})})


def integration_credentials_save(*, integration: Integration, values: dict[str, Any]) -> CredentialsOutcome:
    """Store the admin's API-key credentials (merged into the saved ones) and check them live,
    telling the check whether they differ from what was saved before."""
    before = dict(integration.credentials or {})
    integration.credentials = {**before, **values}
    changed = integration.credentials != before
    integration.auth_kind = AuthKind.API_KEY
    integration.save(update_fields=["credentials", "auth_kind", "updated_at"])
    return integration_credentials_check(integration=integration, credentials_changed=changed)


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
