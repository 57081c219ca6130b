"""Knit webhooks in: signature check, parsing, and one handler per event.

Handlers translate the payload (mappers) and call the assessments services; they never write
models themselves."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from assessments.models import RunStatus
from assessments.services.runs import (
    ATSRefs,
    CandidateInfo,
    RunAlreadyActive,
    assessment_run_cancel,
    assessment_run_create,
)
from integrations.base import InboundRequest, ParsedWebhook, Verification, WebhookContext
from integrations.models import ActivityLevel
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ApplicationError

from . import constants, mappers
from .selectors import knit_run_for_assessment, knit_verification_keys

logger = logging.getLogger(__name__)


# --- signature -------------------------------------------------------------------------------


def sign(key: str, body: bytes) -> str:
    """X-Knit-Signature: base64url(HMAC-SHA256(Knit API key, body)) without '=' padding
    (https://developers.getknit.dev/docs/webhooks, reference §3)."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def js_stringify(value: Any) -> bytes:
    """What Node's JSON.stringify(JSON.parse(body)) produces: compact separators, no ASCII
    escaping, integral floats without ".0", integer-like object keys first in ascending order."""

    def normalise(v: Any) -> Any:
        if isinstance(v, dict):
            index_keys = sorted(
                (k for k in v if k.isdigit() and (k == "0" or not k.startswith("0"))), key=int
            )
            rest = [k for k in v if k not in set(index_keys)]
            return {k: normalise(v[k]) for k in [*index_keys, *rest]}
        if isinstance(v, list):
            return [normalise(i) for i in v]
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
            return int(v)
        return v

    return json.dumps(normalise(value), separators=(",", ":"), ensure_ascii=False).encode()


# The fallback below parses a body that did not verify over its raw bytes. Only one that could be
# a Knit event is parsed: a JSON object (Knit sends one, reference §3) of at most this size (its
# record.new is ~1-2 KiB, tests/fixtures/knit/webhooks). Anything else is refused after the raw
# HMACs alone, never parsed: 1 MiB of JSON junk on a real integration's own URL cost ~15 ms of CPU
# (up to ~80 ms for dense objects) to parse and re-serialise before it was refused (issue 21);
# 16 KiB of dense JSON costs ~1.2 ms. A body Knit sent as JSON.stringify printed it (the usual
# case) verifies over its raw bytes whatever its size; only a larger body that Knit spelled
# differently from what it signed would be refused, with the reason saying so.
RESERIALISED_MAX_BYTES = 16 * 1024


def _reserialised(request: InboundRequest) -> bytes:
    body = request.body
    if len(body) > RESERIALISED_MAX_BYTES or body.lstrip()[:1] != b"{":
        return b""
    # Before verification: the request's bounded parse (InboundRequest.json_object), so a deep
    # body is a clean 401 without a RecursionError in the parse or in js_stringify's walk of it;
    # on the seeds' shared route the pre-check made it already (webhook_sources._not_a_delivery).
    parsed = request.json_object()
    if parsed is None:
        return b""
    try:
        return js_stringify(parsed)
    except (ValueError, RecursionError):
        return b""


def _matches(signature: str, body: bytes, keys: Iterable[str]) -> bool:
    matched = False
    for key in keys:
        # No early return: every key is tried so timing does not reveal which one matched.
        matched |= hmac.compare_digest(sign(key, body).encode(), signature.encode())
    return matched


def verify(integration: Any, request: InboundRequest, secrets: list[str]) -> Verification:
    header = request.header(constants.SIGNATURE_HEADER).strip()
    if not header:
        return Verification(ok=False, reason=f"Missing {constants.SIGNATURE_HEADER} header.")
    keys = knit_verification_keys(integration=integration, secrets=secrets)
    if not keys:
        return Verification(
            ok=False,
            reason="No Knit API key is saved for this integration yet; Knit signs webhooks "
            "with it. Enter it on the Knit setup page.",
        )
    # Tolerate a padded or standard-alphabet header: same bytes, different spelling.
    signature = header.rstrip("=").replace("+", "-").replace("/", "_")
    if _matches(signature, request.body, keys):
        return Verification(ok=True, scheme=constants.SCHEME_RAW)
    # Knit's own Node example signs JSON.stringify(req.body), i.e. the parsed and re-serialised
    # body. Accept that form only as a fallback; the scheme on the stored event records it.
    # Computed once per request: on the seeds' hint-less route every candidate's keys are tried.
    compact = request.derive("knit.reserialised", lambda _body: _reserialised(request))
    if compact and compact != request.body and _matches(signature, compact, keys):
        logger.info("knit.signature_reserialised", extra={"integration": getattr(integration, "pk", None)})
        return Verification(ok=True, scheme=constants.SCHEME_RESERIALISED)
    reason = (
        "X-Knit-Signature does not match: signed with another Knit API key "
        "(sandbox vs production?), or the body changed after signing."
    )
    if len(request.body) > RESERIALISED_MAX_BYTES:
        reason += (
            f" Only the raw body was checked: a body over {RESERIALISED_MAX_BYTES} bytes is not "
            "re-serialised to check a JSON.stringify signature."
        )
    return Verification(ok=False, scheme="knit-hmac", reason=reason)


def parse(request: InboundRequest) -> ParsedWebhook:
    payload = json.loads(request.body)
    if not isinstance(payload, Mapping):
        raise ValueError("the body is not a JSON object")
    event_type = str(payload.get("eventType") or "").strip()
    if not event_type:
        raise ValueError("eventType is missing")
    sync_data_type = str(payload.get("syncDataType") or "")
    if sync_data_type and sync_data_type != constants.SYNC_DATA_TYPE_ASSESSMENTS:
        # The same webhook URL receives Knit's other ATS sync events: keep them apart from
        # assessments so they end up "unsupported" instead of in the assessment handlers.
        event_type = f"{event_type}:{sync_data_type}"
    external_id = str(payload.get("eventId") or "").strip()
    if not external_id and payload.get("recordId"):
        external_id = f"{event_type}:{payload.get('recordId')}:{payload.get('triggeredAt', '')}"
    if not external_id:
        # Knit's guides (reference §3) show record.new with only eventType and eventData: the
        # assessment's own id is then the stable key, so a redelivery is still a duplicate.
        try:
            assessment_id = mappers.event_from_payload(payload).assessment.id
        except ValueError:
            raise ValueError(
                "eventId is missing, and no recordId or assessment id stands in for it"
            ) from None
        external_id = f"{event_type}:{assessment_id}"
    return ParsedWebhook(event_type=event_type, external_id=external_id)


# --- handlers --------------------------------------------------------------------------------


def handle_record_new(ctx: WebhookContext) -> None:
    """Ashby sent assessment.start through Knit: create (or find again) the run and invite."""
    event = mappers.event_from_payload(ctx.payload)
    order = event.assessment
    integration = ctx.integration
    settings = integration.provider_settings or {}
    instrument = mappers.instrument_for(
        order, package_map=settings.get("package_map") or {}, default=settings.get("default_instrument") or ""
    )
    refs = ATSRefs(
        candidate_id=order.candidate_id,
        application_id=order.application,
        job_id=order.job,
        assessment_id=order.id,
        type_id=order.type_id,
        request_key=mappers.request_key(order.id),
        context=mappers.run_context(order, event_id=event.event_id),
    )
    candidate = CandidateInfo(
        email=order.candidate_email, first_name=order.first_name, last_name=order.last_name
    )
    try:
        run, created = assessment_run_create(
            workspace=integration.workspace,
            instrument=instrument,
            candidate=candidate,
            integration=integration,
            refs=refs,
        )
    except RunAlreadyActive:
        activity_log(
            integration=integration,
            kind="knit.assessment_conflict",
            level=ActivityLevel.WARNING,
            message=f"Ashby asked (through Knit) for assessment {order.id}, but this candidate already has "
            f"an active {instrument} run for the application; nothing new was sent.",
            data={"knit_assessment_id": order.id},
        )
        return
    except ApplicationError as exc:
        # Bad input (no email, unknown instrument) will not improve on retry: log it for the customer.
        activity_log(
            integration=integration,
            kind="knit.assessment_rejected",
            level=ActivityLevel.ERROR,
            message=f"Could not start Knit assessment {order.id}: {exc.message}",
            data={"knit_assessment_id": order.id, "package_id": order.type_id},
        )
        return
    name = " ".join(p for p in (order.first_name, order.last_name) if p) or "the candidate"
    activity_log(
        integration=integration,
        kind="knit.assessment_started" if created else "knit.assessment_repeated",
        message=(
            f"Ashby started {run.instrument} for {name} through Knit (assessment {order.id}); invitation sent."
            if created
            else f"Ashby repeated assessment {order.id}; the existing run {run.pk} was kept."
        ),
        data={"run": run.pk, "knit_assessment_id": order.id, "event_id": event.event_id},
    )


def handle_record_deleted(ctx: WebhookContext) -> None:
    """Ashby sent assessment.cancel through Knit: cancel the run and revoke the candidate link."""
    event = mappers.event_from_payload(ctx.payload)
    assessment_id = event.assessment.id
    run = knit_run_for_assessment(integration=ctx.integration, assessment_id=assessment_id)
    if run is None:
        activity_log(
            integration=ctx.integration,
            kind="knit.cancel_unknown",
            level=ActivityLevel.WARNING,
            message=f"Ashby cancelled Knit assessment {assessment_id}, which JobCannon has no run for; "
            "acknowledged, nothing to cancel.",
            data={"knit_assessment_id": assessment_id, "event_id": event.event_id},
        )
        return
    was_cancelled = run.status == RunStatus.CANCELLED
    try:
        # notify_ats=False: Ashby asked for this, writing "cancelled" back to it would echo.
        run = assessment_run_cancel(
            run=run, reason="Cancelled in Ashby (assessment.cancel through Knit).", notify_ats=False
        )
    except ApplicationError as exc:
        activity_log(
            integration=ctx.integration,
            kind="knit.cancel_refused",
            level=ActivityLevel.WARNING,
            message=f"Ashby cancelled assessment {assessment_id}, but run {run.pk} cannot be cancelled: {exc.message}",
            data={"run": run.pk, "knit_assessment_id": assessment_id},
        )
        return
    data = {"run": run.pk, "knit_assessment_id": assessment_id, "event_id": event.event_id}
    # assessment_run_cancel leaves a finished run (completed, delivered, expired) as it is, and a
    # cancelled one needs nothing more: say what actually happened instead of "cancelled".
    if run.status != RunStatus.CANCELLED:
        activity_log(
            integration=ctx.integration,
            kind="knit.cancel_after_finish",
            level=ActivityLevel.WARNING,
            message=f"Ashby cancelled assessment {assessment_id} through Knit, but run {run.pk} had already "
            f"finished ({run.status}); nothing changed.",
            data={**data, "status": run.status},
        )
        return
    if was_cancelled:
        activity_log(
            integration=ctx.integration,
            kind="knit.cancel_repeated",
            message=f"Ashby cancelled assessment {assessment_id} through Knit again; run {run.pk} was already "
            "cancelled, nothing changed.",
            data=data,
        )
        return
    activity_log(
        integration=ctx.integration,
        kind="knit.assessment_cancelled",
        message=f"Ashby cancelled assessment {assessment_id} through Knit; run {run.pk} cancelled and the "
        "candidate link revoked.",
        data=data,
    )


EVENT_HANDLERS = {
    constants.EVENT_RECORD_NEW: handle_record_new,
    constants.EVENT_RECORD_DELETED: handle_record_deleted,
}
# Knit's sync envelope also knows record.modified; for assessments the changes come from us.
IGNORED_EVENTS = frozenset({constants.EVENT_RECORD_MODIFIED})
