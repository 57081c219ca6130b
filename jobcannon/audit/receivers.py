"""Library signals that belong in the audit log: allauth's MFA changes and password changes,
and the Django admin's deletions (staff deleting a customer's objects): one object through the
LogEntry the admin saves, several ("Delete selected") through `audited_delete_selected`, because
Django writes those LogEntry rows with bulk_create, which sends no post_save."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.admin import action as admin_action
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy

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


# Set while "Delete selected" runs: it audits its deletions itself (the one-object case would
# otherwise be audited twice, once through the LogEntry Django then saves one by one).
_bulk_deleting: ContextVar[bool] = ContextVar("jobcannon_admin_bulk_delete", default=False)


def _admin_deleted(
    *, user: Any, content_type: Any, object_id: Any, label: str, workspace: Any = None
) -> None:
    audit_record(
        action="admin.deleted",
        message=f"Staff deleted {content_type} “{label}” in the admin.",
        actor=user,
        workspace=workspace,
        target_label=label[:200],
        data={"content_type": str(content_type), "object_id": str(object_id)},
    )


@receiver(user_logged_in)
def _session_started(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # The idle timeout counts from the sign-in (SessionIdleTimeoutMiddleware).
    if request is not None and hasattr(request, "session"):
        from jobcannon.audit.middleware import session_activity_stamp

        session_activity_stamp(request.session)


@receiver(post_save, sender=LogEntry)
def _admin_deletion(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created or instance.action_flag != DELETION or _bulk_deleting.get():
        return
    # The admin logs a deletion before deleting (ModelAdmin.log_deletions): the object still
    # names its workspace, so the customer's audit log shows it too.
    try:
        workspace = _workspace_of(instance.get_edited_object())
    except ObjectDoesNotExist:
        workspace = None
    _admin_deleted(
        user=instance.user,
        content_type=instance.content_type,
        object_id=instance.object_id,
        label=instance.object_repr,
        workspace=workspace,
    )


def _workspace_of(obj: Any) -> Any:
    """The workspace a deleted object belonged to, when it names one (for the customer's log)."""
    from jobcannon.workspaces.models import Workspace

    if isinstance(obj, Workspace):
        return None  # deleted with it: the staff log keeps the row
    workspace_id = getattr(obj, "workspace_id", None)
    if workspace_id is None and getattr(obj, "integration_id", None):
        workspace_id = getattr(obj.integration, "workspace_id", None)
    return Workspace.objects.filter(pk=workspace_id).first() if workspace_id else None


@admin_action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def audited_delete_selected(modeladmin: Any, request: Any, queryset: Any) -> Any:
    """Django's "Delete selected" action, plus one audit event per object it deleted."""
    before = {obj.pk: (str(obj), _workspace_of(obj)) for obj in queryset}
    token = _bulk_deleting.set(True)
    try:
        response = delete_selected(modeladmin, request, queryset)
    finally:
        _bulk_deleting.reset(token)
    if response is not None:  # the confirmation page (or a refusal): nothing deleted yet
        return response
    model = queryset.model
    remaining = set(model._default_manager.filter(pk__in=list(before)).values_list("pk", flat=True))
    for pk, (label, workspace) in before.items():
        if pk not in remaining:
            _admin_deleted(
                user=request.user,
                content_type=model._meta.verbose_name,
                object_id=pk,
                label=label,
                workspace=workspace,
            )
    return None
