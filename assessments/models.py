"""Assessments candidates take. (Initial shape from the foundation; the assessments issue owns it.)"""

import secrets

from django.db import models

from jobcannon.core.models import TimeStampedModel


class RunStatus(models.TextChoices):
    CREATED = "created", "Created"
    INVITED = "invited", "Invited"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    SCORED = "scored", "Scored"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


def _candidate_token() -> str:
    return secrets.token_urlsafe(32)


class Assessment(TimeStampedModel):
    """An instrument at a version offered by a workspace (Big Five v1, DISC v1, EQ v1...)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="assessments")
    instrument = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "instrument", "version"], name="uniq_assessment_version")]

    def __str__(self) -> str:
        return f"{self.name} ({self.instrument} {self.version})"


class AssessmentRun(TimeStampedModel):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="assessment_runs")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="runs")
    instrument = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    candidate_first_name = models.CharField(max_length=120, blank=True, default="")
    candidate_last_name = models.CharField(max_length=120, blank=True, default="")
    candidate_email = models.EmailField()
    # ATS references
    integration = models.ForeignKey("integrations.Integration", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    provider = models.CharField(max_length=40, blank=True, default="")
    external_candidate_id = models.CharField(max_length=255, blank=True, default="")
    external_application_id = models.CharField(max_length=255, blank=True, default="")
    external_job_id = models.CharField(max_length=255, blank=True, default="")
    external_assessment_id = models.CharField(max_length=255, blank=True, default="", help_text="The ATS's id for this order")
    external_type_id = models.CharField(max_length=255, blank=True, default="")
    # Idempotency of ATS start requests (e.g. Ashby retries assessment.start): unique per integration.
    external_request_key = models.CharField(max_length=255, null=True, blank=True)
    ats_context = models.JSONField(default=dict, blank=True, help_text="Non-secret ATS data (job name, profile URLs...)")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.CREATED, db_index=True)
    token = models.CharField(max_length=64, unique=True, default=_candidate_token)
    due_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=500, blank=True, default="")
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "external_request_key"], name="uniq_run_external_request")
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.candidate_email} ({self.status})"
