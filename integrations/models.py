"""What JobCannon knows about each customer's ATS connection.

Secrets (tokens, API keys, webhook secrets, partner keys) live only in encrypted columns.
Everything an ATS sends us is untrusted: WebhookEvent keeps it byte for byte so nothing
accepted is ever lost, whatever later verification or processing makes of it."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from jobcannon.core.crypto import EncryptedJSONField, EncryptedTextField
from jobcannon.core.models import TimeStampedModel


class Environment(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox"
    PRODUCTION = "production", "Production"


class IntegrationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONNECTED = "connected", "Connected"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorization"
    DISCONNECTED = "disconnected", "Disconnected"


class AuthKind(models.TextChoices):
    OAUTH2 = "oauth2", "OAuth 2.0"
    API_KEY = "api_key", "API key"


class Integration(TimeStampedModel):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="integrations"
    )
    provider = models.CharField(max_length=40, db_index=True)
    environment = models.CharField(max_length=12, choices=Environment.choices, default=Environment.SANDBOX)
    region = models.CharField(
        max_length=4, blank=True, default="", help_text="Data region where the ATS has one (us/eu)"
    )
    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Used in webhook URLs"
    )
    status = models.CharField(
        max_length=20, choices=IntegrationStatus.choices, default=IntegrationStatus.PENDING
    )
    status_reason = models.TextField(blank=True, default="")
    status_changed_at = models.DateTimeField(default=timezone.now)
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.API_KEY)
    # Secrets: API keys, OAuth client credentials, partner keys, provider-specific secret values.
    credentials = EncryptedJSONField(null=True, blank=True)
    # Webhook signing secrets, newest first; more than one only while rotating.
    webhook_secrets = EncryptedJSONField(null=True, blank=True)
    # Non-secret, provider-specific settings (base URL override, registered webhook ids, stage rules...).
    provider_settings = models.JSONField(default=dict, blank=True)
    credentials_checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "environment"], name="uniq_integration_per_env"
            )
        ]
        ordering = ["provider", "environment"]

    def __str__(self) -> str:
        return f"{self.provider} ({self.environment}) for {self.workspace_id}"

    def credential(self, name: str, default: Any = None) -> Any:
        return (self.credentials or {}).get(name, default)

    def secrets_for_verification(self) -> list[str]:
        return [s["secret"] for s in (self.webhook_secrets or []) if s.get("secret")]


class Token(TimeStampedModel):
    """OAuth 2.0 tokens for one integration, encrypted at rest."""

    integration = models.OneToOneField(Integration, on_delete=models.CASCADE, related_name="token")
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_type = models.CharField(max_length=20, default="Bearer")
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_issued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current refresh token was granted"
    )
    scopes_requested = models.JSONField(default=list, blank=True)
    scopes_granted = models.JSONField(default=list, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)
    # When the access token was last granted (authorization or refresh). With access_expires_at
    # NULL (the ATS sent no expires_in) the refresh schedule assumes the provider's default
    # lifetime from this moment, and the health page flags the token.
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # The lifetime the ATS granted (expires_in, seconds): short-lived tokens are refreshed in
    # their last third rather than REFRESH_MARGIN ahead, which could be their whole life.
    access_lifetime = models.PositiveIntegerField(null=True, blank=True)
    # Failed refresh attempts since the last success (network / 5xx at the token endpoint):
    # predictive health warns on these before the access token actually runs out.
    refresh_failures = models.PositiveIntegerField(default=0)
    last_refresh_error = models.CharField(max_length=500, blank=True, default="")
    last_refresh_attempt_at = models.DateTimeField(null=True, blank=True)

    def missing_scopes(self) -> list[str]:
        return [s for s in self.scopes_requested if s not in set(self.scopes_granted)]


class OAuthState(TimeStampedModel):
    """A pending authorization: the state value is also bound to the browser session."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="oauth_states")
    state = models.CharField(max_length=100, unique=True)
    code_verifier = EncryptedTextField(blank=True, default="")
    redirect_uri = models.CharField(max_length=500)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(null=True, blank=True)
    # The reconnect link this authorization was started through: the callback claims it before
    # saving tokens, whatever else the browser started meanwhile. Deleting the link (retention)
    # deletes the pending authorization, so it cannot fall back to an ordinary one.
    reconnect_link = models.ForeignKey(
        "ReconnectLink", null=True, blank=True, on_delete=models.CASCADE, related_name="oauth_states"
    )


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    VERIFIED = "verified", "Verified, queued"
    REJECTED = "rejected", "Rejected"
    DUPLICATE = "duplicate", "Duplicate"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Failed (gave up)"
    IGNORED = "ignored", "Ignored"
    UNSUPPORTED = "unsupported", "Unsupported event"


# A signed delivery from the ATS: verified, with an event id. Every provider's parse gives an
# event one (the body's digest at least); a verified row without one is an activation handshake
# (SmartRecruiters' X-Hook-Secret call, accepted because JobCannon asked for it), unsigned. The
# checklist, the health page and provider checks count only these.
SIGNED_DELIVERY = models.Q(verified=True) & ~models.Q(external_id="")


