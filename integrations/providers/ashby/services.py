"""Ashby-only writes: the partner API key we issue, and the partner operations Ashby calls.

They live in the provider folder (not integrations/services/) so that adding Ashby touches no
shared module. The partner key is `jcash_<key id>_<secret>`: the key id (not secret) is kept in
provider_settings so a call to /partners/ashby/assessment.start, which carries no integration id,
finds its integration with one indexed lookup; of the whole key only its SHA-256 is kept
(credentials["partner_api_key_sha256"], integrations/services/partner_auth.py): we only ever
verify it, so it is shown once when issued and cannot be read back, not even by the simulator."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from assessments.models import AssessmentRun
from assessments.services.runs import assessment_run_cancel, assessment_run_create
from integrations.models import ActivityLevel, Integration, IntegrationStatus
from integrations.services.activity import activity_log
from integrations.services.partner_auth import (
    partner_auth_failure_record,
    partner_secret_hash,
    partner_secret_matches,
)

from . import constants
from .mappers import StartRequest
from .selectors import refresh_token_warning

PARTNER_KEY_HASH = "partner_api_key_sha256"


def partner_key_issued(integration: Integration) -> bool:
    return bool(integration.credential(PARTNER_KEY_HASH))


def partner_key_matches(integration: Integration, key: str) -> bool:
    """Whether `key` is this integration's current partner key (constant time)."""
    return partner_secret_matches(key, integration.credential(PARTNER_KEY_HASH))


@transaction.atomic
def partner_key_issue(*, integration: Integration) -> str:
    """A new partner API key (the previous one stops working at once). Returned once, to be shown
    once; only its hash is stored."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    key_id = secrets.token_hex(6)
    key = f"{constants.PARTNER_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    rotated = partner_key_issued(integration)
    credentials = {k: v for k, v in (integration.credentials or {}).items() if k != "partner_api_key"}
    integration.credentials = {**credentials, PARTNER_KEY_HASH: partner_secret_hash(key)}
    integration.provider_settings = {
        **(integration.provider_settings or {}),
        "partner_key_id": key_id,
        "partner_key_issued_at": timezone.now().isoformat(),
    }
    integration.save(update_fields=["credentials", "provider_settings", "updated_at"])
    activity_log(
        integration=integration,
        kind="partner_key.rotated" if rotated else "partner_key.issued",
        message=(
            "Partner API key rotated: the previous key no longer works; paste the new one into Ashby."
            if rotated
            else "Partner API key issued for Ashby's calls to JobCannon."
        ),
        data={"key_id": key_id},
    )
    return key


def _key_from_basic(header: str) -> str:
    """The key from `Basic base64("<key>:")`; Ashby puts it in the username, but a key in the
    password field (`base64(":<key>")`) is accepted too."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    username, _, password = decoded.partition(":")
    return (username or password).strip()


@dataclass(frozen=True)
class PartnerAuth:
    integration: Integration | None
    reason: str = ""


def partner_authenticate(*, authorization: str, public_id: str | None, source: str = "") -> PartnerAuth:
    """Who is calling: the integration whose partner key is in the Basic header. A failure whose
    integration is known (from the URL or the key id) is written to that integration's log, one
    line per calling address (`source`) and window."""
    key = _key_from_basic(authorization)
    integration: Integration | None = None
    if public_id:
        integration = (
            Integration.objects.filter(provider="ashby", public_id=public_id)
            .select_related("workspace")
            .first()
        )
        if integration is None:
            return PartnerAuth(None, "Unknown integration in the partner base URL.")
    elif key.startswith(constants.PARTNER_KEY_PREFIX + "_"):
        key_id = key.split("_")[1] if key.count("_") >= 2 else ""
        integration = (
            (
                Integration.objects.filter(provider="ashby", provider_settings__partner_key_id=key_id)
                .select_related("workspace")
                .first()
            )
            if key_id
            else None
        )
    if not authorization:
        reason = (
            "Missing Authorization header: Ashby must send Basic auth with the JobCannon partner API key."
        )
    elif not key:
        reason = 'Malformed Authorization header: expected Basic base64("<partner API key>:").'
    else:
        reason = "Wrong partner API key."
    if integration is not None and key:
        if partner_key_matches(integration, key):
            if integration.status == IntegrationStatus.DISCONNECTED:
                reason = "This integration is disconnected in JobCannon."
            else:
                return PartnerAuth(integration)
        elif not partner_key_issued(integration):
            reason = "No partner API key has been issued for this integration yet."
    if integration is not None:
        # One line (and audit event) per calling address and window, with a count: a stream of
        # bad calls must not grow the logs (issue 21).
        partner_auth_failure_record(
            integration=integration,
            source=source,
            reason=reason,
            message=f"Rejected a call from Ashby to the partner API: {reason} If this was Ashby, "
            "paste the current partner API key into Ashby's JobCannon settings.",
        )
    return PartnerAuth(None, reason)


