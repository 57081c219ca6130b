"""The checklist's "test now" actions: a live credentials check, a signed test webhook and a
test assessment from the sandbox simulator, completing a sandbox run with sample answers, and
replaying a failed write-back. Each returns a sentence for the admin instead of raising."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from integrations.base import ATSError
from integrations.models import Environment, Integration, WritebackMessage, WritebackStatus
from integrations.registry import provider_for
from integrations.services.checklist import can_send_test_assessment, can_send_test_webhook
from jobcannon.core.exceptions import ApplicationError, ValidationFailed

logger = logging.getLogger(__name__)


class ChecklistActionResult(tuple[bool, str]):
    """(ok, sentence for the admin), unpacked as the pair it used to be, and `judged`: False when
    the ATS could not judge a credentials check (429, 5xx, not reached), which pages show as a
    warning rather than an error (CredentialsOutcome.judged)."""

    judged: bool

    def __new__(cls, ok: bool, message: str, *, judged: bool = True) -> ChecklistActionResult:
        result = super().__new__(cls, (ok, message))
        result.judged = judged
        return result

    @property
    def ok(self) -> bool:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]

    @property
    def level(self) -> str:
        """The flash's level: "ok", "warning" (not judged) or "error"."""
        return "ok" if self.ok else ("error" if self.judged else "warning")


def checklist_action_run(*, integration: Integration, action: str) -> ChecklistActionResult:
    """Run one checklist action; returns (ok, sentence for the admin) with `judged`. Never
    raises for ATS trouble: the failure is the sentence, and the checklist shows the recorded
    reason."""
    result = _run(integration=integration, action=action)
    return result if isinstance(result, ChecklistActionResult) else ChecklistActionResult(*result)


def _run(*, integration: Integration, action: str) -> tuple[bool, str] | ChecklistActionResult:
    from integrations.services.integrations import connected_sentence, integration_credentials_check

    provider = provider_for(integration)
    try:
        if action == "test":
            outcome = integration_credentials_check(integration=integration)
            if not outcome.ok:
                return ChecklistActionResult(
                    False, outcome.message or "The check failed.", judged=outcome.judged
                )
            # What the key still lacks (the provider's connected_reason, e.g. an Ashby permission).
            return True, connected_sentence("Credentials valid.", integration)
        if action == "webhook":
            if not can_send_test_webhook(integration):
                return (
                    False,
                    f"{provider.name} cannot send a test webhook on demand: trigger an event in {provider.name}.",
                )
            return True, provider.send_test_webhook(integration)
        if action == "assessment":
            if not can_send_test_assessment(integration):
                return False, f"Order a test assessment for a test candidate in {provider.name}."
            return True, provider.send_test_assessment(integration)
        if action == "complete":
            run = (
                integration.runs.filter(status__in=["created", "invited", "started"])
                .order_by("-created_at")
                .first()
            )
            if run is None:
                return False, "There is no open test assessment to complete."
            sandbox_run_complete(run=run)
            return True, f"Test assessment for {run.candidate_email} completed with sample answers."
        if action == "replay":
            from integrations.services.writeback import writeback_replay

            message = (
                WritebackMessage.objects.filter(
                    integration=integration, status__in=[WritebackStatus.DEAD, WritebackStatus.HALTED]
                )
                .order_by("-created_at")
                .first()
            )
            if message is None:
                return False, "No failed write-back to replay."
            message = writeback_replay(message=message)
            return (
                True,
                f"Write-back {message.kind} for run {message.run_id}: {message.get_status_display().lower()}.",
            )
    except ATSError as exc:
        return False, exc.message
    except ApplicationError as exc:
        return False, exc.message
    except Exception as exc:  # noqa: BLE001 - a simulator/network failure is shown, never a 500
        logger.warning("checklist.action_failed", extra={"action": action, "error_class": type(exc).__name__})
        return False, f"The test could not run: {type(exc).__name__}."
    return False, f"Unknown check action {action!r}."


def sandbox_run_complete(*, run: Any) -> Any:
    """Sandbox only: answer every item with a neutral value and submit, through the assessments
    services (as a candidate would), so the checklist can reach the write-back without a person."""
    from assessments.catalog import instrument_get
    from assessments.services.candidate import answers_save, assessment_run_start, assessment_run_submit

    if run.integration is None or run.integration.environment != Environment.SANDBOX:
        raise ValidationFailed("Only sandbox test assessments can be completed with sample answers.")
    instrument = instrument_get(run.instrument, run.instrument_version)
    middle = (instrument.scale.min + instrument.scale.max) // 2
    run = assessment_run_start(run=run)
    invalid = answers_save(run=run, values={item.id: middle for item in instrument.items})
    if invalid:
        raise ValidationFailed(f"{len(invalid)} sample answer(s) were refused.")
    with transaction.atomic():
        return assessment_run_submit(run=run)
