"""Writes for the SmartRecruiters provider: its settings and secrets on the Integration, and
accepting an assessment order (which starts a run through the assessments service API)."""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from assessments.services.runs import (
    RETURN_URL_KEY,
    ATSRefs,
    CandidateInfo,
    RunAlreadyActive,
    assessment_run_create,
)
from integrations.models import (
    ActivityLevel,
    Integration,
    IntegrationStatus,
    Token,
    WritebackMessage,
    WritebackStatus,
)
from integrations.services.activity import activity_log
from integrations.services.partner_auth import partner_secret_hash
from integrations.services.status import integration_reason_set
from integrations.services.writeback import writeback_held_resume
from jobcannon.core.exceptions import Conflict, ValidationFailed

from . import constants, mappers, selectors

# Our partner client secret is stored as its hash only (issue 21); older rows held it encrypted
# (migration 0007 converts them).
PARTNER_SECRET_HASH = "partner_client_secret_sha256"
PARTNER_SECRET_LEGACY = "partner_client_secret"


class OrderConflict(Conflict):
    code = "order_conflict"


@transaction.atomic
def settings_update(*, integration: Integration, changes: dict[str, Any]) -> Integration:
    """Merge `changes` into provider_settings. OAuth scopes or webhook events SR does not publish
    are refused here (ValidationFailed, naming them), not discovered at SR's consent or subscription."""
    problems = selectors.settings_problems(
        {k: v for k, v in changes.items() if k in ("oauth_scopes", "webhook_events")}
    )
    if problems:
        raise ValidationFailed(" ".join(problems))
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    locked.provider_settings = {**(locked.provider_settings or {}), **changes}
    locked.save(update_fields=["provider_settings", "updated_at"])
    integration.provider_settings = locked.provider_settings
    return integration


@transaction.atomic
def credentials_update(*, integration: Integration, changes: dict[str, Any]) -> Integration:
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    locked.credentials = {**(locked.credentials or {}), **changes}
    locked.save(update_fields=["credentials", "updated_at"])
    integration.credentials = locked.credentials
    return integration


def partner_credentials_new(*, integration: Integration) -> tuple[str, str]:
    """New client credentials for SmartRecruiters to get a token from our partner API (§2.2:
    "Partner will create client credentials which may be used on Smartrecruiters side"). Not
    stored yet: partner_credentials_store keeps their hash once SR accepted them."""
    return constants.PARTNER_CLIENT_PREFIX + integration.public_id.hex, pysecrets.token_urlsafe(32)


@transaction.atomic
def partner_credentials_store(*, integration: Integration, client_id: str, secret: str) -> None:
    """Keep only the secret's SHA-256: we never send it again, we only compare what SR presents
    at our token endpoint (integrations/services/partner_auth.py). A new secret revokes every
    token issued for the old one (their fingerprint no longer matches)."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    credentials = {k: v for k, v in (locked.credentials or {}).items() if k != PARTNER_SECRET_LEGACY}
    credentials.update({"partner_client_id": client_id, PARTNER_SECRET_HASH: partner_secret_hash(secret)})
    locked.credentials = credentials
    locked.save(update_fields=["credentials", "updated_at"])
    integration.credentials = locked.credentials


def partner_credentials_issue(*, integration: Integration) -> tuple[str, str]:
    """New credentials, stored at once (the secret is in the answer only)."""
    client_id, secret = partner_credentials_new(integration=integration)
    partner_credentials_store(integration=integration, client_id=client_id, secret=secret)
    return client_id, secret


def company_credentials_store(*, integration: Integration, credentials: tuple[str, str]) -> None:
    """What SR answered setUpIntegration with: the company-level client credentials (results,
    orders). Encrypted at rest with the other credentials."""
    client_id, secret = credentials
    credentials_update(
        integration=integration, changes={"company_client_id": client_id, "company_client_secret": secret}
    )


@transaction.atomic
def vendor_secret_store(*, integration: Integration, secret: str) -> None:
    """SR generated a secret key for our subscription: newest first, next to our own secret."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    existing = [s for s in (locked.webhook_secrets or []) if s.get("secret") and s["secret"] != secret]
    entry = {"secret": secret, "created_at": timezone.now().isoformat(), "source": "smartrecruiters"}
    # Keep our own generated secret (seed scheme) and one earlier SR key (valid 24 h after rotation).
    ours = [s for s in existing if s.get("source") != "smartrecruiters"][:1]
    previous_sr = [s for s in existing if s.get("source") == "smartrecruiters"][:1]
    locked.webhook_secrets = [entry, *previous_sr, *ours]
    locked.save(update_fields=["webhook_secrets", "updated_at"])
    integration.webhook_secrets = locked.webhook_secrets


