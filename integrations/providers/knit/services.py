"""Writes specific to Knit: its two credentials, the verification key list, the Ashby secrets.

The Knit API key plays two roles: it authenticates our calls to Knit, and Knit signs webhooks
with it. So the integration's webhook secrets are kept equal to the key: [current] or, while the
customer changes keys, [new, previous] until they retire the previous one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.base import ATSError, ATSNotFound, ATSProvider
from integrations.models import ActivityLevel, AuthKind, Environment, Integration
from integrations.services.activity import activity_log
from integrations.services.integrations import CredentialsOutcome, integration_credentials_check
from integrations.services.writeback import writeback_held_resume
from jobcannon.core.exceptions import ValidationFailed

from . import constants
from .selectors import (
    knit_assessment_secrets,
    knit_environment_label,
    knit_other_environment_using_key,
    knit_results_held_by_ashby,
)


def _save_credentials(integration: Integration, **changes) -> None:
    integration.credentials = {**(integration.credentials or {}), **changes}
    integration.credentials = {k: v for k, v in integration.credentials.items() if v not in (None, "")}
    integration.save(
        update_fields=["credentials", "webhook_secrets", "provider_settings", "auth_kind", "updated_at"]
    )


def knit_webhook_keys_sync(*, integration: Integration) -> None:
    """Make webhook_secrets = [current Knit API key, previous one while changing]. A key saved
    through the generic "new API key" form becomes current here and the old one stays previous."""
    creds = integration.credentials or {}
    current = creds.get("api_key", "")
    if not current:
        return
    listed = [s.get("secret", "") for s in integration.webhook_secrets or []]
    previous = creds.get("previous_api_key", "")
    if listed and listed[0] != current and not listed[0].startswith("whsec_"):
        previous = listed[0]  # the key we verified with until now
    now = timezone.now().isoformat()
    wanted = [current] + ([previous] if previous and previous != current else [])
    if listed == wanted:
        return
    integration.webhook_secrets = [{"secret": key, "created_at": now} for key in wanted]
    _save_credentials(integration, previous_api_key=wanted[1] if len(wanted) > 1 else None)


def knit_credentials_save(
    *, integration: Integration, api_key: str, integration_id: str, use_simulator: bool | None = None
) -> CredentialsOutcome:
    """Save the customer's Knit API key and integration id, then check them with a live call
    (which, on success, connects and creates the Ashby secrets if there are none yet)."""
    integration, changed = _credentials_store(
        integration=integration, api_key=api_key, integration_id=integration_id, use_simulator=use_simulator
    )
    return integration_credentials_check(integration=integration, credentials_changed=changed)


def _what_the_check_calls(integration: Integration) -> tuple[str, str, bool]:
    """What decides whether Knit accepts the check: the key, the integration id and the host
    (the simulator or Knit's own). A change to any of them is a credential Knit has not seen."""
    return (
        integration.credential("api_key", ""),
        integration.credential("integration_id", ""),
        bool((integration.provider_settings or {}).get("use_simulator")),
    )


@transaction.atomic
def _credentials_store(
    *, integration: Integration, api_key: str, integration_id: str, use_simulator: bool | None
) -> tuple[Integration, bool]:
    """Save the credentials; returns the integration and whether they differ from the saved ones."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    before = _what_the_check_calls(integration)
    api_key, integration_id = (api_key or "").strip(), (integration_id or "").strip()
    current = integration.credential("api_key", "")
    if not api_key and not current:
        raise ValidationFailed("Enter your Knit API key (Knit dashboard → API keys).")
    if not integration_id:
        raise ValidationFailed("Enter the Knit integration id of the customer's Ashby integration.")
    new_key = api_key or current
    other = knit_other_environment_using_key(integration=integration, api_key=new_key)
    if other is not None:
        raise ValidationFailed(
            f"This Knit API key is already used by your {knit_environment_label(other)} Knit "
            f"integration. Use Knit's {knit_environment_label(integration)} key here: sandbox and "
            "production stay apart."
        )
    if use_simulator is not None:
        integration.provider_settings = {
            **(integration.provider_settings or {}),
            "use_simulator": bool(
                use_simulator
                and integration.environment == Environment.SANDBOX
                and settings.ATS_SIMULATORS_ENABLED
            ),
        }
    integration.auth_kind = AuthKind.API_KEY
    _save_credentials(integration, api_key=new_key, integration_id=integration_id)
    knit_webhook_keys_sync(integration=integration)
    if current and new_key != current:
        activity_log(
            integration=integration,
            kind="knit.api_key_changed",
            message="Knit API key changed. Webhooks signed with the previous key are still accepted until "
            "you retire it.",
        )
    return integration, _what_the_check_calls(integration) != before


def knit_previous_api_key_retire(*, integration: Integration) -> None:
    integration.webhook_secrets = (integration.webhook_secrets or [])[:1]
    _save_credentials(integration, previous_api_key=None)
    activity_log(
        integration=integration,
        kind="knit.api_key_retired",
        message="Previous Knit API key retired: webhooks signed with it are now rejected.",
    )


def knit_settings_update(
    *, integration: Integration, default_instrument: str, package_map: dict[str, str], result_mode: str
) -> None:
    if result_mode not in constants.RESULT_MODES:
        raise ValidationFailed(f"Unknown result submission mode {result_mode!r}.")
    saved = integration.provider_settings or {}
    # The unified update's body is unpublished (constants.UPDATE_BODY_UNPUBLISHED): remember when the
    # customer chose it, so a mode nobody chose (the old form pre-selected it) can be told apart
    # (integrations/migrations/0010_knit_unconfirmed_assessment_update_to_passthrough). Re-saving keeps
    # the date; a save is the customer's own choice, so the migration's undo mark goes.
    confirmed_at = None
    if result_mode == constants.RESULT_MODE_UPDATE:
        kept = (
            saved.get(constants.RESULT_MODE_CONFIRMED_AT) if saved.get("result_mode") == result_mode else None
        )
        confirmed_at = kept or timezone.now().isoformat()
    integration.provider_settings = {
        **{
            k: v
            for k, v in saved.items()
            if k not in (constants.RESULT_MODE_CONFIRMED_AT, constants.RESULT_MODE_MIGRATED_FROM)
        },
        "default_instrument": default_instrument,
        "package_map": package_map,
        "result_mode": result_mode,
        **({constants.RESULT_MODE_CONFIRMED_AT: confirmed_at} if confirmed_at else {}),
    }
    integration.save(update_fields=["provider_settings", "updated_at"])
    activity_log(
        integration=integration,
        kind="knit.settings_changed",
        message="Knit assessment settings saved.",
        data={
            "default_instrument": default_instrument,
            "packages": len(package_map),
            "result_mode": result_mode,
        },
    )


def _client(provider: ATSProvider, integration: Integration) -> Any:
    """The KnitClient of the provider the caller hands in (provider.py, or the view it built):
    this module sits below provider.py and never looks it up."""
    return provider.client(integration)


def _store_secrets(integration: Integration, secrets: list[dict]) -> None:
    _save_credentials(integration, assessment_secrets=secrets)


def knit_assessment_secrets_create(*, integration: Integration, provider: ATSProvider) -> str:
    """Call Knit's Create ATS Assessment Secrets. The first pair becomes active at once; a later
    one is "pending" next to the active pair, which keeps working until the customer confirms
    that Ashby has the new one. Returns "active" or "pending". Raises ATSError."""
    fresh = _client(provider, integration).create_assessment_secrets()
    existing = [s for s in integration.credential("assessment_secrets", []) or [] if s.get("secret_key")]
    active = [s for s in existing if s.get("state", "active") == "active"]
    for stale in (s for s in existing if s.get("state") == "pending"):
        _revoke_at_knit(
            provider, integration, stale["secret_key"]
        )  # re-created twice: the unconfirmed one goes
    state = "pending" if active else "active"
    entry = {
        "secret_key": fresh.secret_key,
        "base_url": fresh.base_url,
        "created_at": timezone.now().isoformat(),
        "state": state,
    }
    _store_secrets(integration, [entry, *active])
    activity_log(
        integration=integration,
        kind="knit.secrets_created",
        message="Knit created new Ashby assessment secrets"
        + ("; the current ones keep working until you confirm Ashby has the new API key." if active else "."),
        data={"state": state, "key_suffix": fresh.secret_key[-4:]},
    )
    return state


def knit_assessment_secrets_confirm(*, integration: Integration, provider: ATSProvider) -> None:
    """The customer confirms Ashby uses the pending pair: it becomes active, the old one is revoked."""
    secrets = knit_assessment_secrets(integration=integration)
    pending = next((s for s in secrets if s.state == "pending"), None)
    if pending is None:
        raise ValidationFailed("There is no new secret waiting for confirmation.")
    notes = [
        note
        for s in secrets
        if s.state == "active" and (note := _revoke_at_knit(provider, integration, s.secret_key))
    ]
    _store_secrets(
        integration,
        [
            {
                "secret_key": pending.secret_key,
                "base_url": pending.base_url,
                "created_at": pending.created_at,
                "state": "active",
            }
        ],
    )
    # Not "revoked" unless Knit said so: without a revoke call the old key is only retired here.
    outcome = (
        "JobCannon retired the previous secret key." if notes else "Knit revoked the previous secret key."
    )
    activity_log(
        integration=integration,
        kind="knit.secrets_rotated",
        level=ActivityLevel.WARNING if notes else ActivityLevel.INFO,
        message=f"New Ashby API key confirmed; {outcome}" + "".join(notes),
        data={"key_suffix": pending.secret_key[-4:]},
    )


def knit_assessment_secrets_discard_pending(*, integration: Integration, provider: ATSProvider) -> None:
    secrets = [s for s in integration.credential("assessment_secrets", []) or [] if s.get("secret_key")]
    notes = [
        note
        for s in secrets
        if s.get("state") == "pending" and (note := _revoke_at_knit(provider, integration, s["secret_key"]))
    ]
    _store_secrets(integration, [s for s in secrets if s.get("state") != "pending"])
    activity_log(
        integration=integration,
        kind="knit.secrets_discarded",
        level=ActivityLevel.WARNING if notes else ActivityLevel.INFO,
        message="The new, unconfirmed Ashby secret was discarded; the current one stays." + "".join(notes),
    )


def _revoke_at_knit(provider: ATSProvider, integration: Integration, secret_key: str) -> str:
    """Best effort: Knit documents no revoke call ([I] README.md), and answers 404 for an API it
    does not have. Returns a note for the log ("" when Knit confirmed the revocation)."""
    try:
        _client(provider, integration).revoke_assessment_secret(secret_key)
    except ATSNotFound:
        return (
            " Knit documents no call to revoke it: ask Knit support to revoke the secret key ending "
            f"{secret_key[-4:]} (until then Knit still accepts it from Ashby)."
        )
    except ATSError as exc:
        return f" Knit did not confirm revoking the key ending {secret_key[-4:]}: {exc.message}"
    return ""


def knit_demo_credentials_set(*, integration: Integration, api_key: str, integration_id: str) -> None:
    """demo_seed only (no HTTP): a simulator account's key and integration id, simulator on."""
    integration.provider_settings = {**(integration.provider_settings or {}), "use_simulator": True}
    integration.auth_kind = AuthKind.API_KEY
    _save_credentials(integration, api_key=api_key, integration_id=integration_id)
    knit_webhook_keys_sync(integration=integration)


def knit_demo_secret_set(*, integration: Integration, secret_key: str, base_url: str) -> None:
    """demo_seed only (no HTTP): the simulator account's Ashby secret pair, made by the simulated
    Knit, becomes the integration's active pair, so the key a script plays Ashby with is the one the
    integration page shows (and "Test credentials now" makes no second one)."""
    entry = {
        "secret_key": secret_key,
        "base_url": base_url,
        "created_at": timezone.now().isoformat(),
        "state": "active",
    }
    _store_secrets(integration, [entry])


def knit_results_resume(*, integration: Integration) -> int:
    """Send now the write-backs Ashby refused through Knit's passthrough (401/403,
    passthrough.AshbyConnectionRefused), not at their next backoff step: called when the customer
    presses "Test credentials now" after reconnecting Ashby inside Knit. One that had given up gets a
    fresh retry window. If Ashby still refuses, it is held again with Ashby's reason."""
    return writeback_held_resume(
        integration=integration,
        held=list(knit_results_held_by_ashby(integration=integration)),
        reason="Credentials checked after Ashby refused Knit's connection: sending again now.",
        kind="knit.results_resumed",
        summary="{count} result write-back(s) Ashby had refused through Knit queued again.",
    )
