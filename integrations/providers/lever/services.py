"""Assessments on Lever pipeline stages (results go back through writeback.py).

Lever has no assessment-order API (LU: "ordering is driven by tags and stage changes"): a stage
rule says which instrument a candidate gets on entering a stage, either automatically on the
`candidateStageChange` webhook or when a recruiter presses "Send" (manual). The manual send is a
person's email to a candidate, so it takes the people budgets of the recruiter pages
(assessments.services.invitations); the webhook's auto-send is Lever's order and never refused."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assessments.services.invitations import candidate_invitation_send
from assessments.services.runs import (
    ATSRefs,
    CandidateInfo,
    RunAlreadyActive,
    assessment_run_create,
)
from integrations.models import ActivityLevel, Integration
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ValidationFailed

from . import constants, mappers
from .setup import lever_settings_update

if TYPE_CHECKING:
    from assessments.models import AssessmentRun
    from integrations.base import ATSProvider


def _client(provider: ATSProvider, integration: Integration) -> Any:
    # The provider comes from the caller (the webhook context, or the view provider.py built):
    # this module sits below provider.py and never looks it up.
    return provider.client(integration)


# -- stage rules ---------------------------------------------------------------------------


def lever_stage_rule_add(
    *,
    integration: Integration,
    stage_id: str,
    stage_name: str,
    instrument: str,
    mode: str = "auto",
    posting_id: str = "",
    posting_name: str = "",
    due_days: int = constants.DEFAULT_DUE_DAYS,
    required: bool = True,
) -> mappers.StageRule:
    if mode not in ("auto", "manual"):
        raise ValidationFailed("Choose auto-send on stage entry or manual trigger.")
    if not 1 <= due_days <= 90:
        raise ValidationFailed("The due date must be between 1 and 90 days.")
    rules = mappers.stage_rules(integration.provider_settings or {})
    if any(
        r.stage_id == stage_id and r.posting_id == posting_id and r.instrument == instrument for r in rules
    ):
        raise ValidationFailed("This stage already sends that assessment for this posting.")
    row = {
        "id": uuid.uuid4().hex[:12],
        "stage_id": stage_id,
        "stage_name": stage_name,
        "posting_id": posting_id,
        "posting_name": posting_name,
        "instrument": instrument,
        "mode": mode,
        "due_days": due_days,
        "required": required,
    }
    lever_settings_update(
        integration=integration,
        stage_rules=[*(integration.provider_settings or {}).get("stage_rules", []), row],
    )
    activity_log(
        integration=integration,
        kind="lever.stage_rule_added",
        message=f"Stage “{stage_name}”: {instrument} ({'auto-send' if mode == 'auto' else 'manual'}, "
        f"due in {due_days} days, {'required' if required else 'optional'}).",
    )
    return mappers.stage_rules({"stage_rules": [row]})[0]


def lever_stage_rule_delete(*, integration: Integration, rule_id: str) -> bool:
    rows = (integration.provider_settings or {}).get("stage_rules", [])
    kept = [r for r in rows if r.get("id") != rule_id]
    if len(kept) == len(rows):
        return False
    lever_settings_update(integration=integration, stage_rules=kept)
    activity_log(integration=integration, kind="lever.stage_rule_deleted", message="Stage rule removed.")
    return True


# -- starting runs -------------------------------------------------------------------------


def request_key(*, opportunity_id: str, stage_id: str, instrument: str) -> str:
    return f"lever:{opportunity_id}:{stage_id}:{instrument}"


def _start(
    integration: Integration,
    opportunity: mappers.LeverOpportunity,
    rule: mappers.StageRule,
    trigger: str,
    sender: Any = None,
) -> tuple[AssessmentRun | None, bool]:
    """Create the rule's run for the opportunity and invite the candidate. `sender`: the person who
    pressed "Send" (their send is budgeted and may raise RateLimited), None for a webhook's order."""
    who = opportunity.name or opportunity.id
    if not opportunity.email:
        raise ValidationFailed(
            f"{who} has no email address in Lever: add one to the opportunity, then send again."
        )
    refs = ATSRefs(
        candidate_id=opportunity.contact_id or opportunity.id,
        application_id=opportunity.application_id,
        job_id=opportunity.posting_id,
        type_id=rule.instrument,
        request_key=request_key(
            opportunity_id=opportunity.id, stage_id=rule.stage_id, instrument=rule.instrument
        ),
        context={
            "opportunity_id": opportunity.id,
            "stage_id": rule.stage_id,
            "stage_name": rule.stage_name,
            "rule_id": rule.id,
            "required": rule.required,
            "trigger": trigger,
            "lever_url": opportunity.show_url,
        },
    )

    def create(send_invitation: bool) -> tuple[AssessmentRun, bool]:
        return assessment_run_create(
            workspace=integration.workspace,
            instrument=rule.instrument,
            integration=integration,
            refs=refs,
            candidate=CandidateInfo(
                email=opportunity.email, first_name=opportunity.first_name, last_name=opportunity.last_name
            ),
            due_at=timezone.now() + dt.timedelta(days=rule.due_days),
            send_invitation=send_invitation,
        )

    try:
        if sender is None:
            run, created = create(True)
        else:
            run, created = candidate_invitation_send(
                workspace=integration.workspace,
                sender=sender,
                email=opportunity.email,
                create=lambda: create(False),
            )
    except RunAlreadyActive:
        activity_log(
            integration=integration,
            kind="lever.run_already_active",
            message=f"{who} already has an active {rule.instrument} assessment: nothing sent.",
        )
        return None, False
    activity_log(
        integration=integration,
        kind="lever.run_started" if created else "lever.run_exists",
        message=(
            f"Sent {rule.instrument} to {who} ({trigger}, stage “{rule.stage_name}”)."
            if created
            else f"{who} was already sent {rule.instrument} for stage “{rule.stage_name}”."
        ),
        data={"run": run.pk, "opportunity": opportunity.id},
    )
    return run, created


