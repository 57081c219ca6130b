"""SmartRecruiters webhooks in: three ways a delivery can prove itself, one parser, the handlers.

1. The real Webhooks API (SRD /reference/subscriptionsgeneratesecretkey-1, reference §2.4):
   `smartrecruiters-signature: v1=<hex>[;v1=<hex>...]`, HMAC-SHA256(secret key,
   "<smartrecruiters-timestamp>.<raw body>.<event-id>.<event-name>.<event-version>.<link>"),
   empty strings for missing headers, timestamp within SIGNATURE_TOLERANCE.
2. Seed 001: `X-SmartRecruiters-Signature: <hex HMAC-SHA256(secret, raw body)>`.
3. The activation handshake (SRD /reference/subscriptionsactivate-1): an unsigned POST carrying
   `X-Hook-Secret`, accepted only while we are activating a subscription ourselves.
Both signatures are keyed with the integration's webhook secrets (SR's generated secret key is
stored there, newest first, next to the one JobCannon generated)."""

from __future__ import annotations

import hashlib
import json
import time

from integrations.base import (
    ATSValidationError,
    InboundRequest,
    ParsedWebhook,
    Verification,
    WebhookContext,
    constant_time_equals,
    hmac_sha256_hex,
    verify_hmac_hex,
)
from integrations.services.activity import activity_log
from integrations.sync.refresh import sync_record_refresh_enqueue

from . import constants, mappers, selectors


def v1_message(request: InboundRequest) -> bytes:
    parts = [request.header(constants.TIMESTAMP_HEADER).encode(), request.body]
    parts += [
        request.header(h).encode()
        for h in (
            constants.EVENT_ID_HEADER,
            constants.EVENT_NAME_HEADER,
            constants.EVENT_VERSION_HEADER,
            constants.LINK_HEADER,
        )
    ]
    return b".".join(parts)


def v1_signature(secret: str, request: InboundRequest) -> str:
    return "v1=" + hmac_sha256_hex(secret, v1_message(request))


def _verify_v1(request: InboundRequest, secrets: list[str], now: float | None = None) -> Verification:
    scheme = "smartrecruiters-v1"
    stamp = request.header(constants.TIMESTAMP_HEADER)
    if not stamp.isdigit():
        return Verification(
            ok=False, scheme=scheme, reason=f"Missing or malformed {constants.TIMESTAMP_HEADER} header."
        )
    age = (time.time() if now is None else now) - int(stamp)
    tolerance = constants.SIGNATURE_TOLERANCE.total_seconds()
    if abs(age) > tolerance:
        return Verification(
            ok=False,
            scheme=scheme,
            reason=(
                f"Stale timestamp: signed {int(age)} s ago (tolerance {int(tolerance)} s). A replayed delivery, "
                "or a clock far off."
            ),
        )
    given = [seg.strip() for seg in request.header(constants.SIGNATURE_HEADER).split(";")]
    given = [seg for seg in given if seg.startswith("v1=")]
    if not given:
        return Verification(ok=False, scheme=scheme, reason="smartrecruiters-signature has no v1 segment.")
    matched = False
    for secret in secrets:
        expected = v1_signature(secret, request)
        for seg in given:  # every pair compared: timing does not reveal which key matched
            matched |= constant_time_equals(expected, seg)
    if not matched:
        return Verification(
            ok=False,
            scheme=scheme,
            reason=(
                "Webhook signature validation failed: smartrecruiters-signature does not match any secret key "
                "(wrong key, or the body or event headers changed after signing)."
            ),
        )
    return Verification(ok=True, scheme=scheme)


def _verify_seed(request: InboundRequest, secrets: list[str]) -> Verification:
    signature = request.header(constants.SEED_SIGNATURE_HEADER).strip()
    signature = signature.removeprefix("sha256=")
    if not verify_hmac_hex(body=request.body, signature=signature, secrets=secrets):
        return Verification(
            ok=False,
            scheme="seed-hmac",
            reason=(
                "Webhook signature validation failed: X-SmartRecruiters-Signature does not match. Confirm the "
                "webhook secret in SmartRecruiters matches the one in JobCannon and that nothing modifies the "
                "payload before validation."
            ),
        )
    return Verification(ok=True, scheme="seed-hmac")


def _verify_handshake(integration) -> Verification:
    if selectors.subscription_activating(integration=integration):
        return Verification(ok=True, scheme="x-hook-secret")
    return Verification(
        ok=False,
        scheme="x-hook-secret",
        reason=(
            "Unexpected X-Hook-Secret handshake: JobCannon is not activating a SmartRecruiters subscription "
            "for this integration right now."
        ),
    )


