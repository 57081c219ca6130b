"""Lever webhooks in: verification (both schemes), event id, and the handlers.

Two signature schemes, both keyed with this integration's webhook secrets (newest first; Lever's
`signatureToken`s are stored there too):
- seed 004: header `X-Lever-Signature: <hex HMAC-SHA256(secret, raw body)>` (`sha256=` prefix
  tolerated). Covers every byte of the body; no timestamp, replays are caught by the dedupe.
- real Lever (https://hire.lever.co/developer/documentation#securing-webhooks): `signature`,
  `token` and `triggeredAt` inside the body, signature = hex HMAC-SHA256(signatureToken,
  token + triggeredAt). It does not cover `data`, so we never trust `data` beyond ids: handlers
  re-read the opportunity.

Replays (LD's advice): the dedupe key is the signed `token`, so a token already stored is a
duplicate, never processed again, whatever the unsigned `id` or `data` say. A token we already
processed is refused outright, 409 (`replay_response`: "not honor any subsequent request with the
same token"); a token stored but not processed yet is Lever retrying and is acknowledged 2xx,
and if we had given up processing it (dead) it is queued again (README.md, "Retries and
replays"). Lever's retries keep the original token and triggeredAt, so a
token we have not processed is accepted for as long as Lever may resend it
(constants.RETRY_WINDOW, two weeks)."""

from __future__ import annotations

import hashlib
import time
from typing import Any, Literal

from integrations.base import (
    InboundRequest,
    ParsedWebhook,
    Verification,
    WebhookContext,
    constant_time_equals,
    hmac_sha256_hex,
    verify_hmac_hex,
)
from integrations.models import WebhookEvent, WebhookStatus
from integrations.sync.refresh import sync_record_refresh_enqueue
from jobcannon.core.exceptions import error_body

from . import constants, mappers, services

SCHEME_SEED = "lever-x-signature"
SCHEME_BODY = "lever-body-token"


def now_seconds() -> float:
    """The clock verification reads (tests move it)."""
    return time.time()


def verify(request: InboundRequest, secrets: list[str], *, now: float | None = None) -> Verification:
    failed = constants.SIGNATURE_FAILED
    if not secrets:
        return Verification(ok=False, reason=f"{failed}: this integration has no webhook secret configured.")
    header = request.header(constants.SIGNATURE_HEADER).strip()
    if header:
        signature = header.removeprefix("sha256=").lower()
        if verify_hmac_hex(body=request.body, signature=signature, secrets=secrets):
            return Verification(ok=True, scheme=SCHEME_SEED)
        return Verification(
            ok=False,
            scheme=SCHEME_SEED,
            reason=(
                f"{failed}: {constants.SIGNATURE_HEADER} is not the HMAC-SHA256 of the raw body with this integration's "
                "webhook secret. Confirm the webhook secret matches the value in Lever settings, and that the payload "
                "is not modified before validation."
            ),
        )
    # Read before verification (the in-body scheme carries its signature): the request's bounded
    # parse, once per request (on the seeds' hint-less route every candidate's verify reads it).
    payload = request.json_object()
    if (
        payload is None
        or not payload.get("signature")
        or not payload.get("token")
        or payload.get("triggeredAt") is None
    ):
        return Verification(
            ok=False,
            reason=(
                f"{failed}: no {constants.SIGNATURE_HEADER} header and no signature/token/triggeredAt in the body. "
                "Generate a signature token for this webhook in Lever."
            ),
        )
    message = (str(payload["token"]) + str(payload["triggeredAt"])).encode()
    expected = str(payload["signature"]).strip().lower()
    matched = False
    for secret in secrets:
        matched |= constant_time_equals(hmac_sha256_hex(secret, message), expected)
    if not matched:
        return Verification(
            ok=False,
            scheme=SCHEME_BODY,
            reason=(
                f"{failed}: the body signature is not HMAC-SHA256(token + triggeredAt) with this integration's signature "
                "token. Paste the webhook's signature token from Lever on the Lever settings page."
            ),
        )
    try:
        age = (now if now is not None else now_seconds()) - float(payload["triggeredAt"]) / 1000
    except (TypeError, ValueError, OverflowError):
        return Verification(ok=False, scheme=SCHEME_BODY, reason=f"{failed}: triggeredAt is not a timestamp.")
    if -age > constants.FUTURE_SKEW.total_seconds():
        return Verification(
            ok=False,
            scheme=SCHEME_BODY,
            reason=f"{failed}: triggeredAt is {int(-age)} s in the future; check the sending server's clock.",
        )
    window = constants.RETRY_WINDOW
    if age > window.total_seconds():
        return Verification(
            ok=False,
            scheme=SCHEME_BODY,
            reason=(
                f"{failed}: stale timestamp (triggeredAt is {age / 86400:.1f} days old). Lever resends a delivery, "
                f"with its original token and triggeredAt, for at most {window.days} days (five automatic retries, "
                "or “Rerun” from its delivery history): this is a replay, not a Lever retry."
            ),
        )
    return Verification(ok=True, scheme=SCHEME_BODY)


