"""Staff: the sync runs and checkpoints of every integration, read-only, and the "Full resync"
action (the runbook's backfill after a schema or logic change, seed 002 §4). The synced
candidate data itself is not listed here: staff read it through the customer pages."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.registry import get_providers
from jobcannon.core.exceptions import ApplicationError

from .models import SyncCheckpoint, SyncedIntegration, SyncRun
from .refresh import sync_full_resync_request


def _request_full_resync(
    modeladmin: admin.ModelAdmin, request: HttpRequest, pairs: set[tuple[int, str]]
) -> None:
    from integrations.models import Integration

    queued = 0
    for integration_id, resource in sorted(pairs):
        integration = Integration.objects.get(pk=integration_id)
        try:
            queued += len(
                sync_full_resync_request(
                    integration=integration,
                    resource=resource,
                    requested_by=getattr(request.user, "email", ""),
                )
            )
        except ApplicationError as exc:
            modeladmin.message_user(request, f"Integration {integration_id}: {exc.message}", messages.ERROR)
    if queued:
        modeladmin.message_user(
            request,
            f"Full resync queued for {queued} resource(s); the runs appear below as they start.",
            messages.SUCCESS,
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_resync_permission(self, request: HttpRequest) -> bool:
        # A full resync discards the checkpoints: staff need that change permission (issue 21).
        return request.user.has_perm("sync.change_synccheckpoint")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "integration",
        "resource",
        "mode",
        "status",
        "trigger",
        "started_at",
        "pages",
        "records_upserted",
        "records_deleted",
        "warning_count",
        "error_count",
    ]
    list_filter = ["status", "mode", "resource", "trigger", "integration__provider"]
    search_fields = ["integration__workspace__name", "=integration__id"]
    list_select_related = ["integration"]
    actions = ["full_resync"]

    @admin.display(description="warnings")
    def warning_count(self, run: SyncRun) -> int:
        return len(run.warnings)

    @admin.display(description="errors")
    def error_count(self, run: SyncRun) -> int:
        return len(run.errors)

    @admin.action(description="Full resync of the selected runs' data (background)", permissions=["resync"])
    def full_resync(self, request: HttpRequest, queryset: QuerySet[SyncRun]) -> None:
        _request_full_resync(self, request, set(queryset.values_list("integration_id", "resource")))


@admin.register(SyncCheckpoint)
class SyncCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["integration", "resource", "updated_at", "run"]
    list_filter = ["resource", "integration__provider"]
    actions = ["full_resync"]

    @admin.action(description="Full resync (ignore these checkpoints, background)", permissions=["resync"])
    def full_resync(self, request: HttpRequest, queryset: QuerySet[SyncCheckpoint]) -> None:
        _request_full_resync(self, request, set(queryset.values_list("integration_id", "resource")))


@admin.register(SyncedIntegration)
class SyncedIntegrationAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "provider", "environment", "status"]
    list_filter = ["provider", "environment", "status"]
    search_fields = ["workspace__name", "=id"]
    actions = ["full_resync"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        keys = [key for key, provider in get_providers().items() if provider.sync_resources]
        return super().get_queryset(request).filter(provider__in=keys).select_related("workspace")

    @admin.action(
        description="Full resync of everything these integrations sync (background)", permissions=["resync"]
    )
    def full_resync(self, request: HttpRequest, queryset: QuerySet[SyncedIntegration]) -> None:
        _request_full_resync(self, request, {(pk, "") for pk in queryset.values_list("pk", flat=True)})