def verify(integration, request: InboundRequest, secrets: list[str]) -> Verification:
    if request.header(constants.SIGNATURE_HEADER) or request.header(constants.TIMESTAMP_HEADER):
        return (
            _verify_v1(request, secrets)
            if secrets
            else Verification(ok=False, reason="No secret key configured.")
        )
    if request.header(constants.SEED_SIGNATURE_HEADER):
        return (
            _verify_seed(request, secrets)
            if secrets
            else Verification(ok=False, reason="No webhook secret configured.")
        )
    if request.header(constants.HOOK_SECRET_HEADER):
        return _verify_handshake(integration)
    return Verification(
        ok=False,
        reason=(
            "Missing signature: SmartRecruiters signs with smartrecruiters-signature (Webhooks API) or "
            "X-SmartRecruiters-Signature (seed setup); neither header is present."
        ),
    )


def is_handshake(request: InboundRequest) -> bool:
    return bool(request.header(constants.HOOK_SECRET_HEADER)) and not (
        request.header(constants.SIGNATURE_HEADER) or request.header(constants.SEED_SIGNATURE_HEADER)
    )


def parse(request: InboundRequest) -> ParsedWebhook:
    if is_handshake(request):
        return ParsedWebhook(event_type=constants.EVENT_HANDSHAKE, external_id="")  # never deduped
    payload = json.loads(request.body or b"{}")
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    name = (
        request.header(constants.EVENT_NAME_HEADER) or payload.get("event") or payload.get("eventName") or ""
    )
    if not name:
        raise ValueError('no event name (event-name header or "event" field)')
    # Dedupe on the event-id header (Webhooks API) or the body's id (seed); identical bodies
    # without either are the same event.
    event_id = (
        request.header(constants.EVENT_ID_HEADER)
        or str(payload.get("id") or payload.get("eventId") or "")
        or "sha256:" + hashlib.sha256(request.body).hexdigest()[:48]
    )
    return ParsedWebhook(event_type=str(name), external_id=str(event_id))


def _refresh_candidate(ctx: WebhookContext, candidate_id: str) -> None:
    """The synced copy (integrations/sync): re-read the candidate the event names, with its job
    assignments (our applications), once this commits. SmartRecruiters' events carry ids only."""
    sync_record_refresh_enqueue(integration=ctx.integration, resource="candidates", external_id=candidate_id)


def handle_assessment_completed(ctx: WebhookContext) -> None:
    notice = mappers.completed_notice_from(ctx.payload)
    _refresh_candidate(ctx, notice.candidate_id)
    run = (
        selectors.run_for_order(integration=ctx.integration, order_id=notice.order_id)
        if notice.order_id
        else None
    )
    if run is None:
        activity_log(
            integration=ctx.integration,
            kind="smartrecruiters.assessment_completed",
            message=f"SmartRecruiters reported assessment order {notice.order_id or '?'} completed; "
            "it is not one of this integration's runs.",
            data={"order": notice.order_id},
        )
        return
    activity_log(
        integration=ctx.integration,
        kind="smartrecruiters.assessment_completed",
        message=f"SmartRecruiters confirmed the result of run {run.pk} (order {notice.order_id}) "
        f"on candidate {notice.candidate_id}.",
        data={"run": run.pk, "order": notice.order_id, "candidate": notice.candidate_id},
    )


def handle_record_changed(ctx: WebhookContext) -> None:
    """application.created / application.status.updated / candidate.updated / candidate.deleted:
    the Webhooks API sends ids only (SRO: ApplicationWebhookPayload {job_id, candidate_id,
    application_id}, CandidateWebhookPayload {id}) and a `link` to GET the entity; our synced copy
    of the candidate (with its applications) is re-read once this commits (a deleted one is then
    removed by the sync)."""
    payload, event = ctx.payload, ctx.event.event_type
    key = "id" if event in constants.CANDIDATE_EVENTS else "candidate_id"
    candidate_id = str(payload.get(key) or payload.get("candidate_id") or payload.get("candidateId") or "")
    if not candidate_id:
        raise ATSValidationError(f"The {event} event names no candidate ({key} is missing from its body).")
    _refresh_candidate(ctx, candidate_id)


EVENT_HANDLERS = {
    constants.EVENT_ASSESSMENT_COMPLETED: handle_assessment_completed,  # seed 001 only
    constants.EVENT_APPLICATION_CREATED: handle_record_changed,
    constants.EVENT_APPLICATION_STATUS_UPDATED: handle_record_changed,
    constants.EVENT_CANDIDATE_UPDATED: handle_record_changed,
    constants.EVENT_CANDIDATE_DELETED: handle_record_changed,
}
IGNORED_EVENTS = frozenset({constants.EVENT_HANDSHAKE, *constants.IGNORED_EVENTS})
