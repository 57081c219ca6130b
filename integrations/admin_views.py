"""Staff pages beyond the model admin: /admin/integrations/<provider>/logs (the seeds' path), with
the same merged log, filters and chart the customers have, across every workspace, plus the
reprocess / replay actions; and the timeline of one assessment order."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from integrations.forms import LogFilterForm
from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.registry import get_provider
from integrations.selectors import log_entries_list, log_filters_from, webhook_chart
from integrations.services.timeline import run_timeline
from jobcannon.core.exceptions import ApplicationError

REPROCESSABLE = (WebhookStatus.FAILED, WebhookStatus.DEAD, WebhookStatus.UNSUPPORTED)
REPLAYABLE = (WritebackStatus.DEAD, WritebackStatus.HALTED)
BULK_LIMIT = 500

# admin.site.admin_view lets any staff member in; each page and action needs the model
# permission that matches what it shows or changes (issue 21). A staff member without it gets 403.
REPROCESS_PERMISSION = "integrations.change_webhookevent"
REPLAY_PERMISSION = "integrations.change_writebackmessage"
WRITEBACK_VIEW_PERMISSION = "integrations.view_writebackmessage"


# The merged log shows deliveries, outbound calls and activity lines: viewing it needs all three.
LOG_VIEW_PERMISSIONS = (
    "integrations.view_webhookevent",
    "integrations.view_outboundcall",
    "integrations.view_integrationactivity",
)


def can_view_logs(user) -> bool:
    """May this staff member open /admin/integrations/<provider>/logs (else a link there is a 403)."""
    return bool(user.has_perms(LOG_VIEW_PERMISSIONS))


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _workspace_id(request: HttpRequest) -> int | None:
    try:
        return int(request.GET.get("workspace", "")) or None
    except ValueError:
        return None


class ProviderLogsView(PermissionRequiredMixin, View):
    permission_required = LOG_VIEW_PERMISSIONS

    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        from urllib.parse import urlencode

        prov = get_provider(provider)
        query = request.GET.copy()
        if "direction" not in query:
            # The seeds send admins here to "verify webhook delivery": deliveries first; the
            # filter's "All" adds calls and activity.
            query["direction"] = "in"
        filters = log_filters_from(query)
        workspace_id = _workspace_id(request)
        page = log_entries_list(
            provider=provider,
            workspace_id=workspace_id,
            filters=filters,
            cursor=request.GET.get("cursor", ""),
        )
        params = {k: v for k, v in query.items() if k != "cursor" and (v or k == "direction")}
        # Stuck write-backs name the workspace, the kind and the error: a model of their own, so
        # only staff who may view write-backs see them (the log permissions do not cover them;
        # the change permission implies view, as in ModelAdmin.has_view_permission).
        may_view_writebacks = request.user.has_perm(WRITEBACK_VIEW_PERMISSION) or request.user.has_perm(
            REPLAY_PERMISSION
        )
        stuck = (
            WritebackMessage.objects.filter(
                integration__provider=provider, status__in=[*REPLAYABLE, WritebackStatus.NEEDS_REAUTH]
            )
            .select_related("integration__workspace")
            .order_by("-updated_at")[:50]
            if may_view_writebacks
            else WritebackMessage.objects.none()
        )
        context = {
            **admin.site.each_context(request),
            "title": f"{prov.name} integration logs",
            "provider": prov,
            "form": LogFilterForm(initial={**query.dict(), "range": filters.range}),
            "filters": filters,
            "workspace_id": workspace_id or "",
            "entries": page.entries,
            "next_url": "?" + urlencode({**params, "cursor": page.next_cursor}) if page.next_cursor else "",
            "first_url": "?" + urlencode(params) if request.GET.get("cursor") else "",
            "text_search_rows": page.text_search_rows,
            "chart": webhook_chart(provider=provider),
            "stuck": stuck,
            "may_view_writebacks": may_view_writebacks,
            "event_types": sorted({*prov.event_handlers, *prov.ignored_events}),
        }
        return render(request, "admin/integrations/provider_logs.html", context)

    def post(self, request: HttpRequest, provider: str) -> HttpResponse:
        """Reprocess selected deliveries, every failed one in the filtered time range (bounded),
        or replay selected write-backs."""
        from integrations.services.webhooks import webhook_event_reprocess
        from integrations.services.writeback import writeback_replay

        get_provider(provider)
        action = request.POST.get("action", "")
        back = reverse("admin-integration-logs", args=[provider]) + "?" + request.POST.get("query", "")
        if action in ("reprocess", "reprocess-range"):
            _require(request, REPROCESS_PERMISSION)
            events = WebhookEvent.objects.filter(provider=provider, verified=True)
            if action == "reprocess":
                ids = [int(i) for i in request.POST.getlist("event") if i.isdigit()]
                events = events.filter(pk__in=ids)
            else:
                filters = log_filters_from(request.POST)
                events = events.filter(status__in=REPROCESSABLE)
                if filters.since:
                    events = events.filter(received_at__gte=filters.since)
                if filters.until:
                    events = events.filter(received_at__lte=filters.until)
            done = sum(
                1 for e in events.order_by("received_at")[:BULK_LIMIT] if webhook_event_reprocess(event=e)
            )
            messages.success(request, f"{done} delivery(ies) queued for processing again.")
        elif action == "replay":
            _require(request, REPLAY_PERMISSION)
            ids = [int(i) for i in request.POST.getlist("writeback") if i.isdigit()]
            rows = WritebackMessage.objects.filter(
                pk__in=ids, integration__provider=provider, status__in=REPLAYABLE
            )[:BULK_LIMIT]
            done = 0
            force = request.POST.get("force") == "1"
            for message in rows:
                try:
                    writeback_replay(message=message, force=force)
                except ApplicationError as exc:
                    messages.warning(request, f"Write-back {message.pk}: {exc.message}")
                else:
                    done += 1
            messages.success(request, f"{done} write-back(s) replayed.")
        else:
            messages.error(request, "Choose an action.")
        return redirect(back)


class ProviderLogsRedirectView(View):
    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        return redirect(reverse("admin-integration-logs", args=[provider]))


class StaffRunTimelineView(PermissionRequiredMixin, View):
    """Staff: the timeline of any assessment order (mounted by IntegrationAdmin.get_urls)."""

    permission_required = ("assessments.view_assessmentrun", "integrations.view_writebackmessage")

    def get(self, request: HttpRequest, run_pk: int) -> HttpResponse:
        from assessments.models import AssessmentRun

        run = get_object_or_404(AssessmentRun.objects.select_related("integration", "workspace"), pk=run_pk)
        timeline = run_timeline(run=run)
        context = {
            **admin.site.each_context(request),
            "title": f"Timeline of order {run.pk}",
            "run": run,
            "timeline": timeline,
            "now": timezone.now(),
        }
        return render(request, "admin/integrations/run_timeline.html", context)

    def post(self, request: HttpRequest, run_pk: int) -> HttpResponse:
        from integrations.services.writeback import writeback_replay

        _require(request, REPLAY_PERMISSION)
        message = get_object_or_404(WritebackMessage, pk=request.POST.get("writeback", 0), run_id=run_pk)
        if message.status in REPLAYABLE:
            try:
                writeback_replay(message=message, force=request.POST.get("force") == "1")
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Write-back {message.kind} replayed.")
        else:
            messages.error(
                request, f"Write-back is {message.get_status_display().lower()}: nothing to replay."
            )
        return redirect(request.path)
