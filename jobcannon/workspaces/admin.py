from django.contrib import admin

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
