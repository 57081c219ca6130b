"""The synced copy of each integration's ATS data, and the runs that keep it current.

Records are keyed by (integration, the ATS's record id) and upserted, never matched by their
position in a page. Each keeps when it was last seen and by which run (or webhook), and is
soft-deleted (deleted_at + reason) when the ATS deletes or merges it, so a late page or webhook
cannot resurrect it silently. Candidate data here is personal data: it follows the workspace's
retention window (retention.py) and privacy erasure (synced_candidate_erase)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.models import Integration


class SeenVia(models.TextChoices):
    SYNC = "sync", "Sync run"
    WEBHOOK = "webhook", "Webhook"


class DeletionReason(models.TextChoices):
    DELETED = "deleted_in_ats", "Deleted in the ATS"
    MERGED = "merged", "Merged into another record"
    MISSING = "missing_from_full_sync", "Absent from a full sync"
    NOT_FOUND = "not_found", "The ATS no longer has it"
    ERASED = "privacy_erasure", "Erased on a privacy request"


class SyncedRecord(models.Model):
    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255, help_text="The ATS's record id")
    remote_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="updatedAt as the ATS reports it"
    )
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_run = models.ForeignKey(
        "sync.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_seen_via = models.CharField(max_length=10, choices=SeenVia.choices, default=SeenVia.SYNC)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deletion_reason = models.CharField(max_length=30, choices=DeletionReason.choices, blank=True, default="")

    objects = models.Manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "external_id"], name="uniq_%(app_label)s_%(class)s_ext"
            )
        ]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Job(SyncedRecord):
    title = models.CharField(max_length=300, blank=True, default="")
    status = models.CharField(max_length=40, blank=True, default="")
    department = models.CharField(max_length=200, blank=True, default="")
    location = models.CharField(max_length=200, blank=True, default="")
    requisition_id = models.CharField(max_length=120, blank=True, default="")
    plan_external_id = models.CharField(max_length=255, blank=True, default="")
    url = models.URLField(max_length=500, blank=True, default="")

    class Meta(SyncedRecord.Meta):
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title or self.external_id


class InterviewStage(SyncedRecord):
    title = models.CharField(max_length=200, blank=True, default="")
    plan_external_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    order = models.IntegerField(default=0)
    kind = models.CharField(max_length=60, blank=True, default="")

    class Meta(SyncedRecord.Meta):
        ordering = ["plan_external_id", "order", "id"]

    def __str__(self) -> str:
        return self.title or self.external_id


class Candidate(SyncedRecord):
    """Personal data from the ATS: name and contact details only, nothing else is copied."""

    name = models.CharField(max_length=300, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="", db_index=True)
    phone = models.CharField(max_length=60, blank=True, default="")
    profile_url = models.URLField(max_length=500, blank=True, default="")
    merged_into_external_id = models.CharField(max_length=255, blank=True, default="")

    class Meta(SyncedRecord.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or self.external_id


class Application(SyncedRecord):
    """A candidate in a job's pipeline. The ATS ids are kept even before (or without) the job,
    stage or candidate row they point at; the foreign keys are filled in when those arrive."""

    candidate = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    stage = models.ForeignKey(
        InterviewStage, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    candidate_external_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    job_external_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    stage_external_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    stage_title = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=40, blank=True, default="")
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta(SyncedRecord.Meta):
        ordering = ["-applied_at", "-id"]

    def __str__(self) -> str:
        return self.external_id


class SyncMode(models.TextChoices):
    FULL = "full", "Full"
    INCREMENTAL = "incremental", "Incremental"


class SyncStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Continuing in the next task"
    FAILED = "failed", "Failed (resumes on the next run)"
    INTERRUPTED = "interrupted", "Interrupted (resumes on the next run)"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Completed with warnings"
    ABANDONED = "abandoned", "Abandoned (a new run started over)"


UNFINISHED = (SyncStatus.PAUSED, SyncStatus.FAILED, SyncStatus.INTERRUPTED)
FINISHED = (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)


RESOURCE_LABELS = {
    "jobs": "Jobs",
    "stages": "Interview stages",
    "candidates": "Candidates",
    "applications": "Applications",
}


def resource_label(resource: str) -> str:
    return RESOURCE_LABELS.get(resource, resource.capitalize())


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    STAFF = "staff", "Staff (full resync)"
    MANUAL = "manual", "Manual"


class SyncRun(models.Model):
    """One logical sync of one resource. A failed or interrupted run is continued (same row) from
    the cursor of the first page it has not stored, so nothing is lost; records are upserted, so a
    page fetched twice duplicates nothing. Only one run per (integration, resource) is running at
    a time: the partial unique constraint below is the lock."""

    integration = models.ForeignKey(
        "integrations.Integration", on_delete=models.CASCADE, related_name="sync_runs"
    )
    resource = models.CharField(max_length=40)
    mode = models.CharField(max_length=12, choices=SyncMode.choices)
    trigger = models.CharField(max_length=10, choices=SyncTrigger.choices, default=SyncTrigger.SCHEDULE)
    status = models.CharField(max_length=12, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    full_reason = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    # When the pages of the current pass began (a full restart after an expired token resets it):
    # records a finished full pass did not see since then are absent from the ATS.
    pass_started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=1)
    pages = models.PositiveIntegerField(default=0)
    records_upserted = models.PositiveIntegerField(default=0)
    records_deleted = models.PositiveIntegerField(default=0)
    # Where to continue: the cursor of the next page to fetch ("" = the first page).
    cursor = models.TextField(blank=True, default="")
    sync_token_in = models.TextField(blank=True, default="", help_text="The checkpoint this run started from")
    checkpoint_out = models.TextField(blank=True, default="", help_text="The checkpoint this run produced")
    # [{"page", "message", "request_id"}]: the ATS's partial-success notes, never silently dropped.
    warnings = models.JSONField(default=list, blank=True)
    # [{"at", "page", "error_class", "message", "status_code", "vendor_code", "request_id"}]
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "resource"],
                condition=Q(status="running"),
                name="uniq_sync_run_running_per_resource",
            )
        ]
        indexes = [
            models.Index(fields=["integration", "resource", "-started_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.resource} {self.mode} sync #{self.pk} ({self.status})"

    @property
    def last_error(self) -> dict | None:
        return self.errors[-1] if self.errors else None

    @property
    def is_unfinished(self) -> bool:
        return self.status in UNFINISHED


class SyncCheckpoint(models.Model):
    """Where the next incremental run starts: stored only after a whole run succeeded."""

    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=40)
    sync_token = models.TextField()
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "resource"], name="uniq_sync_checkpoint_per_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} checkpoint for integration {self.integration_id}"


class SyncedIntegration(Integration):
    """Integrations as the staff admin's data-sync page lists them (full resync action)."""

    class Meta:
        proxy = True
        verbose_name = "integration (data sync)"
        verbose_name_plural = "integrations (data sync)"
