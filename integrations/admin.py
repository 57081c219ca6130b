"""Staff Django admin for integrations: useful lists, filters, search and actions (reprocess,
replay, disconnect, force refresh, test credentials, reconnect link); secrets never displayed
(encrypted columns are excluded, headers are redacted); logs are read-only; lists over the
big tables avoid COUNT(*) and date drill-downs that scan them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from integrations import models
from integrations.admin_views import StaffRunTimelineView, can_view_logs
from integrations.console_views import display_headers
from integrations.models import (
    Integration,
    IntegrationActivity,
    IntegrationStatus,
    OAuthState,
    OutboundCall,
    Token,
    WebhookEvent,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import get_providers


class LargeTablePaginator(Paginator):
    """On PostgreSQL an unfiltered list uses the planner's row estimate instead of COUNT(*)."""

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [query.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] and row[0] > 0:
                return int(row[0])
        return super().count


class BlankNamedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's "all values" filter lists a blank value ("" : no signature scheme, no error
    class) as a link with no text, which a screen reader cannot name (axe link-name): call it
    "(blank)"."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if not str(choice["display"]).strip():
                choice = {**choice, "display": "(blank)"}
            yield choice


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """Logs are evidence: staff read them and act through actions, never edit them."""

    paginator = LargeTablePaginator
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return bool(request.user.is_superuser)


