"""The audit log (who did what, security-wise) and what retention keeps of purged data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One security-relevant action: a connection, a re-authorization, a secret rotation, a
    reprocess, a deletion, a privacy request, a key rotation, an MFA change. Append-only (they
    outlive the data they describe, so they hold labels, never candidate answers or secrets),
    with two exceptions for noise: rejected partner calls are one row per calling address and
    window whose count grows, and those rows are deleted with the retention window
    (retention_logs.AGED_AUDIT_ACTIONS)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null for events that concern no workspace (a staff key rotation, an MFA change).
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, as it read at the time: an email, "system" (a scheduled task), "ATS" (a partner call).
    actor_label = models.CharField(max_length=254, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=200, blank=True, default="")
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} by {self.actor_label or 'system'}"


class PurgeReason(models.TextChoices):
    RETENTION = "retention", "Retention window passed"
    PRIVACY = "privacy", "Privacy request (candidate deleted)"


class WebhookBodyDigest(models.Model):
    """What stays of a webhook delivery once its raw body and headers are purged: the SHA-256 and
    size of the body, so the logs still show that (and what) was received and a vendor's copy
    can be matched later, without keeping any candidate data."""

    event = models.OneToOneField(
        "integrations.WebhookEvent", primary_key=True, on_delete=models.CASCADE, related_name="body_digest"
    )
    body_sha256 = models.CharField(max_length=64)
    body_bytes = models.PositiveIntegerField()
    header_count = models.PositiveSmallIntegerField(default=0)
    purged_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=10, choices=PurgeReason.choices, default=PurgeReason.RETENTION)

    def __str__(self) -> str:
        return f"{self.body_sha256[:12]}… ({self.body_bytes} bytes)"


class RetentionSweep(models.Model):
    """One run of the retention purge, with its counts: the proof that the policy runs."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    webhook_bodies = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    # Rejected-partner-call rows past the window: audit events and integration log lines.
    audit_events = models.PositiveIntegerField(default=0)
    activity_lines = models.PositiveIntegerField(default=0)
    # Reconnect links used, revoked or expired before the window (integrations.ReconnectLink).
    reconnect_links = models.PositiveIntegerField(default=0)
    # Workspace invitations accepted, revoked, replaced or expired before the window.
    invitations = models.PositiveIntegerField(default=0)
    complete = models.BooleanField(
        default=False, help_text="False: the time budget ran out; the next run goes on"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Retention sweep {self.started_at:%Y-%m-%d %H:%M}"