# The errors that hold a write-back until SR issues company credentials (client.py): none issued
# yet, or SR refused the ones we held. Both retryable: the integration stays connected.
HELD_FOR_CONSENT = ("CompanyNotRegistered", "CompanyCredentialsRefused")
COMPANY_CREDENTIALS = ("company_client_id", "company_client_secret")


def results_held(*, integration: Integration):
    """Write-backs waiting for the company credentials (HELD_FOR_CONSENT): retrying with
    backoff, or dead once the retry horizon passed without consent."""
    return WritebackMessage.objects.filter(
        integration=integration,
        status__in=(WritebackStatus.RETRYING, WritebackStatus.DEAD),
        last_error_class__in=HELD_FOR_CONSENT,
    )


@transaction.atomic
def _company_credentials_forget(*, integration: Integration, partner_error: str, **changes: Any) -> bool:
    """Drop the company credentials and mark the partner registration gone (so the next connect
    or consent runs setUpIntegration again: setup.partner_register). Returns whether any were held."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    credentials = dict(locked.credentials or {})
    held = any(credentials.get(k) for k in COMPANY_CREDENTIALS)
    locked.credentials = {k: v for k, v in credentials.items() if k not in COMPANY_CREDENTIALS}
    locked.provider_settings = {
        **(locked.provider_settings or {}),
        "partner_registered": False,
        "partner_error": partner_error,
        **changes,
    }
    locked.save(update_fields=["credentials", "provider_settings", "updated_at"])
    integration.credentials, integration.provider_settings = locked.credentials, locked.provider_settings
    return held


def company_credentials_refused(*, integration: Integration, reason: str) -> None:
    """SR refused the company credentials (client.CompanyCredentialsRefused): they are dead, so
    forget them; the write that met the refusal is held by the outbox, the integration stays
    connected, and the page explains the way back (re-approve JobCannon in Apps & Integrations)."""
    now = timezone.now().isoformat()
    held = _company_credentials_forget(
        integration=integration,
        partner_error=reason,
        company_credentials_refused_at=now,
        # The consent is gone: orders that came in before prove nothing about now (console.partner_check).
        partner_lost_at=now,
    )
    if held:  # once per refusal, not once per retry
        activity_log(
            integration=integration,
            kind="smartrecruiters.company_credentials_refused",
            level=ActivityLevel.ERROR,
            message=reason,
        )


def company_removed(*, integration: Integration, company_id: str) -> None:
    """SR's DELETE integrations/companies/{companyId}: the company removed JobCannon, and SR
    dropped the credentials of that integration. Forget ours too, so a later reconnect registers
    again instead of reusing dead ones (the caller disconnects the integration)."""
    now = timezone.now().isoformat()
    _company_credentials_forget(
        integration=integration,
        partner_error=constants.REMOVED_IN_SMARTRECRUITERS.format(company_id=company_id),
        company_credentials_refused_at="",
        # Until a registration succeeds again (setup.partner_register clears it): the checklist's
        # partner item and an OAuth-only reconnect (provider.on_connected) point to the consent.
        removed_at=now,
        partner_lost_at=now,
    )
    activity_log(
        integration=integration,
        kind="smartrecruiters.removed",
        message="SmartRecruiters reported that the company removed the JobCannon integration; the "
        "company credentials it had issued are forgotten.",
        data={"company_id": company_id},
    )


def oauth_sign_in_lapsed(*, integration: Integration, reason: str) -> None:
    """The optional OAuth sign-in stopped working (SR refused its token or its refresh: the customer
    revoked the app, or the 28-day refresh token ran out) on an integration SR issued company
    credentials to. Those carry orders, results and the sync, so nothing there needs a
    re-authorization: the dead token is forgotten (kept, every later use, e.g. the scheduled
    refresh, would mark the integration for re-authorization and hold its results), the webhook
    subscription made with it is marked as needing the sign-in, and the reason is kept for the
    integration page (provider.connected_reason, the checklist's scopes and webhooks rows) until a
    new sign-in works (provider.validate_credentials clears it)."""
    forgotten, _ = Token.objects.filter(integration=integration).delete()
    # The refused refresh may have got here first through the token's own copy of the integration
    # (provider.oauth_refresh_refused): read what it recorded.
    integration.refresh_from_db(fields=["provider_settings", "status", "status_reason", "status_changed_at"])
    if not forgotten and selectors.oauth_lapsed_reason(integration):
        _lapse_reason_show(integration)
        return  # said already
    state = selectors.subscription_state(integration)
    changes: dict[str, Any] = {"oauth_lapsed": {"reason": reason, "at": timezone.now().isoformat()}}
    if state and state.get("status") != "deleted":
        # SR's subscription was made with the dead token: JobCannon cannot renew or delete it.
        changes["subscription"] = {**state, "status": constants.SUBSCRIPTION_NEEDS_SIGN_IN, "error": reason}
    settings_update(integration=integration, changes=changes)
    _lapse_reason_show(integration)
    activity_log(
        integration=integration,
        kind="smartrecruiters.oauth_lapsed",
        level=ActivityLevel.WARNING,
        message=constants.OAUTH_LAPSED.format(reason=reason),
    )


def _lapse_reason_show(integration: Integration) -> None:
    """The health card of a connected integration explains the lapse whichever path found it (the
    scheduled refresh, a write-back, a check), as the credentials check's connected_reason does.
    The reason only (integration_reason_set): the status did not change."""
    reason = selectors.connected_reason(integration)
    if integration.status == IntegrationStatus.CONNECTED and reason:
        integration_reason_set(integration=integration, reason=reason)


def results_resume(*, integration: Integration) -> int:
    """Consent landed (SR issued company credentials): send the held write-backs now, not at
    their next backoff step. One that had given up gets a fresh retry window."""
    return writeback_held_resume(
        integration=integration,
        held=list(results_held(integration=integration)),
        reason="SmartRecruiters issued the company credentials: sending now.",
        kind="smartrecruiters.results_resumed",
        summary="SmartRecruiters issued the company credentials: {count} held write-back(s) queued.",
    )


def subscription_set(*, integration: Integration, **state: Any) -> None:
    settings_update(integration=integration, changes={"subscription": state})


def subscription_activating_start(*, integration: Integration, subscription_id: str) -> None:
    until = timezone.now() + constants.HANDSHAKE_WINDOW
    subscription_set(
        integration=integration,
        id=subscription_id,
        status="activating",
        activating_until=until.isoformat(),
        api=constants.WEBHOOK_API_VENDOR,
    )


def scorecard_map_save(*, integration: Integration, field_map: dict[str, str]) -> None:
    allowed = set(constants.SCORECARD_SOURCES)
    clean = {k: v for k, v in field_map.items() if v and (v in allowed or v.startswith("subscore:"))}
    settings_update(integration=integration, changes={"scorecard_fields": clean})
    activity_log(
        integration=integration,
        kind="smartrecruiters.scorecard_mapped",
        message=f"Scorecard field mapping saved ({len(clean)} field(s) filled on write-back).",
    )


def order_check(
    *, integration: Integration, api_base: str, result_url: str, company_id: str, order_id: str
) -> None:
    """Refuse an order this integration must not act on: one for another SR company, or one whose
    results URL is not on SR's API host (the company credentials are sent there). `api_base`: that
    host for this integration (provider.api_base_url, handed in by the partner API view that
    provider.py built: this module sits below provider.py and never looks it up)."""
    known = str((integration.provider_settings or {}).get("company_id") or "")
    if company_id and known and company_id != known:
        raise ValidationFailed(
            f"Order {order_id} is for SmartRecruiters company {company_id}; this connection is company {known}.",
            details={"companyId": company_id},
        )
    if not mappers.same_origin(result_url, api_base):
        raise ValidationFailed(
            f"Order {order_id}: resultCallbackURL must be on SmartRecruiters' API host ({api_base}).",
            details={"resultCallbackURL": result_url},
        )


def order_accept(*, integration: Integration, api_base: str, order: mappers.Order, via: str):
    """Start (or, for a repeated order, return) the run an SR order asks for. Returns
    (run, created). Raises ValidationFailed (bad order) or OrderConflict (active run)."""
    order_check(
        integration=integration,
        api_base=api_base,
        result_url=order.result_url,
        company_id=order.company_id,
        order_id=order.id,
    )
    refs = ATSRefs(
        candidate_id=order.candidate_id,
        application_id=f"{order.candidate_id}:{order.job_id}" if order.job_id else "",
        job_id=order.job_id,
        assessment_id=order.id,
        type_id=order.package_id,
        request_key=f"order:{order.id}",
        context={
            "job_name": order.job_name,
            "assessment_result_url": order.result_url,
            "requester": order.requester_email,
            "region": integration.region,
            "environment": integration.environment,
            "via": via,
        },
    )
    candidate = CandidateInfo(email=order.email, first_name=order.first_name, last_name=order.last_name)
    try:
        run, created = assessment_run_create(
            workspace=integration.workspace,
            instrument=order.instrument,
            candidate=candidate,
            integration=integration,
            refs=refs,
            due_at=order.due_at,
            email_template=order.email_template or None,
        )
    except RunAlreadyActive as exc:
        active = getattr(exc, "run", None)
        message = (
            f"Order {order.id}: candidate {order.candidate_id} already has an active "
            f"{order.instrument} run for this job" + (f" (run {active.pk})." if active else ".")
        )
        activity_log(
            integration=integration,
            kind="smartrecruiters.order_conflict",
            level=ActivityLevel.WARNING,
            message=message,
            data={"order": order.id},
        )
        raise OrderConflict(message, details={"order": order.id, "run": getattr(active, "pk", None)})
    except ValidationFailed as exc:
        activity_log(
            integration=integration,
            kind="smartrecruiters.order_rejected",
            level=ActivityLevel.ERROR,
            message=f"Order {order.id} from SmartRecruiters rejected: {exc.message}",
            data={"order": order.id},
        )
        raise
    if created:
        due = run.due_at.date().isoformat() if isinstance(run.due_at, dt.datetime) else "-"
        activity_log(
            integration=integration,
            kind="smartrecruiters.order_accepted",
            message=(
                f"Order {order.id} ({via}): {order.instrument} for candidate {order.candidate_id}"
                f"{' on ' + order.job_name if order.job_name else ''}, invitation emailed, due {due}."
            ),
            data={"order": order.id, "run": run.pk, "via": via},
        )
    return run, created


def inline_order_accept(*, integration: Integration, api_base: str, order: mappers.InlineOrder):
    """SR's in-line assessment (SRD /docs/in-line-assessment-ordering-process; SRO
    InlineAssessmentPackageOrderRequest): the candidate is applying right now and SR redirects
    them to the URL we answer with, so no invitation email; once they finish, the candidate pages
    send them to the order's completedAssessmentCallbackUrl (RETURN_URL_KEY), the result goes to
    its resultCallbackURL. Idempotent on the order. Returns (run, created)."""
    order_check(
        integration=integration,
        api_base=api_base,
        result_url=order.result_url,
        company_id=order.company_id,
        order_id=order.operation_id,
    )
    refs = ATSRefs(
        job_id=order.job_id,
        assessment_id=order.operation_id,
        type_id=order.package_id,
        request_key=f"inline:{order.operation_id}",
        context={
            "job_name": order.job_name,
            "inline": True,
            "assessment_result_url": order.result_url,
            RETURN_URL_KEY: order.completed_callback_url,
            "language": order.language,
            "environment": integration.environment,
            "via": "inline order",
        },
    )
    candidate = CandidateInfo(email=order.email, first_name=order.first_name, last_name=order.last_name)
    run, created = assessment_run_create(
        workspace=integration.workspace,
        instrument=order.instrument,
        candidate=candidate,
        integration=integration,
        refs=refs,
        send_invitation=False,
    )
    if created:
        activity_log(
            integration=integration,
            kind="smartrecruiters.inline_order_accepted",
            message=f"In-line order {order.operation_id}: {order.instrument} for {order.email} while applying"
            f"{' to ' + order.job_name if order.job_name else ''}; SmartRecruiters redirects the candidate to it.",
            data={"order": order.operation_id, "run": run.pk},
        )
    return run, created
