"""SmartRecruiters pages in the customer console, at /integrations/<pk>/smartrecruiters/:
the assessment catalog (our packages; jobs and their candidates by SR status, read from SR),
the scorecard field mapping, and the webhook setup choice."""

from __future__ import annotations

from typing import Any, Protocol, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views import View

from assessments.models import AssessmentRun
from assessments.services.runs import instrument_list
from integrations.base import ATSAuthError, ATSError, ATSProvider
from integrations.plugins import SimulatorsDisabled, plugin_for  # the sandbox is a dev/test plug-in
from integrations.selectors import integration_get_for_workspace
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import constants, mappers, selectors, services, setup
from .forms import ScorecardMapForm, WebhookApiForm

T = "integrations/providers/smartrecruiters/{}.html"
NS = "integrations:integration-smartrecruiters:"


class _IntegrationPage(WorkspaceMixin, View):
    # The SmartRecruitersProvider, set by provider.py when it builds these pages' URLs
    # (`as_view(provider=self)`): this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.integration_pk = kwargs["integration_pk"]

    def integration(self):
        integration = integration_get_for_workspace(workspace=self.workspace, pk=self.integration_pk)
        if integration.provider != constants.KEY:
            from django.http import Http404

            raise Http404("Not a SmartRecruiters integration")
        return integration


class SmartRecruitersCatalogView(_IntegrationPage):
    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.integration()
        # SmartRecruitersProvider (its reads_client): typed ATSProvider on the base class, which
        # this module keeps so as not to import provider.py.
        provider: Any = self.provider
        packages = [mappers.package_body(i) for i in instrument_list(workspace=self.workspace)]
        runs = {
            (r.external_candidate_id, r.external_job_id): r
            for r in AssessmentRun.objects.filter(integration=integration).only(
                "id", "status", "external_candidate_id", "external_job_id"
            )
        }
        jobs: list[dict[str, Any]] = []
        error = ""
        try:
            # The company credentials once SR issued them, else the OAuth token (README calls
            # table): an integration connected by consent alone has no OAuth token.
            client: Any = provider.reads_client(integration)
            candidates_client: Any = provider.reads_client(integration, constants.SCOPE_CANDIDATES_READ)
            for job in client.jobs():
                candidates = candidates_client.candidates(job_id=job.id)
                # SR publishes no per-job stages: the candidates are shown by SR's status, the
                # company's sub-status beside each (constants.CANDIDATE_STATUSES).
                jobs.append(
                    {
                        "job": job,
                        "statuses": [
                            {
                                "status": status,
                                "label": mappers.status_label(status),
                                "candidates": [
                                    {"c": c, "run": runs.get((c.id, job.id))}
                                    for c in candidates
                                    if c.status == status
                                ],
                            }
                            for status in constants.CANDIDATE_STATUSES
                        ],
                    }
                )
        except ATSError as exc:
            error = exc.message
        return render(
            request,
            T.format("catalog"),
            {
                "integration": integration,
                "packages": packages,
                "jobs": jobs,
                "error": error,
            },
        )


class SmartRecruitersScorecardView(_IntegrationPage):
    def _form(self, integration, data=None):
        fields = self.provider.client(integration).custom_fields()
        return ScorecardMapForm(data, custom_fields=fields, current=selectors.scorecard_map(integration))

    def _needs_sign_in(self, integration) -> str:
        """Why the custom fields cannot be read: they need the optional OAuth sign-in
        (configuration_read, candidates_manage: not on the company token, constants.COMPANY_TOKEN_SCOPES),
        which this integration does not hold (never signed in, or SR stopped taking it); "" when held."""
        if selectors.has_oauth_token(integration):
            return ""
        lapsed = selectors.oauth_lapsed_reason(integration)
        results = (
            constants.SCORECARD_RESULTS_WITHOUT_SIGN_IN
            if selectors.has_company_credentials(integration)
            else constants.SCORECARD_RESULTS_NEED_SIGN_IN
        )
        return constants.SCORECARD_NEEDS_SIGN_IN + results + (f" It lapsed: {lapsed}." if lapsed else "")

    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.integration()
        needs_sign_in = self._needs_sign_in(integration)
        form, error = None, ""
        if not needs_sign_in:
            try:
                form = self._form(integration)
            except ATSAuthError as exc:
                # SR refused the sign-in just now (a refused refresh forgets it: oauth_sign_in_lapsed).
                needs_sign_in, error = self._needs_sign_in(integration), exc.message
            except ATSError as exc:
                error = exc.message
        return render(
            request,
            T.format("scorecard"),
            {
                "integration": integration,
                "form": form,
                "error": "" if needs_sign_in else error,
                "needs_sign_in": needs_sign_in,
            },
            status=200 if form or needs_sign_in else 502,
        )

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        if not self.membership.can_manage:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only workspace owners and admins can do this.")
        integration = self.integration()
        needs_sign_in = self._needs_sign_in(integration)
        if needs_sign_in:
            messages.error(request, needs_sign_in)
            return redirect(NS + "scorecard", integration_pk=integration.pk)
        try:
            form = self._form(integration, request.POST)
        except ATSError as exc:
            messages.error(request, exc.message)
            return redirect(NS + "scorecard", integration_pk=integration.pk)
        if not form.is_valid():
            return render(
                request, T.format("scorecard"), {"integration": integration, "form": form}, status=400
            )
        services.scorecard_map_save(integration=integration, field_map=form.field_map())
        messages.success(request, "Scorecard mapping saved: the next results fill these fields.")
        return redirect(NS + "scorecard", integration_pk=integration.pk)


