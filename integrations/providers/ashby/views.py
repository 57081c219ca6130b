"""Customer pages for Ashby, at /integrations/<pk>/ashby/: the partner API key Ashby uses to call
us (issued by JobCannon, shown once, rotatable) and the partner base URL to paste into Ashby."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views import View

from integrations.base import ATSProvider
from integrations.selectors import integration_get_for_workspace
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import services


class PartnerKeyView(WorkspaceMixin, View):
    template_name = "integrations/providers/ashby/partner_key.html"
    # The AshbyProvider, set by provider.py when it builds this page's URL (`as_view(provider=self)`):
    # this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]

    def _integration(self, pk: int):
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        if integration.provider != "ashby":
            from django.http import Http404

            raise Http404("Not an Ashby integration")
        return integration

    def _render(
        self, request: HttpRequest, integration, new_key: str = "", status: int = 200
    ) -> HttpResponse:
        provider: Any = self.provider  # AshbyProvider: partner_base_url is Ashby's
        response = render(
            request,
            self.template_name,
            {
                "integration": integration,
                "provider": provider,
                "new_key": new_key,
                "has_key": services.partner_key_issued(integration),
                "issued_at": (integration.provider_settings or {}).get("partner_key_issued_at", ""),
                "partner_base_url": provider.partner_base_url(integration),
                "can_manage": self.membership.can_manage,
            },
            status=status,
        )
        # The key is on this page exactly once: never cache it anywhere.
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        return self._render(request, self._integration(integration_pk))

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self._integration(integration_pk)
        if not self.membership.can_manage:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only workspace owners and admins can issue the partner API key.")
        key = services.partner_key_issue(integration=integration)
        integration.refresh_from_db()
        return self._render(request, integration, new_key=key)


def integration_urlpatterns(provider: ATSProvider) -> list:
    return [path("partner-key/", PartnerKeyView.as_view(provider=provider), name="partner-key")]
