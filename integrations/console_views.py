"""Customer console pages that answer "is it working, and if not, why": the live verification
checklist, the integration log with its chart and one delivery in detail, assessment orders and
the timeline of one order. Every page is scoped to the signed-in user's workspace."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from integrations.forms import LogFilterForm
from integrations.models import WritebackMessage, WritebackStatus
from integrations.registry import provider_for
from integrations.selectors import (
    integration_get_for_workspace,
    log_entries_list,
    log_filters_from,
    run_get_for_workspace,
    run_list_for_integration,
    webhook_chart,
    webhook_event_get_for_integration,
)
from integrations.services.checklist import integration_checklist
from integrations.services.checklist_actions import checklist_action_run
from integrations.services.fixes import fixes_for
from integrations.services.timeline import run_timeline
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin

# Header values never displayed, whatever the stored row holds (credentials, not signatures).
SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|password|api[-_]?key|session", re.IGNORECASE)
MAX_BODY_DISPLAY = 64 * 1024


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def poll_seconds() -> int:
    from django.conf import settings

    return int(getattr(settings, "INTEGRATIONS_CONSOLE_POLL_SECONDS", 3))


# The checklist re-renders itself every few seconds: an action's message ("Test webhook answered
# 200") lives in the session for this long, so the next polls keep showing it instead of wiping it
# one poll after the click (or at once, when a poll that left before the click answers after it).
FLASH_SECONDS = 30


def _flash_key(pk: int) -> str:
    return f"checklist-flash-{pk}"


def checklist_flash_remember(
    request: HttpRequest, *, pk: int, ok: bool, message: str, level: str = ""
) -> dict[str, Any]:
    """`level`: "ok", "warning" (the ATS could not judge) or "error"; from `ok` when not given."""
    flash = {"ok": ok, "level": level or ("ok" if ok else "error"), "message": message, "at": time.time()}
    request.session[_flash_key(pk)] = flash
    return flash


def checklist_flash_recent(request: HttpRequest, *, pk: int) -> dict[str, Any] | None:
    flash = request.session.get(_flash_key(pk))
    if not isinstance(flash, dict) or time.time() - float(flash.get("at", 0)) > FLASH_SECONDS:
        return None
    return flash


class IntegrationChecklistView(WorkspaceMixin, View):
    """The checklist page; with htmx (polling, "test now") only the checklist fragment."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        context = {
            "integration": integration,
            "provider": provider_for(integration),
            "checklist": integration_checklist(integration=integration),
            "poll_seconds": poll_seconds(),
        }
        if is_htmx(request):
            context["flash"] = checklist_flash_recent(request, pk=integration.pk)
        template = "integrations/_checklist.html" if is_htmx(request) else "integrations/checklist.html"
        return render(request, template, context)


class IntegrationChecklistActionView(WorkspaceMixin, View):
    manage_required = True

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        result = checklist_action_run(integration=integration, action=action)
        integration.refresh_from_db()
        if is_htmx(request):
            return render(
                request,
                "integrations/_checklist.html",
                {
                    "integration": integration,
                    "provider": provider_for(integration),
                    "checklist": integration_checklist(integration=integration),
                    "poll_seconds": poll_seconds(),
                    "flash": checklist_flash_remember(
                        request, pk=integration.pk, ok=result.ok, message=result.message, level=result.level
                    ),
                },
            )
        {"ok": messages.success, "warning": messages.warning}.get(result.level, messages.error)(
            request, result.message
        )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("integrations:checklist", args=[integration.pk])
        return redirect(target)


def _query(params: dict[str, Any], **changes: str) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v}
    return "?" + urlencode(merged) if merged else "?"


