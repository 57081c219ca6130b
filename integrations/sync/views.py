"""Customer pages of the ATS data sync, per integration: what is synced (records, checkpoint, last
run per resource), the sync settings (owners and admins), the runs (started, pages, records, warnings, errors, checkpoint) and one run
in detail with the ATS request ids of its calls. Scoped to the member's workspace: another
workspace's integration or run answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from integrations.registry import provider_for
from integrations.selectors import integration_get_for_workspace
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin

from .forms import SyncSettingsForm
from .models import SyncRun, SyncStatus
from .refresh import sync_settings_update
from .selectors import (
    sync_interval_minutes,
    sync_overview,
    sync_run_calls,
    sync_run_get_for_integration,
    sync_run_list_for_integration,
    synced_totals,
)
from .services import resource_label

# Status → the CSS badge class (static/css/app.css) it is shown with.
BADGES = {
    SyncStatus.RUNNING: "pending",
    SyncStatus.PAUSED: "pending",
    SyncStatus.FAILED: "error",
    SyncStatus.INTERRUPTED: "warning",
    SyncStatus.SUCCEEDED: "ok",
    SyncStatus.PARTIAL: "warning",
    SyncStatus.ABANDONED: "",
}


def _decorate(run: SyncRun | None) -> SyncRun | None:
    if run is not None:
        run.badge = BADGES.get(SyncStatus(run.status), "")  # type: ignore[attr-defined]
        run.resource_label = resource_label(run.resource)  # type: ignore[attr-defined]
    return run


class SyncBaseView(WorkspaceMixin, View):
    def base_context(self, integration_pk: int) -> dict[str, Any]:
        self.integration = integration_get_for_workspace(workspace=self.workspace, pk=integration_pk)
        provider = provider_for(self.integration)
        return {
            "integration": self.integration,
            "provider": provider,
            "resources": [(r, resource_label(r)) for r in provider.sync_resources],
            "sync_on": (self.integration.provider_settings or {}).get("sync_enabled", True) is not False,
            "interval": sync_interval_minutes(self.integration),
        }


class SyncRunListView(SyncBaseView):
    def get(
        self, request: HttpRequest, integration_pk: int, form: SyncSettingsForm | None = None
    ) -> HttpResponse:
        context = self.base_context(integration_pk)
        resource = request.GET.get("resource", "")
        if resource not in dict(context["resources"]):
            resource = ""
        overview = sync_overview(integration=self.integration)
        for item in overview:
            _decorate(item.last_run)
        runs = [
            _decorate(r)
            for r in sync_run_list_for_integration(integration=self.integration, resource=resource)
        ]
        shown = form or SyncSettingsForm(
            initial={"enabled": context["sync_on"], "interval_minutes": context["interval"]},
            refreshed_by_webhooks=context["provider"].sync_refreshed_by_webhooks,
        )
        context.update(
            overview=overview,
            runs=runs,
            resource=resource,
            form=shown,
            totals=synced_totals(integration=self.integration),
        )
        return render(request, "sync/runs.html", context, status=400 if form is not None else 200)

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        """The sync settings: owners and admins only."""
        if not self.membership.can_manage:
            raise PermissionDenied("Only workspace owners and admins can change the sync settings.")
        context = self.base_context(integration_pk)
        form = SyncSettingsForm(
            request.POST, refreshed_by_webhooks=context["provider"].sync_refreshed_by_webhooks
        )
        if not form.is_valid():
            return self.get(request, integration_pk, form=form)
        try:
            sync_settings_update(
                integration=self.integration,
                enabled=form.cleaned_data["enabled"],
                interval_minutes=form.cleaned_data["interval_minutes"],
                changed_by=getattr(request.user, "email", ""),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.get(request, integration_pk, form=form)
        messages.success(request, "Sync settings saved.")
        return redirect("sync:runs", integration_pk=integration_pk)


class SyncRunDetailView(SyncBaseView):
    def get(self, request: HttpRequest, integration_pk: int, run_pk: int) -> HttpResponse:
        context = self.base_context(integration_pk)
        run = _decorate(sync_run_get_for_integration(integration=self.integration, pk=run_pk))
        assert run is not None
        context.update(run=run, calls=sync_run_calls(run=run))
        return render(request, "sync/run_detail.html", context)