def partner_assessment_start(*, integration: Integration, start: StartRequest) -> tuple[AssessmentRun, bool]:
    """Create (or return, for an Ashby retry) the run. The assessment id we return to Ashby is a
    fresh UUID on first creation and the stored one on a retry."""
    import uuid

    run, created = assessment_run_create(
        workspace=integration.workspace,
        instrument=start.instrument,
        candidate=start.candidate(),
        integration=integration,
        refs=start.refs(assessment_id=str(uuid.uuid4()), request_key=_request_key(integration, start)),
        due_at=start.due_at,
        email_template=start.email_template,
    )
    if created:
        activity_log(
            integration=integration,
            kind="partner.assessment_started",
            message=f"Ashby started {start.instrument} for application {start.application_id} "
            f"(run {run.pk}).",
            data={
                "run": run.pk,
                "assessment_id": run.external_assessment_id,
                "assessment_type_id": start.assessment_type_id,
            },
        )
    return run, created


def _request_key(integration: Integration, start: StartRequest) -> str:
    """`<application>:<type>` makes Ashby's retries idempotent. Once that run was cancelled or
    expired, a recruiter sending the assessment again is a new order: `<application>:<type>#2`,
    and so on (each of which is again idempotent for its retries). A run past its due date is
    expired here first (and Ashby told), so the answer does not depend on whether the periodic
    expiry has run yet."""
    from assessments.models import RunStatus
    from assessments.services.lifecycle import assessment_run_expire_if_due

    key, n = start.request_key, 1
    while True:
        run = AssessmentRun.objects.filter(integration=integration, external_request_key=key).first()
        if run is not None:
            assessment_run_expire_if_due(run=run)
            # Whoever expired it (this call, a concurrent retry, the periodic expiry), the row says so.
            run.refresh_from_db(fields=["status"])
        if run is None or run.status not in (RunStatus.CANCELLED, RunStatus.EXPIRED):
            return key
        n += 1
        key = f"{start.request_key}#{n}"


def partner_run_get(*, integration: Integration, assessment_id: str) -> AssessmentRun | None:
    return AssessmentRun.objects.filter(integration=integration, external_assessment_id=assessment_id).first()


def partner_assessment_cancel(*, integration: Integration, run: AssessmentRun) -> AssessmentRun:
    # Ashby asked for it, so there is nothing to write back: notify_ats=False.
    run = assessment_run_cancel(run=run, reason="Cancelled in Ashby", notify_ats=False)
    activity_log(
        integration=integration,
        kind="partner.assessment_cancelled",
        message=f"Ashby cancelled assessment {run.external_assessment_id} (run {run.pk}).",
        data={"run": run.pk},
    )
    return run


def due_at_from(value: object) -> dt.datetime | None:
    """additional_fields.due_date: an ISO date (end of that day, UTC), an ISO datetime or epoch ms."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    text = str(value).strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@transaction.atomic
def webhooks_record(*, integration: Integration, webhooks: list[dict], key: str = "webhooks") -> None:
    """Remember the webhooks registered in Ashby (ids shown on the integration page); `key`
    "sync_webhooks" holds the data sync's, apart from the assessment ones."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    if (locked.provider_settings or {}).get(key) == webhooks:
        return
    locked.provider_settings = {**(locked.provider_settings or {}), key: webhooks}
    locked.save(update_fields=["provider_settings", "updated_at"])
    integration.provider_settings = locked.provider_settings
    summary = ", ".join(f"{w['event']} → {w.get('webhook_type', '?')} ({w.get('status')})" for w in webhooks)
    activity_log(
        integration=integration,
        kind="ashby.webhooks_registered",
        message=f"Ashby {'sync ' if key == 'sync_webhooks' else ''}webhooks: {summary}.",
        data={
            "webhooks": [{k: w.get(k) for k in ("event", "webhook_type", "id", "status")} for w in webhooks]
        },
    )


def refresh_token_age_warn(*, integration: Integration) -> bool:
    """Log, once per refresh token, that it is older than 1.5 years (seed 000). True if logged."""
    message = refresh_token_warning(integration)
    token = getattr(integration, "token", None)
    if not message or token is None or token.refresh_issued_at is None:
        return False
    issued = token.refresh_issued_at.isoformat()
    kind = "ashby.refresh_token_old"
    if integration.activity.filter(kind=kind, data__refresh_issued_at=issued).exists():
        return False
    activity_log(
        integration=integration,
        kind=kind,
        level=ActivityLevel.WARNING,
        message=message,
        data={"refresh_issued_at": issued},
    )
    return True