class WebhookEvent(models.Model):
    """One delivery from an ATS, stored before anything else. The body is kept as raw bytes
    because signatures are computed over exactly those bytes; headers are stored with
    credential-bearing ones redacted."""

    provider = models.CharField(max_length=40)
    integration = models.ForeignKey(
        Integration,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_events",
        db_index=False,  # (integration, -received_at) and the dedupe constraint lead with it
    )
    received_at = models.DateTimeField(default=timezone.now)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField()
    external_id = models.CharField(max_length=255, blank=True, default="")
    # Set only on the first accepted delivery of an event: the unique constraint is the dedupe.
    dedupe_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 - NULL = "not a dedupe candidate"
    event_type = models.CharField(max_length=120, blank=True, default="")
    signature_scheme = models.CharField(max_length=60, blank=True, default="")
    verified = models.BooleanField(default=False)
    rejection_reason = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        db_index=False,  # a partial index below: only duplicates carry it
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    traceback = models.TextField(blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    # The processing lease: a worker claims the row (status processing + a fresh token) in its own
    # commit before running the handler, so a worker killed mid-handler leaves a visible trace.
    # The sweep returns such rows after WORKER_LEASE_SECONDS and counts the crash; a row that
    # keeps killing workers (a poison event) is dead-lettered instead of retried forever.
    claim_token = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    crash_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "dedupe_key"], name="uniq_webhook_event_per_integration"
            )
        ]
        # Every index is paid for on every delivery (the intake's one INSERT), so each one here
        # serves a named query and none repeats another's leading columns:
        indexes = [
            # customer logs, chart, health, checklist, dedupe lookups by integration
            models.Index(fields=["integration", "-received_at"]),
            # staff logs and chart per provider
            models.Index(fields=["provider", "-received_at"], name="webhook_provider_received"),
            # the sweep (verified / failed / processing rows), backlog metrics, problem counts
            models.Index(fields=["status", "received_at"]),
            # search by the ATS's event id, the timeline's joins
            models.Index(fields=["external_id"], name="webhook_external_id"),
            # SET NULL on delete of the original: only duplicates are indexed
            models.Index(
                fields=["duplicate_of"],
                name="webhook_duplicate_of",
                condition=models.Q(duplicate_of__isnull=False),
            ),
        ]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type or '?'} {self.status}"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")


class OutboundCall(models.Model):
    """One HTTP call to an ATS. Never holds a secret: path without query string, no headers."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="outbound_calls")
    provider = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    operation = models.CharField(max_length=120, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error_class = models.CharField(max_length=60, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    vendor_request_id = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["integration", "-created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code or self.error_class}"


class ActivityLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class IntegrationActivity(models.Model):
    """Human-readable log lines a customer sees for their integration: status changes,
    refreshed tokens, rejected partner calls, registered webhooks. Constant `kind`, data in `data`."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="activity")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    level = models.CharField(max_length=10, choices=ActivityLevel.choices, default=ActivityLevel.INFO)
    kind = models.CharField(max_length=60)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["integration", "-created_at"])]

    def __str__(self) -> str:
        return f"[{self.level}] {self.kind}: {self.message[:60]}"


class WritebackStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    DELIVERED = "delivered", "Delivered"
    CONFIRMED = "confirmed", "Delivered and confirmed"
    RETRYING = "retrying", "Retrying"
    HALTED = "halted", "Halted (outcome unknown)"
    NEEDS_REAUTH = "needs_reauth", "Waiting for re-authorization"
    DEAD = "dead", "Dead letter"
    CANCELLED = "cancelled", "Cancelled"


class WritebackMessage(TimeStampedModel):
    """The write-back outbox: one row per write to an ATS, created in the same transaction as
    the run change that causes it; a worker delivers it. The idempotency key makes the second
    enqueue of the same write a no-op."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="writebacks")
    run = models.ForeignKey("assessments.AssessmentRun", on_delete=models.CASCADE, related_name="writebacks")
    kind = models.CharField(max_length=60, help_text="Provider-defined, e.g. assessment.update:completed")
    event = models.CharField(max_length=30)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=14, choices=WritebackStatus.choices, default=WritebackStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_class = models.CharField(max_length=60, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    external_ref = models.CharField(max_length=255, blank=True, default="")
    # The delivery lease. A claim is one conditional UPDATE (status pending/retrying → delivering
    # with a fresh token), so two workers never both send; the outcome is recorded only by the
    # holder of the token. A DELIVERING row whose lease ran out belongs to a worker that died
    # mid-call: the outcome is unknown, and the reconciler resolves it like a timeout.
    claim_token = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The 72-hour retry horizon runs from here (creation, or the last replay).
    retry_window_started_at = models.DateTimeField(default=timezone.now)
    # "Halted" is counted: how often the outcome of a send was unknown (timeout after sending,
    # worker killed mid-delivery). Each one was resolved by a read-back or by a human.
    halted_count = models.PositiveIntegerField(default=0)
    # Last read-back from the ATS (read-after-write / reconciler).
    checked_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["integration", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for run {self.run_id} ({self.status})"


class WritebackDeadLetter(WritebackMessage):
    """The dead-letter view of the outbox (dead and halted rows) for staff, with replay."""

    class Meta:
        proxy = True
        verbose_name = "write-back dead letter"
        verbose_name_plural = "write-back dead letters"


class TaskReceipt(models.Model):
    """Idempotent task keys: a task that must cause a side effect once (an e-mail, a charge)
    records its key in the same transaction as the effect, or before a non-transactional one. A
    re-delivered task finds the key and does nothing."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key


class ReconnectLink(models.Model):
    """A shareable re-authorization link (integrations/services/reconnect.py). The URL carries a
    signed token (integration id + nonce); this row, found by the nonce's SHA-256 (the nonce
    itself is never stored), is what makes the link single-use and revocable."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="reconnect_links")
    nonce_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        state = "used" if self.used_at else "revoked" if self.revoked_at else "open"
        return f"Reconnect link for {self.integration} ({state})"
