"""Staff admin for the write-back outbox and its dead letters, with replay (single and bulk).

Imported by IntegrationsConfig.ready (after integrations/admin.py, which it builds on: admin.py
does not import it back); replaces the plain registrations made there with these (same columns plus the reliability ones: halted count, next attempt, replay buttons).

- "Replay" re-sends a dead / halted / waiting write-back. A halted one (outcome unknown) is read
  back from the ATS first and only confirmed, never duplicated, when it is already there.
- "Send anyway" (forced replay) skips that check, after a confirmation page: for a human who
  looked in the ATS.
- "Read back from the ATS" confirms delivered or halted rows without sending anything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from integrations.admin import BlankNamedValuesFilter, WritebackAdminBase
from integrations.models import WritebackDeadLetter, WritebackMessage, WritebackStatus
from integrations.services.writeback import writeback_mark_confirmed, writeback_read_back, writeback_replay
from jobcannon.core.exceptions import ApplicationError

REPLAYABLE = (
    WritebackStatus.DEAD,
    WritebackStatus.HALTED,
    WritebackStatus.NEEDS_REAUTH,
    WritebackStatus.CANCELLED,
    WritebackStatus.RETRYING,
)
BULK_LIMIT = 500


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("yes", "Dead, halted or waiting for re-authorization"),
            ("halted_ever", "Halted at least once"),
        ]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "yes":
            return queryset.filter(
                status__in=[WritebackStatus.DEAD, WritebackStatus.HALTED, WritebackStatus.NEEDS_REAUTH]
            )
        if self.value() == "halted_ever":
            return queryset.filter(halted_count__gt=0)
        return queryset


class OutboxAdmin(WritebackAdminBase):
    list_display = [
        "id",
        "created_at",
        "integration",
        "run_link",
        "kind",
        "event",
        "status",
        "attempts",
        "halted_count",
        "next_attempt_at",
        "short_error",
        "row_actions",
    ]
    list_filter = [NeedsAttentionFilter, "status", "event", "integration__provider"]
    readonly_fields = [
        *WritebackAdminBase.readonly_fields,
        "halted_count",
        "replay_count",
        "retry_window_started_at",
        "claimed_at",
        "checked_at",
        "row_actions",
    ]
    actions = ["replay", "replay_anyway", "read_back"]
    change_list_template = "admin/integrations/outbox_change_list.html"

    # The replay buttons only for staff who may replay (replay_view checks the same permission).
    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if self.has_replay_permission(request) else [f for f in shown if f != "row_actions"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return fields if self.has_replay_permission(request) else [f for f in fields if f != "row_actions"]

    @admin.display(description="Last error")
    def short_error(self, obj: WritebackMessage) -> str:
        return (obj.last_error or "")[:90]

    @admin.display(description="Actions")
    def row_actions(self, obj: WritebackMessage) -> str:
        if obj.pk is None or obj.status not in (
            *REPLAYABLE,
            WritebackStatus.DELIVERED,
            WritebackStatus.CONFIRMED,
        ):
            return ""
        info = self.model._meta.app_label, self.model._meta.model_name
        url = reverse(f"admin:{info[0]}_{info[1]}_replay", args=[obj.pk])
        label = "Replay" if obj.status in REPLAYABLE else "Send again…"
        return format_html('<a class="button" href="{}">{}</a>', url, label)

    # -- single replay: a confirmation page, then POST --
    def get_urls(self) -> list[Any]:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<int:pk>/replay/",
                self.admin_site.admin_view(self.replay_view),
                name=f"{info[0]}_{info[1]}_replay",
            ),
            *super().get_urls(),
        ]

    def replay_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_replay_permission(request):
            raise PermissionDenied
        message = get_object_or_404(WritebackMessage.objects.select_related("integration"), pk=pk)
        changelist = reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
        if request.method == "POST":
            force = request.POST.get("mode") == "force"
            try:
                replayed = writeback_replay(message=message, force=force)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"Write-back {message.pk}: {replayed.get_status_display()}.", messages.SUCCESS
                )
            return HttpResponseRedirect(changelist)
        return TemplateResponse(
            request,
            "admin/integrations/writeback_replay_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Replay write-back {message.pk}",
                "message": message,
                "opts": self.model._meta,
                "safe_replay": message.status in REPLAYABLE,
                "changelist_url": changelist,
            },
        )

    # -- bulk actions --
    @admin.action(description="Replay selected write-backs (dead, halted, waiting)", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: Any) -> None:
        self._bulk_replay(request, queryset.filter(status__in=REPLAYABLE), force=False)

    @admin.action(
        description="Send selected again anyway (even if the ATS may have them)", permissions=["replay"]
    )
    def replay_anyway(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/integrations/writeback_replay_bulk_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Send write-backs again anyway",
                    "messages_list": list(queryset[:BULK_LIMIT]),
                    "opts": self.model._meta,
                    "action": "replay_anyway",
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                },
            )
        self._bulk_replay(request, queryset.exclude(status=WritebackStatus.DELIVERING), force=True)
        return None

    def _bulk_replay(self, request: HttpRequest, queryset: Any, *, force: bool) -> None:
        done, refused = 0, []
        for message in queryset.select_related("integration")[:BULK_LIMIT]:
            try:
                writeback_replay(message=message, force=force)
            except ApplicationError as exc:
                refused.append(f"{message.pk}: {exc.message}")
            else:
                done += 1
        self.message_user(request, f"{done} write-back(s) queued again.", messages.SUCCESS)
        for line in refused[:20]:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Read back from the ATS (confirm without sending)", permissions=["replay"])
    def read_back(self, request: HttpRequest, queryset: Any) -> None:
        counts = {"confirmed": 0, "absent": 0, "unknown": 0}
        rows = queryset.filter(status__in=[WritebackStatus.HALTED, WritebackStatus.DELIVERED]).select_related(
            "integration"
        )
        for message in rows[:BULK_LIMIT]:
            verdict = writeback_read_back(message=message)
            if verdict is True:
                writeback_mark_confirmed(message=message, note="read back by staff")
                counts["confirmed"] += 1
            else:
                counts["absent" if verdict is False else "unknown"] += 1
        self.message_user(
            request,
            f"Confirmed {counts['confirmed']}; not in the ATS {counts['absent']} (replay them); "
            f"cannot be read back {counts['unknown']}.",
            messages.INFO,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        counts = dict(
            WritebackMessage.objects.values_list("status")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("status", "n")
        )
        halted_total = WritebackMessage.objects.aggregate(n=Sum("halted_count"))["n"] or 0
        extra = {
            "outbox_counts": [(label, counts.get(value, 0)) for value, label in WritebackStatus.choices],
            "outbox_halted_total": halted_total,
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})


class DeadLetterAdmin(OutboxAdmin):
    """Dead and halted write-backs only: what needs a human."""

    list_filter = ["status", "integration__provider", "kind", ("last_error_class", BlankNamedValuesFilter)]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(status__in=[WritebackStatus.DEAD, WritebackStatus.HALTED])


for _model, _admin_class in ((WritebackMessage, OutboxAdmin), (WritebackDeadLetter, DeadLetterAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
