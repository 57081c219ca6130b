"""Ashby webhooks: signature schemes, envelope, and one handler per action we act on.

Real API (https://developers.ashbyhq.com/docs/authenticating-webhooks): `Ashby-Signature:
sha256=<hex HMAC-SHA256(secretToken, raw body)>`. Seed 000: `X-Ashby-Webhook-Signature`, an
HMAC-SHA256 of the body, computed with "the Client Secret" — so that header is checked against the
webhook secret and, failing that, the OAuth client secret. Envelope: `{webhookActionId, action,
data}` (https://developers.ashbyhq.com/docs/common-payload-data). The dedupe key is
`<webhookActionId>:<action>` (`parse`): the id is stable across retries, but one Ashby event also
fires its related webhooks with the same id (a hire: candidateHire, applicationUpdate and
candidateStageChange), and each of those is its own delivery to process."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integrations.base import (
    ATSError,
    ATSPermissionError,
    ATSValidationError,
    InboundRequest,
    ParsedWebhook,
    SyncedApplication,
    Verification,
    WebhookContext,
    verify_hmac_hex,
)
from integrations.models import ActivityLevel, Integration
from integrations.services.activity import activity_log
from integrations.sync.refresh import (
    sync_enabled,
    sync_record_refresh_enqueue,
    sync_record_remove,
    sync_records_receive,
    sync_records_receive_missing,
)

from . import constants, mappers, services

if TYPE_CHECKING:
    from .client import AshbyClient

FIX = (
    "Set the Ashby webhook's secret token to this integration's webhook secret (we do it when we register "
    "the webhook), and check Ashby admin → Webhooks → Event Logs."
)


def _hex(value: str) -> str:
    value = value.strip()
    return value[7:].strip().lower() if value.lower().startswith("sha256=") else value.lower()


def verify(integration: Integration | None, request: InboundRequest, secrets: list[str]) -> Verification:
    real = request.header(constants.SIGNATURE_HEADER)
    seed = request.header(constants.SEED_SIGNATURE_HEADER)
    if not real and not seed:
        return Verification(
            ok=False,
            reason=(
                f"Webhook signature validation failed: the signature header is missing (Ashby sends "
                f"{constants.SIGNATURE_HEADER}: sha256=<hex>; the setup guide names {constants.SEED_SIGNATURE_HEADER}). "
                "A webhook created without a secret token is unsigned. " + FIX
            ),
        )
    if not secrets:
        return Verification(
            ok=False, reason="This integration has no webhook secret: rotate one on the integration page."
        )
    if real:
        if verify_hmac_hex(
            body=request.body, signature="sha256=" + _hex(real), secrets=secrets, prefix="sha256="
        ):
            return Verification(ok=True, scheme=constants.SCHEME_REAL)
        return Verification(
            ok=False,
            scheme=constants.SCHEME_REAL,
            reason=(
                f"Webhook signature validation failed: {constants.SIGNATURE_HEADER} does not match the HMAC-SHA256 of "
                "the body with this integration's webhook secret (wrong secret token, or the body changed after "
                "signing). " + FIX
            ),
        )
    if verify_hmac_hex(body=request.body, signature=_hex(seed), secrets=secrets):
        return Verification(ok=True, scheme=constants.SCHEME_SEED)
    client_secret = integration.credential("client_secret", "") if integration is not None else ""
    if client_secret and verify_hmac_hex(body=request.body, signature=_hex(seed), secrets=[client_secret]):
        return Verification(ok=True, scheme=constants.SCHEME_SEED_CLIENT_SECRET)
    return Verification(
        ok=False,
        scheme=constants.SCHEME_SEED,
        reason=(
            f"Webhook signature validation failed: {constants.SEED_SIGNATURE_HEADER} matches neither the HMAC-SHA256 "
            "of the body with this integration's webhook secret nor with its OAuth Client Secret (tampered body or "
            "wrong secret). " + FIX
        ),
    )


def parse(request: InboundRequest) -> ParsedWebhook:
    payload = json.loads(request.body)
    if not isinstance(payload, dict) or not isinstance(payload.get("action"), str) or not payload["action"]:
        raise ValueError("missing the `action` field")
    action, action_id = payload["action"], payload.get("webhookActionId")
    # webhookActionId "will be the same across retries for a single event and across webhook
    # payloads if you have more than one webhook configured for the same event"
    # (https://developers.ashbyhq.com/docs/common-payload-data), and an event's related webhooks
    # carry it too: candidateHire "Also triggers applicationUpdate and candidateStageChange" (the
    # spec, webhooks.candidateHire), "generated with the same webhookActionId" (Ashby's webhook
    # docs, README "Webhook dedupe"). So the action is part of the key: a retry, or a second
    # webhook of the same type, is a duplicate; the related webhooks of one hire are not.
    # Rows stored before this (key = the bare id) were re-keyed by migration 0011.
    # All Ashby payloads carry webhookActionId; should one not, the body digest still dedupes retries.
    external_id = (
        f"{action_id}:{action}" if action_id else "sha256:" + hashlib.sha256(request.body).hexdigest()
    )
    return ParsedWebhook(event_type=action, external_id=external_id)


def register(*, client: AshbyClient, integration: Integration) -> None:
    """Register, via webhook.create, the webhook types the assessments need
    (constants.WEBHOOK_SUBSCRIPTIONS) and, with the data sync on, those that refresh the synced
    copy (kept apart in provider_settings["sync_webhooks"]; a refusal never fails the connection).

    Only real `webhookType`s are sent: Ashby's spec enumerates them (constants.WEBHOOK_TYPES) and
    has neither of seed 000's names, so `candidate.created` is registered as applicationSubmit and
    `assessment.completed` not at all (SEED_WEBHOOK_ALIASES; both names are still handled when
    delivered). Webhooks are signed with this integration's newest secret; kept ids are reused; a
    changed URL or secret re-registers and deletes the old webhook, as does a type we no longer use.
    webhook.create needs the apiKeysWrite permission: a key without it gets each webhook recorded as
    needing it, the permission recorded as missing, and the connection goes on (assessments do not
    depend on these webhooks)."""
    from .permissions import permission_missing_record

    seed, blocked = _register_set(
        client=client,
        integration=integration,
        types=constants.WEBHOOK_SUBSCRIPTIONS,
        refused=(ATSValidationError,),
        unavailable_note="Ashby did not accept this webhook type; results still reach Ashby through "
        "assessment.update.",
    )
    services.webhooks_record(integration=integration, webhooks=seed)
    if sync_enabled(integration):
        # Every type the assessment set lists, registered or not: one blocked for want of
        # apiKeysWrite has no id yet, and listing it again here would show it twice.
        taken = {w.get("webhook_type") for w in seed}
        synced, blocked_sync = _register_set(
            client=client,
            integration=integration,
            types=tuple(action for action in constants.SYNC_WEBHOOKS if action not in taken),
            key="sync_webhooks",
            refused=(ATSError,),
            unavailable_note="Ashby did not accept this webhook; the scheduled sync still picks these "
            "changes up.",
            blocked=blocked,
        )
        services.webhooks_record(integration=integration, webhooks=synced, key="sync_webhooks")
        blocked = blocked or blocked_sync
    permission_missing_record(
        integration=integration,
        permission=client.missing_permission(blocked) if blocked else constants.PERMISSION_API_KEYS_WRITE,
        endpoint=constants.EP_WEBHOOK_CREATE,
        missing=blocked is not None,
        message=blocked.message if blocked else "",
    )


def _register_set(
    *,
    client: AshbyClient,
    integration: Integration,
    types: tuple[str, ...],
    refused: tuple[type[ATSError], ...],
    unavailable_note: str,
    key: str = "webhooks",
    blocked: ATSPermissionError | None = None,
) -> tuple[list[dict[str, Any]], ATSPermissionError | None]:
    """(the webhooks as registered, the 403 that stopped registration if any)."""
    url = settings.JOBCANNON_BASE_URL + reverse("integrations:webhook", args=["ashby", integration.public_id])
    secret_list = integration.webhook_secrets or []
    secret, secret_created = (
        (secret_list[0]["secret"], secret_list[0].get("created_at", "")) if secret_list else ("", "")
    )
    # Keyed by the type registered in Ashby (older records keyed the seed name, e.g. event
    # "candidate.created" with webhook_type "applicationSubmit": reused as applicationSubmit).
    existing = {
        w.get("webhook_type") or w["event"]: w for w in (integration.provider_settings or {}).get(key, [])
    }
    aliases = {real: seed for seed, real in constants.SEED_WEBHOOK_ALIASES.items() if real}
    registered = []
    for webhook_type in types:
        old = existing.pop(webhook_type, None)
        entry: dict[str, Any] = {
            "event": webhook_type,
            "webhook_type": webhook_type,
            "alias": aliases.get(webhook_type, ""),
            "url": url,
            "secret_created_at": secret_created,
            "registered_at": timezone.now().isoformat(),
        }
        if old and old.get("id") and old.get("url") == url and old.get("secret_created_at") == secret_created:
            registered.append({**old, **{k: entry[k] for k in ("event", "webhook_type", "alias")}})
            continue
        if blocked is not None:
            entry.update(id="", status="needs_permission", note=blocked.message[:300])
            registered.append(entry)
            continue
        try:
            result = client.webhook_create(webhook_type=webhook_type, request_url=url, secret_token=secret)
        except ATSPermissionError as exc:
            blocked = exc
            entry.update(id="", status="needs_permission", note=exc.message[:300])
        except refused as exc:
            entry.update(id="", status="unavailable", note=f"{unavailable_note} ({exc.message[:200]})")
        else:
            results = result.get("results") or {}
            entry.update(
                id=str(results.get("id", "")),
                note="",
                status="enabled" if results.get("enabled", True) else "disabled",
            )
            if old and old.get("id"):
                _delete(client, old["id"])
        registered.append(entry)
    if blocked is None:
        for old in existing.values():  # types we no longer register (seed names, …)
            if old.get("id"):
                _delete(client, old["id"])
    return registered, blocked


def _delete(client: AshbyClient, webhook_id: str) -> None:
    try:
        client.webhook_delete(webhook_id=webhook_id)
    except ATSError:
        pass  # already gone in Ashby, or not ours to delete any more: never fails the connection


def handle_candidate_created(ctx: WebhookContext) -> None:
    """Seed 000: "used for logging". Registered as Ashby's applicationSubmit (the seed name is an
    alias, still handled when delivered)."""
    candidate = mappers.candidate_from_webhook(ctx.payload)
    activity_log(
        integration=ctx.integration,
        kind="ashby.candidate_created",
        message=f"Ashby reported a new candidate ({candidate.candidate_id}).",
        data={"candidate_id": candidate.candidate_id, "action": ctx.event.event_type},
    )


def handle_assessment_completed(ctx: WebhookContext) -> None:
    """Seed 000's assessment.completed, kept as an alias: Ashby's webhook.create has no such type
    (the spec's enum), so only a sender following the setup guide delivers it. Logged as proof
    that our write-back landed."""
    from assessments.models import AssessmentRun

    completed = mappers.completed_from_webhook(ctx.payload)
    run = (
        AssessmentRun.objects.filter(
            integration=ctx.integration, external_assessment_id=completed.assessment_id
        )
        .only("pk")
        .first()
    )
    if run is None:
        activity_log(
            integration=ctx.integration,
            kind="ashby.assessment_unknown",
            level=ActivityLevel.WARNING,
            message=f"Ashby reported assessment {completed.assessment_id} completed, but no JobCannon run "
            "of this integration has that id.",
            data={"assessment_id": completed.assessment_id},
        )
        return
    activity_log(
        integration=ctx.integration,
        kind="ashby.assessment_completed",
        message=f"Ashby confirmed assessment {completed.assessment_id} (run {run.pk}) as completed.",
        data={"assessment_id": completed.assessment_id, "run": run.pk},
    )


# --- the synced copy (integrations/sync): webhooks trigger a targeted refresh ------------------


def handle_application_event(ctx: WebhookContext) -> None:
    """applicationSubmit / applicationUpdate / candidateStageChange / candidateHire: store the
    application Ashby sent (an older copy than ours only counts as seen), and its candidate when
    we hold none.

    The payload is Ashby's full application object (id, createdAt, updatedAt, status,
    candidate{id, name, primaryEmailAddress}, currentInterviewStage, job.id are all required:
    reference/ashby-api.md §2), the same object application.info returns. So nothing is re-read
    by default: the read would fetch what we just wrote, one HTTP round trip (and one unit of
    the customer's Ashby rate limit) per webhook, most of the workers' time under load.
    - The application is stored as sent. Only a payload lacking a field we store (or updatedAt,
      without which it cannot be ordered against our copy) gets a targeted refresh.
    - A candidate we do not hold is stored from the payload (name, e-mail, phone) and never over
      a copy we hold; the scheduled incremental sync (every 15–60 min) completes it with what the
      payload lacks (profile URL): Ashby reports a new candidate as changed. Without a
      name in the payload, the candidate gets a targeted refresh instead.
    Targeted refreshes are coalesced per record (one waiting at a time, sync_record_refresh_enqueue);
    the scheduled sync still catches whatever a webhook missed."""
    application = mappers.application_from_webhook(ctx.payload)
    embedded = (ctx.payload.get("data") or {})["application"].get("candidate") or {}
    candidate = mappers.sync_candidate_from(embedded) if application.candidate_external_id else None
    if candidate is not None and candidate.name:
        # Before the application, so that it is stored with its candidate's foreign key.
        sync_records_receive_missing(integration=ctx.integration, records=[candidate])
    sync_records_receive(integration=ctx.integration, records=[application])
    if not _application_complete(application):
        sync_record_refresh_enqueue(
            integration=ctx.integration, resource="applications", external_id=application.external_id
        )
    if candidate is not None and not candidate.name:
        sync_record_refresh_enqueue(
            integration=ctx.integration,
            resource="candidates",
            external_id=application.candidate_external_id,
            only_if_missing=True,
        )


def _application_complete(application: SyncedApplication) -> bool:
    return all(
        (
            application.updated_at,
            application.status,
            application.candidate_external_id,
            application.job_external_id,
            application.stage_external_id,
        )
    )


def handle_application_submit(ctx: WebhookContext) -> None:
    handle_candidate_created(ctx)
    handle_application_event(ctx)


def handle_candidate_removed(ctx: WebhookContext) -> None:
    """candidateDelete (data.candidate) and candidateMerge (data.deletedCandidate merged into
    data.mergedCandidate): the copy goes at once, personal data included; a merge moves the
    applications to the surviving candidate, which is then re-read."""
    gone = mappers.candidate_deletion_from_webhook(ctx.payload)
    sync_record_remove(
        integration=ctx.integration,
        model="candidate",
        external_id=gone.external_id,
        merged_into=gone.merged_into,
    )
    sync_record_refresh_enqueue(
        integration=ctx.integration, resource="candidates", external_id=gone.merged_into
    )


def handle_job_event(ctx: WebhookContext) -> None:
    """jobCreate / jobUpdate: the payload lacks the expanded location, so the job is re-read
    (job.info with expand) rather than stored as sent."""
    job = mappers.job_from_webhook(ctx.payload)
    sync_record_refresh_enqueue(integration=ctx.integration, resource="jobs", external_id=job.external_id)


EVENT_HANDLERS = {
    constants.EVENT_CANDIDATE_CREATED: handle_candidate_created,
    constants.EVENT_APPLICATION_SUBMIT: handle_application_submit,
    constants.EVENT_ASSESSMENT_COMPLETED: handle_assessment_completed,
    constants.EVENT_APPLICATION_UPDATE: handle_application_event,
    constants.EVENT_CANDIDATE_STAGE_CHANGE: handle_application_event,
    constants.EVENT_CANDIDATE_HIRE: handle_application_event,
    constants.EVENT_CANDIDATE_DELETE: handle_candidate_removed,
    constants.EVENT_CANDIDATE_MERGE: handle_candidate_removed,
    constants.EVENT_JOB_CREATE: handle_job_event,
    constants.EVENT_JOB_UPDATE: handle_job_event,
}
IGNORED_EVENTS = constants.IGNORED_ACTIONS
