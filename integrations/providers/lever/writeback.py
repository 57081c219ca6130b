"""Results written back to Lever (seed 004 Step 5: "a new feedback form should appear").

A completed run becomes a feedback form on the opportunity (LD: POST
/opportunities/:id/feedback?perform_as=<user>, `baseTemplateId` of our template, `fieldValues`),
then read back to confirm. A note is written instead when no Lever user can be found to write
as, or when Lever keeps refusing the form; in "feedback+note" mode both are written. Expired or
cancelled runs leave a note. 404 → dead letter with the seed's explanation (client.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assessments.scales import Scales, instrument_scales
from assessments.services.runs import run_result
from integrations.base import ATSError, ATSValidationError, DeliveryResult
from integrations.models import ActivityLevel, Integration
from integrations.services.activity import activity_log

from . import mappers
from .setup import lever_feedback_template_ensure, lever_perform_as_resolve

if TYPE_CHECKING:
    from assessments.models import AssessmentRun
    from integrations.models import WritebackMessage


def opportunity_id_for(run: AssessmentRun) -> str:
    return str((run.ats_context or {}).get("opportunity_id") or run.external_candidate_id)


def lever_writeback_deliver(
    *, integration: Integration, client: Any, message: WritebackMessage
) -> DeliveryResult:
    """`client`: the LeverClient provider.py hands in (this module sits below provider.py)."""
    run = message.run
    opportunity_id = opportunity_id_for(run)
    if message.event != "completed":
        body = {
            "value": f"JobCannon {run.instrument} assessment {message.event} without a result.",
            "secret": False,
            "notifyFollowers": False,
        }
        data = client.note_create(opportunity_id, body=body, perform_as="", attempt=message.attempts)
        return DeliveryResult(external_ref=str(data.get("noteId", "")))
    result = run_result(run=run)
    # Sub-scores on the ranges of the instrument version the run was scored with (assessments.scales).
    scales = instrument_scales(run.instrument, run.instrument_version)
    if message.kind == "note":
        data = client.note_create(
            opportunity_id, body=mappers.note_body(result, scales), perform_as="", attempt=message.attempts
        )
        return DeliveryResult(external_ref=str(data.get("noteId", "")))
    template = lever_feedback_template_ensure(integration=integration, client=client)
    if message.attempts > 1:  # an earlier attempt may have written it before failing
        done = next(
            (
                f
                for f in client.feedback_list(opportunity_id)
                if mappers.feedback_is_ours(f, template, run.pk)
            ),
            None,
        )
        if done:
            return DeliveryResult(
                external_ref=str(done.get("id", "")), confirmed=True, note="already in Lever"
            )
    perform_as = lever_perform_as_resolve(integration=integration, client=client)
    if not perform_as:
        return _note_instead(
            client, opportunity_id, result, scales, message, "no active Lever user to write feedback as"
        )
    try:
        data = client.feedback_create(
            opportunity_id,
            perform_as=perform_as,
            attempt=message.attempts,
            body=mappers.feedback_body(result, template, scales),
        )
    except ATSValidationError:
        # Someone edited or deleted our template in Lever: find or recreate it, try once more.
        template = lever_feedback_template_ensure(integration=integration, client=client, refresh=True)
        try:
            data = client.feedback_create(
                opportunity_id,
                perform_as=perform_as,
                attempt=message.attempts,
                body=mappers.feedback_body(result, template, scales),
            )
        except ATSValidationError as exc:
            return _note_instead(
                client,
                opportunity_id,
                result,
                scales,
                message,
                f"Lever refused the feedback form: {exc.message}",
            )
    feedback_id = str(data.get("id", ""))
    return DeliveryResult(
        external_ref=feedback_id, confirmed=_confirmed(client, opportunity_id, feedback_id, template, run.pk)
    )


def _confirmed(
    client: Any, opportunity_id: str, feedback_id: str, template: mappers.TemplateRef, run_id: int
) -> bool:
    """Read-after-write; a failed read does not undo a successful write."""
    if not feedback_id:
        return False
    try:
        return mappers.feedback_is_ours(client.feedback_get(opportunity_id, feedback_id), template, run_id)
    except ATSError:
        return False


def _note_instead(
    client: Any, opportunity_id: str, result: Any, scales: Scales, message: WritebackMessage, why: str
) -> DeliveryResult:
    data = client.note_create(
        opportunity_id, body=mappers.note_body(result, scales), perform_as="", attempt=message.attempts
    )
    activity_log(
        integration=message.integration,
        kind="lever.note_fallback",
        level=ActivityLevel.WARNING,
        message=f"Wrote the result as a note instead of a feedback form: {why}.",
    )
    return DeliveryResult(external_ref=f"note:{data.get('noteId', '')}", note=why)


def lever_writeback_confirm(
    *, integration: Integration, client: Any, message: WritebackMessage
) -> bool | None:
    """Read-after-write for the reconciler: is our feedback form (found by its JobCannon reference
    field) on the opportunity? Notes cannot be matched reliably: None."""
    if message.kind != "feedback" or message.event != "completed":
        return None
    cached = (integration.provider_settings or {}).get("feedback_template") or {}
    if not cached.get("id"):
        return False  # no template yet, so no feedback form was ever written with it
    template = mappers.TemplateRef(id=cached["id"], field_ids=tuple(cached["fields"].items()))
    feedback = client.feedback_list(opportunity_id_for(message.run))
    return any(mappers.feedback_is_ours(f, template, message.run_id) for f in feedback)