class SmartRecruitersWebhookSetupView(_IntegrationPage):
    manage_required = True

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.integration()
        form = WebhookApiForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose how SmartRecruiters delivers webhooks.")
            return redirect("integrations:detail", pk=integration.pk)
        services.settings_update(
            integration=integration, changes={"webhook_api": form.cleaned_data["webhook_api"]}
        )
        if not selectors.has_oauth_token(integration):
            # Both webhook APIs take only the customer's OAuth token (webhooks_manage), never the
            # company credentials: nothing to call, and the subscription state (needs_sign_in after
            # a lapse) stays as it is until a sign-in works (provider.on_connected subscribes then).
            lapsed = selectors.oauth_lapsed_reason(integration)
            messages.warning(
                request,
                "Saved. "
                + (constants.OAUTH_LAPSED.format(reason=lapsed) if lapsed else constants.WEBHOOKS_NEED_OAUTH),
            )
            return redirect("integrations:detail", pk=integration.pk)
        try:
            setup.webhooks_subscribe(integration, self.provider.client(integration))
        except ATSError as exc:
            messages.error(request, f"Saved, but subscribing failed: {exc.message}")
        else:
            messages.success(request, "Webhook subscription updated.")
        return redirect("integrations:detail", pk=integration.pk)


def _scope_rows(integration, *, consent_only: bool) -> list[dict[str, Any]]:
    """Requested vs granted, one row per scope (what we ask for now, and what the current token
    was granted, including scopes granted beyond the request). Connected by consent alone, the
    granted ones are the company credentials' (constants.COMPANY_TOKEN_SCOPES, `company`).
    `authorized`: an OAuth sign-in has asked SR for the scopes; before one nothing was requested
    (SR's consent asks for none: SRD /docs/integration-workflow), so the page says they are asked
    only at the optional sign-in."""
    stored = selectors.scopes_requested_granted(integration)
    authorized = stored is not None
    requested_now = list(selectors.requested_scopes(integration))
    if stored is None and consent_only:
        stored = (requested_now, list(constants.COMPANY_TOKEN_SCOPES))
    requested, granted = stored if stored is not None else (requested_now, [])
    names = list(dict.fromkeys([*requested_now, *requested, *granted]))
    return [
        {
            "name": name,
            "requested": name in requested_now,
            "authorized": authorized,
            "granted": None if stored is None else name in granted,
            "company": consent_only and name in constants.COMPANY_TOKEN_SCOPES,
        }
        for name in names
    ]


class _SandboxPages(Protocol):
    def company_page_url(self, company_id: str) -> str: ...


def _sandbox_company_url(provider: ATSProvider, company_id: str) -> str:
    """The built-in sandbox's page of this company, as its plug-in serves it (production code
    names no simulator, not even its URLs: README "Layout"); "" where simulators are off."""
    try:
        plugin = plugin_for(provider.key)
    except SimulatorsDisabled:
        return ""
    # SmartRecruiters' own plug-in (simulator_plugin.py) offers the company page.
    return cast(_SandboxPages, plugin).company_page_url(company_id)


def detail_context(provider: ATSProvider, integration) -> dict[str, Any]:
    provider_settings = selectors.provider_settings(integration)
    simulated = provider.uses_simulator(integration)
    company_id = provider_settings.get("company_id") or ("co-" + integration.public_id.hex[:12])
    consent_only = selectors.consent_only(integration)  # webhooks wait on the OAuth sign-in
    return {
        "sr": {
            "api_base": provider.api_base_url(integration),
            "simulated": simulated,
            "simulator_url": _sandbox_company_url(provider, company_id) if simulated else "",
            "company": provider_settings.get("company_name", ""),
            "scope_warning": selectors.scope_warning(integration),
            "scopes": _scope_rows(integration, consent_only=consent_only),
            "consent_only": consent_only,
            "company_credentials": selectors.has_company_credentials(integration),
            # SR refused the ones we held (services.company_credentials_refused): when, and how
            # many result write-backs wait for the company's consent.
            "credentials_refused_at": provider_settings.get("company_credentials_refused_at", ""),
            "results_held": services.results_held(integration=integration).count(),
            "partner_error": provider_settings.get("partner_error", ""),
            "consent_url": setup.partner_base_url() + "integration",
            "subscription": selectors.subscription_state(integration),
            "events": selectors.webhook_event_rows(integration),
            "webhook_form": WebhookApiForm(initial={"webhook_api": selectors.webhook_api(integration)}),
            "seed_webhook_url": setup.seed_target_url(),
            "partner_base_url": setup.partner_base_url(),
            "partner_client_id": integration.credential("partner_client_id", ""),
            "partner_registered": provider_settings.get("partner_registered"),
            "scorecard_fields": selectors.scorecard_map(integration),
            "catalog_url": reverse(NS + "catalog", args=[integration.pk]),
            "scorecard_url": reverse(NS + "scorecard", args=[integration.pk]),
            "webhook_setup_url": reverse(NS + "webhook-setup", args=[integration.pk]),
        }
    }


def integration_urlpatterns(provider: ATSProvider) -> list:
    return [
        path("catalog/", SmartRecruitersCatalogView.as_view(provider=provider), name="catalog"),
        path("scorecard/", SmartRecruitersScorecardView.as_view(provider=provider), name="scorecard"),
        path("webhooks/", SmartRecruitersWebhookSetupView.as_view(provider=provider), name="webhook-setup"),
    ]
