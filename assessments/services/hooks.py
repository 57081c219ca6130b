"""Callbacks from the integrations side into assessments."""

from django.utils import timezone

from assessments.models import AssessmentRun, RunStatus


def run_writeback_delivered(*, run: AssessmentRun, event: str) -> None:
    """The ATS acknowledged the result: the run is delivered."""
    if event == "completed" and run.status in (RunStatus.COMPLETED, RunStatus.SCORED):
        AssessmentRun.objects.filter(pk=run.pk, status__in=[RunStatus.COMPLETED, RunStatus.SCORED]).update(
            status=RunStatus.DELIVERED, delivered_at=timezone.now()
        )