def _start_for_stage(
    integration: Integration, opportunity: mappers.LeverOpportunity, stage_id: str, trigger: str
) -> list[AssessmentRun]:
    rules = mappers.rules_for_stage(
        mappers.stage_rules(integration.provider_settings or {}),
        stage_id=stage_id,
        posting_id=opportunity.posting_id,
        mode="auto",
    )
    runs = []
    for rule in rules:
        try:
            run, _ = _start(integration, opportunity, rule, trigger)
        except ValidationFailed as exc:  # a recruiter must fix Lever data; retrying will not help
            activity_log(
                integration=integration,
                kind="lever.run_not_sent",
                level=ActivityLevel.ERROR,
                message=exc.message,
                data={"opportunity": opportunity.id},
            )
            continue
        if run is not None:
            runs.append(run)
    return runs


def lever_stage_entered(
    *, integration: Integration, provider: ATSProvider, opportunity_id: str, stage_id: str
) -> list[AssessmentRun]:
    """candidateStageChange: auto-send every rule of the new stage. The real signature does not
    cover `data`, so the opportunity is re-read and must really be in that stage."""
    rules = [
        r
        for r in mappers.stage_rules(integration.provider_settings or {})
        if r.stage_id == stage_id and r.mode == "auto"
    ]
    if not rules:
        return []
    opportunity = mappers.opportunity_from_api(_client(provider, integration).opportunity(opportunity_id))
    if opportunity.stage_id and opportunity.stage_id != stage_id:
        activity_log(
            integration=integration,
            kind="lever.stage_left",
            message=f"{opportunity.name or opportunity_id} already left stage “{rules[0].stage_name}”: nothing sent.",
        )
        return []
    if opportunity.archived:
        return []
    return _start_for_stage(integration, opportunity, stage_id, "auto-send on stage entry")


def lever_application_received(
    *, integration: Integration, provider: ATSProvider, opportunity_id: str, event_type: str
) -> list[AssessmentRun]:
    """applicationCreated / seed application.created, opportunity.created."""
    rules = [r for r in mappers.stage_rules(integration.provider_settings or {}) if r.mode == "auto"]
    if not rules:
        return []
    opportunity = mappers.opportunity_from_api(_client(provider, integration).opportunity(opportunity_id))
    if opportunity.archived or not opportunity.stage_id:
        return []
    return _start_for_stage(integration, opportunity, opportunity.stage_id, f"auto-send on {event_type}")


def lever_assessment_send(
    *, integration: Integration, provider: ATSProvider, opportunity_id: str, rule_id: str, sender: Any
) -> tuple[AssessmentRun | None, bool]:
    """The manual trigger: a recruiter (`sender`) sends a rule's assessment to one opportunity now.
    Raises RateLimited (no run, no email) when one of the sender's budgets is spent."""
    rule = next(
        (r for r in mappers.stage_rules(integration.provider_settings or {}) if r.id == rule_id), None
    )
    if rule is None:
        raise ValidationFailed("Choose one of the configured stage assessments.")
    opportunity_id = opportunity_id.strip()
    if not opportunity_id:
        raise ValidationFailed("Enter the Lever opportunity id.")
    opportunity = mappers.opportunity_from_api(_client(provider, integration).opportunity(opportunity_id))
    if opportunity.archived:
        raise ValidationFailed(
            f"{opportunity.name or opportunity_id} is archived in Lever: unarchive it first."
        )
    return _start(integration, opportunity, rule, "manual trigger", sender=sender)