class IntegrationAdminForm(forms.ModelForm):
    """Staff edit provider_settings as raw JSON: the provider's own checks hold here too
    (ATSProvider.settings_problems; SmartRecruiters: only scope and event names SR publishes), as
    they do where customers save settings, so staff cannot store what JobCannon would never send."""

    class Meta:
        model = Integration
        # The admin picks the fields (IntegrationAdmin.exclude keeps the secrets out); this form only
        # adds a check. Naming fields here would make the admin show only those.
        fields = "__all__"  # noqa: DJ007

    def clean_provider_settings(self):
        value = self.cleaned_data.get("provider_settings")
        provider = get_providers().get(self.cleaned_data.get("provider") or self.instance.provider)
        problems = provider.settings_problems(value) if provider is not None else []
        if problems:
            raise ValidationError(problems)
        return value


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationAdminForm
    list_display = [
        "id",
        "workspace",
        "provider",
        "environment",
        "region",
        "status",
        "short_reason",
        "auth_kind",
        "uses_simulator",
        "credentials_checked_at",
        "logs_link",
    ]
    list_filter = ["provider", "environment", "status", "auth_kind"]
    search_fields = ["workspace__name", "workspace__slug", "=public_id", "status_reason"]
    list_select_related = ["workspace"]
    # Secrets are never shown: the encrypted columns are excluded from the form.
    exclude = ["credentials", "webhook_secrets"]
    readonly_fields = [
        "public_id",
        "status",
        "status_reason",
        "status_changed_at",
        "credentials_checked_at",
        "secret_summary",
        "created_by",
        "logs_link",
    ]
    actions = [
        "test_credentials",
        "force_token_refresh",
        "disconnect",
        "create_reconnect_link",
        "revoke_reconnect_links",
    ]

    # The logs link leads to a page that needs the log-view permissions: staff without them are
    # not offered a link to a 403 (issue 21), on the list or on the change page.
    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return columns if can_view_logs(request.user) else [c for c in columns if c != "logs_link"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if can_view_logs(request.user) else [f for f in fields if f != "logs_link"]

    def get_urls(self):
        extra = [
            path(
                "run/<int:run_pk>/timeline/",
                self.admin_site.admin_view(StaffRunTimelineView.as_view()),
                name="integrations-run-timeline",
            )
        ]
        return extra + super().get_urls()

    @admin.display(description="Reason")
    def short_reason(self, obj: Integration) -> str:
        return obj.status_reason[:80]

    @admin.display(description="Simulator", boolean=True)
    def uses_simulator(self, obj: Integration) -> bool:
        return bool((obj.provider_settings or {}).get("use_simulator"))

    @admin.display(description="Logs")
    def logs_link(self, obj: Integration) -> str:
        if obj.pk is None:  # the add page: no integration, no logs yet (reverse() needs a provider)
            return self.get_empty_value_display()
        url = reverse("admin-integration-logs", args=[obj.provider]) + f"?workspace={obj.workspace_id}"
        return format_html('<a href="{}">logs</a>', url)

    @admin.display(description="Secrets")
    def secret_summary(self, obj: Integration) -> str:
        names = sorted((obj.credentials or {}).keys())
        return (
            f"credentials: {', '.join(names) or 'none'}; webhook secrets: {len(obj.webhook_secrets or [])} "
            "(values hidden)"
        )

    @admin.action(description="Test credentials now (live call)", permissions=["change"])
    def test_credentials(self, request, queryset):
        from integrations.services.integrations import integration_credentials_check

        for integration in queryset[:50]:
            outcome = integration_credentials_check(integration=integration)
            self.message_user(
                request,
                f"{integration}: {'valid' if outcome.ok else outcome.message}",
                messages.SUCCESS if outcome.ok else messages.WARNING,
            )

    @admin.action(description="Force an OAuth token refresh", permissions=["change"])
    def force_token_refresh(self, request, queryset):
        from integrations.base import ATSError
        from integrations.services.oauth import token_refresh

        for integration in queryset.filter(token__isnull=False)[:50]:
            try:
                token_refresh(integration_id=integration.pk, force=True)
            except ATSError as exc:
                self.message_user(request, f"{integration}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{integration}: token refreshed.", messages.SUCCESS)

    @admin.action(description="Disconnect", permissions=["change"])
    def disconnect(self, request, queryset):
        from integrations.services.integrations import integration_disconnect

        n = 0
        for integration in queryset.exclude(status=IntegrationStatus.DISCONNECTED):
            integration_disconnect(integration=integration, reason="Disconnected by JobCannon staff.")
            n += 1
        self.message_user(request, f"{n} integration(s) disconnected.", messages.SUCCESS)

    @admin.action(description="Create a reconnect link (shown once)", permissions=["change"])
    def create_reconnect_link(self, request, queryset):
        from integrations.services.reconnect import reconnect_link_create

        for integration in queryset[:10]:
            link = reconnect_link_create(integration=integration, created_by=request.user)
            self.message_user(request, f"{integration}: {link}", messages.INFO)

    @admin.action(description="Revoke open reconnect links", permissions=["change"])
    def revoke_reconnect_links(self, request, queryset):
        from integrations.services.reconnect import reconnect_links_revoke

        revoked = sum(
            reconnect_links_revoke(integration=integration, revoked_by=request.user)
            for integration in queryset
        )
        self.message_user(request, f"{revoked} open reconnect link(s) revoked.", messages.SUCCESS)


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = [
        "integration",
        "token_type",
        "access_expires_at",
        "refresh_issued_at",
        "refresh_expires_at",
        "refresh_count",
        "missing",
    ]
    list_select_related = ["integration__workspace"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = [
        "integration",
        "token_type",
        "scopes_requested",
        "scopes_granted",
        "access_expires_at",
        "refresh_expires_at",
        "refresh_issued_at",
        "refresh_count",
    ]
    search_fields = ["integration__workspace__name"]
    list_filter = ["integration__provider"]
    actions = ["force_refresh"]

    @admin.display(description="Missing scopes")
    def missing(self, obj: Token) -> str:
        return ", ".join(obj.missing_scopes()) or "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Force a refresh", permissions=["change"])
    def force_refresh(self, request, queryset):
        from integrations.base import ATSError
        from integrations.services.oauth import token_refresh

        for token in queryset[:50]:
            try:
                token_refresh(integration_id=token.integration_id, force=True)
            except ATSError as exc:
                self.message_user(request, f"{token.integration}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{token.integration}: refreshed.", messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyLogAdmin):
    list_display = [
        "id",
        "received_at",
        "provider",
        "integration",
        "event_type",
        "status",
        "verified",
        "attempts",
        "short_reason",
    ]
    list_filter = [
        "provider",
        "status",
        "verified",
        ("signature_scheme", BlankNamedValuesFilter),
        ("received_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=external_id", "event_type", "rejection_reason", "error", "=request_id"]
    actions = ["reprocess"]
    list_select_related = ["integration__workspace"]
    _shown: tuple[str, ...] = (
        "provider",
        "integration",
        "received_at",
        "status",
        "verified",
        "signature_scheme",
        "rejection_reason",
        "event_type",
        "external_id",
        "duplicate_of",
        "attempts",
        "next_attempt_at",
        "processed_at",
        "error",
        "traceback",
        "remote_addr",
        "path",
        "request_id",
        "headers_redacted",
        "raw_body",
    )
    fields = _shown
    readonly_fields = _shown

    class Media:
        css = {"all": ["css/admin-console.css"]}

    @admin.display(description="Reason / error")
    def short_reason(self, obj: WebhookEvent) -> str:
        return (obj.rejection_reason or obj.error)[:80]

    @admin.display(description="Headers (credentials redacted)")
    def headers_redacted(self, obj: WebhookEvent) -> str:
        rows = display_headers(obj.headers)
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td><code>{}</code></td></tr>", rows) if rows else "",
        )

    @admin.display(description="Raw body")
    def raw_body(self, obj: WebhookEvent) -> str:
        # Exactly as received (the signature covers these bytes), not re-indented.
        return format_html('<pre class="raw-body">{}</pre>', obj.body_text[:65536])

    def has_reprocess_permission(self, request) -> bool:
        # Read-only rows (has_change_permission is False for everyone): reprocessing is what the
        # change permission grants here (issue 21).
        return request.user.has_perm("integrations.change_webhookevent")

    @admin.action(description="Reprocess selected events", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        from integrations.services.webhooks import webhook_event_reprocess

        n = sum(1 for event in queryset[:500] if webhook_event_reprocess(event=event))
        self.message_user(request, f"{n} event(s) queued for processing.", messages.SUCCESS)


@admin.register(OutboundCall)
class OutboundCallAdmin(ReadOnlyLogAdmin):
    list_display = [
        "created_at",
        "provider",
        "integration",
        "method",
        "path",
        "operation",
        "status_code",
        "duration_ms",
        "attempt",
        "error_class",
    ]
    list_filter = [
        "provider",
        "status_code",
        ("error_class", BlankNamedValuesFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["path", "=vendor_request_id", "error_message", "operation"]
    list_select_related = ["integration__workspace"]
    readonly_fields = [f.name for f in OutboundCall._meta.fields]


@admin.register(IntegrationActivity)
class IntegrationActivityAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "integration", "level", "kind", "message"]
    list_filter = ["level", "integration__provider", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["message", "kind"]
    list_select_related = ["integration__workspace"]
    readonly_fields = ["integration", "created_at", "level", "kind", "message", "data"]


class WritebackAdminBase(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "integration",
        "run_link",
        "kind",
        "event",
        "status",
        "attempts",
        "last_error_class",
        "delivered_at",
        "confirmed_at",
    ]
    list_filter = ["status", "event", "integration__provider"]
    search_fields = ["=idempotency_key", "=external_ref", "=run__id", "last_error"]
    list_select_related = ["integration__workspace"]
    actions = ["replay"]
    readonly_fields = [
        "integration",
        "run",
        "kind",
        "event",
        "idempotency_key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "last_error_class",
        "delivered_at",
        "confirmed_at",
        "external_ref",
        "run_link",
    ]
    paginator = LargeTablePaginator
    show_full_result_count = False

    @admin.display(description="Order")
    def run_link(self, obj: WritebackMessage) -> str:
        return format_html(
            '<a href="{}">run {} timeline</a>',
            reverse("admin:integrations-run-timeline", args=[obj.run_id]),
            obj.run_id,
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_replay_permission(self, request) -> bool:
        # Read-only rows (has_change_permission is False for everyone): replaying is what the
        # change permission grants here (issue 21).
        return request.user.has_perm("integrations.change_writebackmessage")

    @admin.action(description="Replay selected write-backs (dead letter / halted)", permissions=["replay"])
    def replay(self, request, queryset):
        from integrations.services.writeback import writeback_replay
        from jobcannon.core.exceptions import ApplicationError

        n = 0
        for message in queryset.filter(status__in=[WritebackStatus.DEAD, WritebackStatus.HALTED])[:500]:
            try:
                writeback_replay(message=message)
            except ApplicationError as exc:
                self.message_user(request, f"{message}: {exc.message}", messages.WARNING)
            else:
                n += 1
        self.message_user(request, f"{n} write-back(s) replayed.", messages.SUCCESS)


@admin.register(WritebackMessage)
class WritebackMessageAdmin(WritebackAdminBase):
    pass


# The outbox's dead-letter view (a proxy model of the reliability work), when present.
_dead_letter_model = getattr(models, "WritebackDeadLetter", None)
if _dead_letter_model is not None and not admin.site.is_registered(_dead_letter_model):

    @admin.register(_dead_letter_model)
    class WritebackDeadLetterAdmin(WritebackAdminBase):
        list_filter = ["status", "integration__provider", "kind"]

        def get_queryset(self, request):
            return (
                super()
                .get_queryset(request)
                .filter(status__in=[WritebackStatus.DEAD, WritebackStatus.HALTED])
            )


@admin.register(OAuthState)
class OAuthStateAdmin(admin.ModelAdmin):
    list_display = ["integration", "created_at", "used_at"]
    exclude = ["code_verifier", "state"]
    readonly_fields = ["integration", "redirect_uri", "user", "used_at"]
    list_select_related = ["integration__workspace"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
