from django.contrib import admin, messages
from django.utils.html import format_html

from integrations.models import (
    Integration,
    IntegrationActivity,
    OAuthState,
    OutboundCall,
    SimulatorObject,
    Token,
    WebhookEvent,
)
from integrations.services.webhooks import webhook_event_reprocess


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "workspace",
        "provider",
        "environment",
        "region",
        "status",
        "auth_kind",
        "created_at",
    ]
    list_filter = ["provider", "environment", "status", "auth_kind"]
    search_fields = ["workspace__name", "public_id", "status_reason"]
    # Secrets are never shown: the encrypted columns are excluded from the form.
    exclude = ["credentials", "webhook_secrets"]
    readonly_fields = ["public_id", "status_changed_at", "credentials_checked_at", "secret_summary"]

    @admin.display(description="Secrets")
    def secret_summary(self, obj: Integration) -> str:
        names = sorted((obj.credentials or {}).keys())
        return f"credentials: {', '.join(names) or 'none'}; webhook secrets: {len(obj.webhook_secrets or [])} (values hidden)"


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["integration", "token_type", "access_expires_at", "refresh_issued_at", "refresh_count"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = [
        "scopes_requested",
        "scopes_granted",
        "access_expires_at",
        "refresh_expires_at",
        "refresh_issued_at",
    ]
    search_fields = ["integration__workspace__name"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "received_at",
        "provider",
        "integration",
        "event_type",
        "status",
        "attempts",
        "short_reason",
    ]
    list_filter = ["provider", "status", "verified", "signature_scheme"]
    search_fields = ["external_id", "event_type", "rejection_reason", "error"]
    date_hierarchy = "received_at"
    actions = ["reprocess"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields if f.name != "body"] + ["raw_body"]
    exclude = ["body"]
    list_select_related = ["integration"]

    @admin.display(description="Reason / error")
    def short_reason(self, obj: WebhookEvent) -> str:
        return (obj.rejection_reason or obj.error)[:80]

    @admin.display(description="Raw body")
    def raw_body(self, obj: WebhookEvent) -> str:
        return format_html("<pre style='white-space:pre-wrap;max-width:90ch'>{}</pre>", obj.body_text[:20000])

    @admin.action(description="Reprocess selected events")
    def reprocess(self, request, queryset):
        n = sum(1 for event in queryset if webhook_event_reprocess(event=event))
        self.message_user(request, f"{n} event(s) queued for processing.", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OutboundCall)
class OutboundCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "provider",
        "integration",
        "method",
        "path",
        "status_code",
        "duration_ms",
        "attempt",
        "error_class",
    ]
    list_filter = ["provider", "status_code", "error_class"]
    search_fields = ["path", "vendor_request_id", "error_message"]
    readonly_fields = [f.name for f in OutboundCall._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(IntegrationActivity)
class IntegrationActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "integration", "level", "kind", "message"]
    list_filter = ["level", "kind"]
    search_fields = ["message"]


@admin.register(OAuthState)
class OAuthStateAdmin(admin.ModelAdmin):
    list_display = ["integration", "created_at", "used_at"]
    exclude = ["code_verifier", "state"]


@admin.register(SimulatorObject)
class SimulatorObjectAdmin(admin.ModelAdmin):
    list_display = ["provider", "kind", "key", "created_at"]
    list_filter = ["provider", "kind"]
