from django.contrib import admin

from . import hooks
from .models import Invitation, InvitationStatus, Membership, Workspace


class MembershipInline(admin.StackedInline):
    """Stacked, not tabular: Django's tabular inline leaves each row's inputs unlabelled (only
    the column headers name them; axe label / select-name), the stacked one labels each."""

    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "data_region", "retention_days", "created_at"]
    list_filter = ["data_region"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            return super().save_model(request, obj, form, change)
        # Through the service: a changed retention window is audited (and applied) like the
        # customer's own settings page does it.
        from .services import workspace_settings_update

        workspace_settings_update(
            workspace=Workspace.objects.get(pk=obj.pk),
            actor=request.user,
            changes={field: getattr(obj, field) for field in form.changed_data if field in form.cleaned_data},
        )

    def save_formset(self, request, form, formset, change) -> None:
        """Removing a member through the inline is a deletion Django logs as a CHANGE of the
        workspace (a LogEntry the audit log's admin-deletion receiver rightly ignores): audit
        each removed membership here, with the person and the workspace, once it is gone."""
        # As stored, not as posted: a form ticked for deletion still carries its edited fields.
        ids = [
            f.instance.pk
            for f in formset.deleted_forms
            if isinstance(f.instance, Membership) and f.instance.pk
        ]
        removing = (
            list(Membership.objects.filter(pk__in=ids).select_related("user", "workspace")) if ids else []
        )
        super().save_formset(request, form, formset, change)
        if not removing:
            return
        kept = set(Membership.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for membership in removing:
            if membership.pk in kept:
                continue
            hooks.audit_announce(
                action="admin.deleted",
                message=(
                    f"Staff removed {membership.user} ({membership.get_role_display()}) from the "
                    f"workspace {membership.workspace} in the admin."
                ),
                workspace=membership.workspace,
                target=membership.user,
                actor=request.user,
                data={
                    "content_type": "membership",
                    "object_id": str(membership.pk),
                    "user_id": membership.user_id,
                    "role": membership.role,
                },
            )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The token is never stored (only its hash, not shown either): an invitation made here has
    a link nobody holds; the workspace's admins send one from their team page."""

    list_display = [
        "email",
        "workspace",
        "role",
        "created_at",
        "expires_at",
        "status",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "revoked_reason"]
    search_fields = ["email", "workspace__name"]
    exclude = ["token_sha256"]
    readonly_fields = ["accepted_at", "accepted_by", "revoked_at", "revoked_reason"]

    @admin.display(description="Status")
    def status(self, obj: Invitation) -> str:
        return InvitationStatus(obj.status).label
