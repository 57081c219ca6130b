"""Assessments candidates take: the instrument a workspace offers, runs, answers and results.

Instrument content (items, keying, scoring rules) lives in versioned data files under
`assessments/catalog/`; rows here only reference `instrument` + `version`."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
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

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="assessments"
    )
    instrument = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "instrument", "version"], name="uniq_assessment_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.instrument} {self.version})"


class AssessmentRun(TimeStampedModel):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="assessment_runs"
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="runs")
    instrument = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    candidate_first_name = models.CharField(max_length=120, blank=True, default="")
    candidate_last_name = models.CharField(max_length=120, blank=True, default="")
    candidate_email = models.EmailField()
    # ATS references. What ordered the run is the project's ASSESSMENTS_RUN_SOURCE_MODEL (an ATS
    # connection: jobcannon/settings/base.py), as a user is AUTH_USER_MODEL: this app names no app
    # above it, in code or in migrations. Empty for a run a recruiter sent by hand.
    integration = models.ForeignKey(
        settings.ASSESSMENTS_RUN_SOURCE_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    provider = models.CharField(max_length=40, blank=True, default="")
    external_candidate_id = models.CharField(max_length=255, blank=True, default="")
    external_application_id = models.CharField(max_length=255, blank=True, default="")
    external_job_id = models.CharField(max_length=255, blank=True, default="")
    external_assessment_id = models.CharField(
        max_length=255, blank=True, default="", help_text="The ATS's id for this order"
    )
    external_type_id = models.CharField(max_length=255, blank=True, default="")
    # Idempotency of ATS start requests (e.g. Ashby retries assessment.start): unique per integration.
    # NULL (not "") so runs without a key never collide on the unique constraint.
    external_request_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    ats_context = models.JSONField(
        default=dict, blank=True, help_text="Non-secret ATS data (job name, profile URLs...)"
    )
    status = models.CharField(
        max_length=12, choices=RunStatus.choices, default=RunStatus.CREATED, db_index=True
    )
    token = models.CharField(max_length=64, unique=True, default=_candidate_token)
    due_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    # The person who sent the latest invitation from the recruiter pages (None for runs an ATS
    # ordered): their own budget counts these (assessments/services/invitations.py).
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=500, blank=True, default="")
    expired_at = models.DateTimeField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    email_template = models.CharField(
        max_length=10, blank=True, default="", help_text="Empty: the workspace default"
    )
    invitation_error = models.CharField(max_length=500, blank=True, default="")

    ACTIVE_STATUSES = (RunStatus.CREATED, RunStatus.INVITED, RunStatus.STARTED)
    FINISHED_STATUSES = (RunStatus.COMPLETED, RunStatus.SCORED, RunStatus.DELIVERED)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "external_request_key"], name="uniq_run_external_request"
            )
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.candidate_email} ({self.status})"

    @property
    def candidate_name(self) -> str:
        return " ".join(p for p in (self.candidate_first_name, self.candidate_last_name) if p)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES


class Answer(models.Model):
    """One candidate answer, saved as it is given (upserted: the last value wins until submit)."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="answers")
    item_id = models.CharField(max_length=40)
    value = models.PositiveSmallIntegerField()
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "item_id"], name="uniq_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.item_id}={self.value}"


class Result(TimeStampedModel):
    """The scored result of a run, computed once at submit with the run's instrument version."""

    run = models.OneToOneField(AssessmentRun, on_delete=models.CASCADE, related_name="result")
    instrument_version = models.CharField(max_length=20)
    overall_score = models.PositiveSmallIntegerField()
    primary_dimension = models.CharField(max_length=10, blank=True, default="")
    # [{"key","label","raw","raw_min","raw_max","score","answered","items"}...] in catalog order
    dimensions = models.JSONField(default=list)
    summary = models.TextField(blank=True, default="")
    answered_count = models.PositiveSmallIntegerField(default=0)
    item_count = models.PositiveSmallIntegerField(default=0)
    duration_seconds = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Result for run {self.run_id}: {self.overall_score}"


class EmailTemplate(models.TextChoices):
    DEFAULT = "default", "JobCannon default"
    BRANDED = "branded", "Branded with the workspace name and colour"


class AssessmentConfig(TimeStampedModel):
    """Per-workspace assessment settings. A workspace without a row uses the defaults."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="assessment_config"
    )
    # Instrument keys offered to recruiters and ATSs; empty means none.
    offered_instruments = models.JSONField(default=list)
    email_template = models.CharField(
        max_length=10, choices=EmailTemplate.choices, default=EmailTemplate.DEFAULT
    )
    brand_name = models.CharField(
        max_length=120, blank=True, default="", help_text="Defaults to the workspace name"
    )
    brand_color = models.CharField(
        max_length=7,
        default="#1f4e8c",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f4e8c.")],
    )
    default_due_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(30)], help_text="0 turns reminders off"
    )

    def __str__(self) -> str:
        return f"Assessment settings for {self.workspace}"
