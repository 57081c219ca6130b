"""Library signals that belong in the audit log: allauth's MFA changes and password changes,
and the Django admin's deletions (staff deleting a customer's objects)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.admin.models import DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from jobcannon.audit.services import audit_record


@receiver(authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action="mfa.added",
        message=f"Two-factor authentication added ({authenticator.type}).",
        actor=user,
        target_label=user.get_username(),
    )


@receiver(authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action="mfa.removed",
        message=f"Two-factor authentication removed ({authenticator.type}).",
        actor=user,
        target_label=user.get_username(),
    )


@receiver(authenticator_reset)
def _mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action="mfa.reset",
        message=f"Two-factor credentials regenerated ({authenticator.type}).",
        actor=user,
        target_label=user.get_username(),
    )


@receiver(password_changed)
@receiver(password_reset)
def _password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(
        action="password.changed", message="Password changed.", actor=user, target_label=user.get_username()
    )


@receiver(post_save, sender=LogEntry)
def _admin_deletion(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created or instance.action_flag != DELETION:
        return
    audit_record(
        action="admin.deleted",
        message=f"Staff deleted {instance.content_type} “{instance.object_repr}” in the admin.",
        actor=instance.user,
        target_label=instance.object_repr[:200],
        data={"content_type": str(instance.content_type), "object_id": instance.object_id},
    )
