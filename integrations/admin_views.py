"""Staff pages beyond the model admin: /admin/integrations/<provider>/logs (the seeds' path)."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from integrations.models import OutboundCall, WebhookEvent, WebhookStatus
from integrations.registry import get_provider


class ProviderLogsView(View):
    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        prov = get_provider(provider)
        status = request.GET.get("status", "")
        q = request.GET.get("q", "").strip()
        events = (
            WebhookEvent.objects.filter(provider=provider)
            .select_related("integration__workspace")
            .defer("body", "traceback")
        )
        if status:
            events = events.filter(status=status)
        if q:
            from django.db.models import Q

            events = events.filter(
                Q(event_type__icontains=q) | Q(external_id__icontains=q) | Q(rejection_reason__icontains=q)
            )
        page = Paginator(events, 50).get_page(request.GET.get("page"))
        calls = OutboundCall.objects.filter(provider=provider).select_related("integration__workspace")[:50]
        context = {
            **admin.site.each_context(request),
            "title": f"{prov.name} integration logs",
            "provider": prov,
            "page": page,
            "calls": calls,
            "statuses": WebhookStatus.choices,
            "status": status,
            "q": q,
        }
        return render(request, "admin/integrations/provider_logs.html", context)


class ProviderLogsRedirectView(View):
    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        return redirect(reverse("admin-integration-logs", args=[provider]))
