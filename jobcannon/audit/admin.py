from django.contrib import admin

from jobcannon.audit.models import AuditEvent, RetentionSweep, WebhookBodyDigest


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail is append-only, for staff too."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "workspace", "actor_label", "action", "target_label", "message", "ip"]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "target_label", "message", "request_id"]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"


@admin.register(RetentionSweep)
class RetentionSweepAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "finished_at",
        "webhook_bodies",
        "runs",
        "answers",
        "audit_events",
        "activity_lines",
        "reconnect_links",
        "invitations",
        "complete",
    ]


@admin.register(WebhookBodyDigest)
class WebhookBodyDigestAdmin(ReadOnlyAdmin):
    list_display = ["event", "body_sha256", "body_bytes", "reason", "purged_at"]
    search_fields = ["body_sha256"]
