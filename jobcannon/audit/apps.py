from typing import Any

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Security and data protection: the audit log, privacy requests (export, delete a
    candidate), retention purges, MFA enforcement and the inbound request guard."""

    name = "jobcannon.audit"
    label = "audit"
    verbose_name = "Audit and privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin

        from . import receivers  # allauth's login/MFA signals and admin deletions → audit log

        # Every model's "Delete selected" action is the audited one (same name, same permissions).
        admin.site.add_action(receivers.audited_delete_selected, "delete_selected")

        # Django's own admin login form skips allauth, and with it the second factor: staff sign
        # in through allauth's login page (with MFA), and the admin only checks is_staff.
        admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

        # The audit app sits above integrations, assessments and workspaces (README "Layout"): it
        # reads their models, and they announce what belongs in the audit log through hook registries
        # without importing it.
        from integrations.services.hooks import activity_subscribe, replay_subscribe
        from jobcannon.audit.services import audit_record, audit_record_from_activity, audit_replayed
        from jobcannon.core.jobs import schedule_modules_register
        from jobcannon.workspaces import hooks as workspace_hooks

        activity_subscribe(audit_record_from_activity)
        replay_subscribe(audit_replayed)
        schedule_modules_register(_schedule_modules)
        workspace_hooks.audit_subscribe(audit_record)
        workspace_hooks.retention_shortened_subscribe(_retention_purge_after_commit)


def _schedule_modules() -> list[str]:
    return ["jobcannon.audit.tasks"]


def _retention_purge_after_commit(*, workspace: Any, actor: Any, previous_days: int) -> None:
    """A shortened retention window purges what it now covers at once, once the change commits."""
    from django.db import transaction

    from jobcannon.core.queue import enqueue

    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: enqueue(
            "jobcannon.audit.tasks.retention_purge_workspace_task", workspace.pk, actor_id, previous_days
        )
    )