def parse(request: InboundRequest) -> ParsedWebhook:
    payload = request.json_object()
    if payload is None or not payload.get("event"):
        raise ValueError("no 'event' field")
    # Dedupe on what the signature covers. LD: "cache the token value locally and not honor any
    # subsequent request with the same token". The token is signed in both schemes (the in-body
    # one requires it; X-Lever-Signature covers every byte), and a Lever retry or rerun carries
    # the same one. The body `id` is a key only when the header signed the whole body (verify()
    # refuses an in-body-signed delivery without a token): it is unsigned in Lever's own scheme.
    if payload.get("token"):
        external_id = f"token:{payload['token']}"
    elif payload.get("id"):
        external_id = str(payload["id"])
    else:
        external_id = "sha256:" + hashlib.sha256(request.body).hexdigest()
    return ParsedWebhook(event_type=str(payload["event"]), external_id=external_id)


# A first delivery in one of these states was handled: the same token again is a replay.
_HANDLED = frozenset({WebhookStatus.PROCESSED, WebhookStatus.IGNORED, WebhookStatus.UNSUPPORTED})


def replay_response(original: WebhookEvent | None) -> tuple[int, dict[str, Any]] | Literal["reopen"] | None:
    """What Lever hears when it sends a token we already stored (the delivery is recorded as a
    duplicate of the first either way):
    - processed (or ignored, unsupported): a replay, refused 409 (LD "Request signing": "not
      honor any subsequent request with the same token");
    - dead (we gave up processing it): Lever retrying an event we have not processed, within its
      retry window (verify() refuses a triggeredAt older than constants.RETRY_WINDOW). "reopen":
      the first delivery is queued again with a fresh budget of attempts, and Lever gets a 2xx
      (services.webhooks.webhook_event_reopen). A duplicate 2xx instead would stop Lever's
      retries while nothing processes the event: it would be lost;
    - queued, or failed and waiting for our own retry: Lever retrying, acknowledged 2xx as a
      duplicate (our retry processes it once)."""
    if original is None:
        return None
    if original.status == WebhookStatus.DEAD:
        return "reopen"
    if original.status not in _HANDLED:
        return None
    message = (
        f"Replay refused: token already processed (delivery {original.pk}, "
        f"{original.get_status_display().lower()}); Lever's advice is not to honor a token twice."
    )
    return 409, error_body("replayed_token", message, {"original_delivery": original.pk})


def _refresh_opportunity(ctx: WebhookContext, opportunity_id: str) -> None:
    """The synced copy (integrations/sync): re-read the opportunity the event names once this
    commits (candidate and application come from it). Never stored as sent: the real signature
    does not cover `data`. A 404 on the re-read removes our copy of the application."""
    sync_record_refresh_enqueue(
        integration=ctx.integration, resource="applications", external_id=opportunity_id
    )


def _test_request(ctx: WebhookContext) -> bool:
    """Lever's test request, sent from its webhooks settings page: `"data": {}` (LD "How to set up
    webhooks": {"triggeredAt", "event": "candidateHired", "data": {}, "signature", "token"};
    fixture candidateHired__lever_docs_test_request). Verified like any delivery; nothing to do."""
    return not ctx.payload.get("data")


def handle_candidate_stage_change(ctx: WebhookContext) -> None:
    if _test_request(ctx):
        return
    event = mappers.opportunity_event(ctx.payload)
    _refresh_opportunity(ctx, event.opportunity_id)
    services.lever_stage_entered(
        integration=ctx.integration,
        provider=ctx.provider,
        opportunity_id=event.opportunity_id,
        stage_id=event.to_stage_id,
    )


def handle_application_created(ctx: WebhookContext) -> None:
    # A new application may land straight in a stage with an auto-send rule (e.g. "New applicant").
    if _test_request(ctx):
        return
    event = mappers.opportunity_event(ctx.payload)
    _refresh_opportunity(ctx, event.opportunity_id)
    services.lever_application_received(
        integration=ctx.integration,
        provider=ctx.provider,
        opportunity_id=event.opportunity_id,
        event_type=ctx.event.event_type,
    )


def handle_opportunity_changed(ctx: WebhookContext) -> None:
    """candidateHired, candidateArchiveChange, candidateDeleted: nothing to send, but the synced
    copy changes (status, archived, gone). A deleted opportunity answers 404 to the re-read, which
    soft-deletes the application; the contact stays until a full sync no longer sees it (it may
    have other opportunities)."""
    if _test_request(ctx):
        return
    _refresh_opportunity(ctx, mappers.opportunity_event(ctx.payload).opportunity_id)


EVENT_HANDLERS = {
    constants.EVENT_CANDIDATE_STAGE_CHANGE: handle_candidate_stage_change,
    constants.EVENT_APPLICATION_CREATED: handle_application_created,
    constants.EVENT_APPLICATION_CREATED_SEED: handle_application_created,
    constants.EVENT_OPPORTUNITY_CREATED_SEED: handle_application_created,
    constants.EVENT_CANDIDATE_HIRED: handle_opportunity_changed,
    constants.EVENT_CANDIDATE_ARCHIVE_CHANGE: handle_opportunity_changed,
    constants.EVENT_CANDIDATE_DELETED: handle_opportunity_changed,
}
IGNORED_EVENTS = frozenset(
    {
        "contactCreated",
        "contactUpdated",
        "interviewCreated",
        "interviewUpdated",
        "interviewDeleted",
    }
)