class IntegrationLogsView(WorkspaceMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        provider = provider_for(integration)
        filters = log_filters_from(request.GET)
        form = LogFilterForm(initial={**request.GET.dict(), "range": filters.range})
        page = log_entries_list(
            integration=integration, filters=filters, cursor=request.GET.get("cursor", "")
        )
        params = {k: v for k, v in request.GET.items() if k != "cursor"}
        context = {
            "integration": integration,
            "provider": provider,
            "form": form,
            "filters": filters,
            "entries": page.entries,
            "next_url": _query(params, cursor=page.next_cursor) if page.next_cursor else "",
            "first_url": _query(params) if request.GET.get("cursor") else "",
            "text_search_rows": page.text_search_rows,
            "chart": webhook_chart(integration=integration),
            "runs": run_list_for_integration(integration=integration, q=filters.q, limit=10)
            if filters.q
            else [],
            "event_types": sorted({*provider.event_handlers, *provider.ignored_events}),
        }
        return render(request, "integrations/logs.html", context)


def display_headers(headers: dict) -> list[tuple[str, str]]:
    return [
        (name, "[redacted]" if SECRET_HEADER.search(name) else str(value))
        for name, value in sorted((headers or {}).items(), key=lambda kv: kv[0].lower())
    ]


def display_body(raw: bytes) -> tuple[str, bool]:
    """(text, is_json): pretty-printed JSON when it parses, the text as received otherwise."""
    text = raw[:MAX_BODY_DISPLAY].decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)[:MAX_BODY_DISPLAY], True
    except (ValueError, UnicodeDecodeError):
        return text, False


class WebhookEventDetailView(WorkspaceMixin, View):
    def get(self, request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        event = webhook_event_get_for_integration(integration=integration, pk=event_pk)
        provider = provider_for(integration)
        body, is_json = display_body(bytes(event.body))
        problem = event.rejection_reason or event.error
        check = "webhook_received" if event.rejection_reason else "writeback"
        context = {
            "integration": integration,
            "provider": provider,
            "event": event,
            "headers": display_headers(event.headers),
            "body": body,
            "body_is_json": is_json,
            "body_size": len(bytes(event.body)),
            "fixes": fixes_for(provider=provider, check=check, text=problem) if problem else (),
        }
        return render(request, "integrations/webhook_event.html", context)


class IntegrationRunsView(WorkspaceMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        q = request.GET.get("q", "").strip()[:200]
        return render(
            request,
            "integrations/runs.html",
            {
                "integration": integration,
                "provider": provider_for(integration),
                "runs": run_list_for_integration(integration=integration, q=q),
                "q": q,
            },
        )


class RunTimelineView(WorkspaceMixin, View):
    def get(self, request: HttpRequest, run_pk: int) -> HttpResponse:
        run = run_get_for_workspace(workspace=self.workspace, pk=run_pk)
        timeline = run_timeline(run=run)
        context = {
            "run": run,
            "integration": run.integration,
            "provider": provider_for(run.integration) if run.integration else None,
            "timeline": timeline,
            "poll": any(h.state == "waiting" for h in timeline.hops) or run.is_active,
            "poll_seconds": poll_seconds(),
        }
        template = "integrations/_timeline.html" if is_htmx(request) else "integrations/timeline.html"
        return render(request, template, context)


class WritebackReplayView(WorkspaceMixin, View):
    """Replay a failed write-back from the timeline (dead letter or halted)."""

    manage_required = True

    def post(self, request: HttpRequest, run_pk: int, message_pk: int) -> HttpResponse:
        from integrations.services.writeback import writeback_replay

        run = run_get_for_workspace(workspace=self.workspace, pk=run_pk)
        message = WritebackMessage.objects.filter(pk=message_pk, run=run).first()
        if message is None:
            raise Http404("No such write-back")
        if message.status not in (WritebackStatus.DEAD, WritebackStatus.HALTED):
            messages.error(
                request, f"This write-back is {message.get_status_display().lower()}: nothing to replay."
            )
        else:
            try:
                message = writeback_replay(message=message, force=request.POST.get("force") == "1")
            except ApplicationError as exc:  # e.g. outcome unknown and the ATS cannot be read back
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"Write-back {message.kind}: {message.get_status_display().lower()}."
                )
        return redirect("integrations:run-timeline", run_pk=run.pk)
