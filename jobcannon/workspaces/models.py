import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from jobcannon.core.models import TimeStampedModel


class DataRegion(models.TextChoices):
    EU = "eu", "EU"
    US = "us", "US"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Workspace(TimeStampedModel):
    """A customer tenant. Every customer-facing object hangs off one."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    data_region = models.CharField(max_length=2, choices=DataRegion.choices, default=DataRegion.EU)
    retention_days = models.PositiveIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Webhook bodies, logs and finished assessment data older than this are purged.",
    )

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_manage(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


def _invitation_token() -> str:
    # The default of the plaintext column migration 0001 created (and 0003 dropped); kept for it.
    return secrets.token_urlsafe(32)


def invitation_token_hash(token: str) -> str:
    """What an invitation row keeps of its link: the SHA-256 of the token (hex). The token is
    32 random bytes, so the hash alone cannot be turned back into a working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def _unknown_token_hash() -> str:
    # A row made without the service (the staff admin's add page, a fixture) gets the hash of a
    # token nobody ever sees: a link no one holds, until an admin resends it.
    return invitation_token_hash(secrets.token_urlsafe(32))


def invitation_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


class InvitationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    REPLACED = "replaced", "Replaced by a newer invitation"


class RevokeReason(models.TextChoices):
    REVOKED = "revoked", "Revoked by a workspace admin"
    RESENT = "resent", "Replaced by a newer invitation"


class Invitation(TimeStampedModel):
    """An emailed link to join a workspace (jobcannon/workspaces/services.py). The link carries a
    random token; the row keeps only its SHA-256 and is found by it. A link works once, until
    `expires_at`, and only until it is revoked or replaced by a resend (a new row, a new token)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_sha256 = models.CharField(max_length=64, unique=True, default=_unknown_token_hash, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(default=invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=10, choices=RevokeReason.choices, blank=True, default="")

    class Meta:
        constraints = [
            # One pending invitation per address and workspace (an expired one is replaced when
            # the address is invited again: services.invitation_create).
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="uniq_open_invitation",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} ({self.get_role_display()})"

    @property
    def status(self) -> str:
        """Accepted, else expired (also when it was revoked or replaced after expiring), else
        revoked or replaced, else open."""
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.expires_at <= (self.revoked_at or timezone.now()):
            return InvitationStatus.EXPIRED
        if self.revoked_at is not None:
            if self.revoked_reason == RevokeReason.RESENT:
                return InvitationStatus.REPLACED
            return InvitationStatus.REVOKED
        return InvitationStatus.OPEN
