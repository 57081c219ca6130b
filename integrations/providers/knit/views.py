"""The customer's Knit setup page, mounted at /integrations/<pk>/knit/ (namespace integration-knit)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from integrations.base import ATSError, ATSProvider
from integrations.models import Environment, Integration
from integrations.selectors import integration_get_for_workspace, webhook_url_for
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import constants
from .forms import KnitCredentialsForm, KnitSettingsForm, package_map_text
from .selectors import knit_assessment_secrets, knit_result_mode
from .services import (
    knit_assessment_secrets_confirm,
    knit_assessment_secrets_create,
    knit_assessment_secrets_discard_pending,
    knit_credentials_save,
    knit_previous_api_key_retire,
    knit_settings_update,
)


def _instruments(workspace) -> list[tuple[str, str]]:
    try:
        from assessments.services.runs import instrument_list

        offered = [(i.key, i.name) for i in instrument_list(workspace=workspace)]
    except NotImplementedError:  # assessments not wired yet: the product's three instruments
        offered = []
    return offered or [(key, key) for key in constants.INSTRUMENTS]


class _KnitIntegrationMixin(WorkspaceMixin):
    # The KnitProvider, set by provider.py when it builds these pages' URLs
    # (`as_view(provider=self)`): this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]

    def get_integration(self, integration_pk: int) -> Integration:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=integration_pk)
        if integration.provider != "knit":
            raise Http404("Not a Knit integration")
        return integration

    def simulator_allowed(self, integration: Integration) -> bool:
        return bool(settings.ATS_SIMULATORS_ENABLED and integration.environment == Environment.SANDBOX)

    def page(
        self,
        request: HttpRequest,
        integration: Integration,
        *,
        credentials_form=None,
        settings_form=None,
        status: int = 200,
    ) -> HttpResponse:
        provider_settings = integration.provider_settings or {}
        instruments = _instruments(self.workspace)
        context: dict[str, Any] = {
            "integration": integration,
            "provider": self.provider,
            "credentials_form": credentials_form
            or KnitCredentialsForm(
                initial={
                    "integration_id": integration.credential("integration_id", ""),
                    "use_simulator": bool(provider_settings.get("use_simulator")),
                },
                has_key=bool(integration.credential("api_key")),
                simulator_allowed=self.simulator_allowed(integration),
            ),
            "settings_form": settings_form
            or KnitSettingsForm(
                initial={
                    "default_instrument": provider_settings.get("default_instrument") or instruments[0][0],
                    "package_map": package_map_text(provider_settings.get("package_map") or {}),
                    "result_mode": knit_result_mode(integration=integration),
                },
                instruments=instruments,
            ),
            "has_key": bool(integration.credential("api_key")),
            "has_previous_key": bool(integration.credential("previous_api_key")),
            "secrets": knit_assessment_secrets(integration=integration),
            "webhook_url": request.build_absolute_uri(webhook_url_for(integration)),
            "uses_simulator": self.provider.uses_simulator(integration),
            "ashby_base_url": constants.ASHBY_WORKFLOW_BASE_URL,
            "update_body_unpublished": constants.UPDATE_BODY_UNPUBLISHED,
            "event_statuses": list(constants.EVENT_STATUS.items()),
        }
        return render(request, "integrations/providers/knit/setup.html", context, status=status)


class KnitSetupView(_KnitIntegrationMixin, View):
    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        return self.page(request, self.get_integration(integration_pk))

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.get_integration(integration_pk)
        if not self.membership.can_manage:
            raise PermissionDenied("Only workspace owners and admins can change the Knit setup.")
        form = KnitCredentialsForm(
            request.POST,
            has_key=bool(integration.credential("api_key")),
            simulator_allowed=self.simulator_allowed(integration),
        )
        if not form.is_valid():
            return self.page(request, integration, credentials_form=form, status=400)
        data = form.cleaned_data
        try:
            outcome = knit_credentials_save(
                integration=integration,
                api_key=data["api_key"],
                integration_id=data["integration_id"],
                use_simulator=data.get("use_simulator") if "use_simulator" in form.fields else False,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.page(request, integration, credentials_form=form, status=400)
        integration.refresh_from_db()
        if outcome.ok:
            messages.success(
                request, "Knit accepted the API key and integration id. Hand the secrets below to Ashby."
            )
        elif not outcome.judged:
            # Knit could not judge them: a connected integration's setup is still complete (the
            # sentence says whether new credentials now wait for a check), so no "not complete".
            messages.warning(request, outcome.message)
        else:
            messages.error(request, f"Knit setup is not complete: {outcome.message}")
        return redirect("integrations:integration-knit:setup", integration_pk=integration.pk)


class KnitSetupActionView(_KnitIntegrationMixin, View):
    """POST-only: settings, secrets create / confirm / discard, retire the previous Knit API key."""

    manage_required = True

    def post(self, request: HttpRequest, integration_pk: int, action: str) -> HttpResponse:
        integration = self.get_integration(integration_pk)
        try:
            if action == "settings":
                form = KnitSettingsForm(request.POST, instruments=_instruments(self.workspace))
                if not form.is_valid():
                    return self.page(request, integration, settings_form=form, status=400)
                knit_settings_update(integration=integration, **form.cleaned_data)
                messages.success(request, "Assessment settings saved.")
            elif action == "secrets-create":
                state = knit_assessment_secrets_create(integration=integration, provider=self.provider)
                messages.success(
                    request,
                    "New secrets created. Give the new API key to Ashby, then confirm below; "
                    "the current key keeps working until then."
                    if state == "pending"
                    else "Secrets created: hand them to Ashby.",
                )
            elif action == "secrets-confirm":
                knit_assessment_secrets_confirm(integration=integration, provider=self.provider)
                messages.success(
                    request,
                    "Confirmed: Ashby uses the new API key; JobCannon retired the previous one "
                    "(see Recent activity if Knit support must revoke it).",
                )
            elif action == "secrets-discard":
                knit_assessment_secrets_discard_pending(integration=integration, provider=self.provider)
                messages.success(request, "The unconfirmed secret was discarded.")
            elif action == "retire-previous-key":
                knit_previous_api_key_retire(integration=integration)
                messages.success(request, "Previous Knit API key retired.")
            else:
                raise Http404(f"No Knit action {action!r}")
        except ATSError as exc:
            messages.error(request, f"Knit refused: {exc.message}")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("integrations:integration-knit:setup", integration_pk=integration.pk)


def integration_urlpatterns(provider: ATSProvider) -> list:
    return [
        path("setup/", KnitSetupView.as_view(provider=provider), name="setup"),
        path("setup/<slug:action>/", KnitSetupActionView.as_view(provider=provider), name="action"),
    ]
