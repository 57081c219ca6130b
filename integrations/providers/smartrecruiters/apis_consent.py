"""The consent endpoint SmartRecruiters opens when a company connects JobCannon in its Apps &
Integrations: `GET /integration?companyId=<id>` ("askForConsent", assessment-partner-app.json,
reference §2.2; "Shows consent form on partner side"). SR shows it in a pop-up widget or as a
redirect (SRD /docs/customer-experience, "Authorization and Authentication").

A JobCannon workspace admin signs in, picks the SmartRecruiters integration this company is, and
allows it (refused, 409, when that integration is bound to another company); we then run the handshake SRD /reference/askforconsent lists (setup.partner_register):
create client credentials for SR, take a token with our master credentials, POST them to
setUpIntegration, keep the company credentials SR answers with.

A workspace with no SmartRecruiters integration yet (a tenant starting from SR's Apps &
Integrations) gets one here: the admin confirms, a pending integration is created bound to SR's
companyId (sandbox when SR is the built-in sandbox, else production), registered as above and
connected with the company credentials alone: SRD /docs/integration-workflow gives those
credentials the job and candidate reads and the results; the customer's own OAuth app is
optional (webhook subscriptions only). companyId and redirect survive the confirmation; a member
who is not an admin sees who can allow it.

In REDIRECT display mode SR adds `redirect` to the query (SRO PartnerConfiguration.consentUrl:
"SmartRecruiters will add URL query parameters: companyId and redirect"): once allowed, the admin
is sent back there, but only to a SmartRecruiters host (or the built-in sandbox): never an open
redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from integrations.base import ATSProvider
from integrations.models import Environment, Integration, IntegrationStatus
from integrations.services.integrations import integration_create, integration_credentials_check
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import constants, selectors, setup

T = "integrations/providers/smartrecruiters/consent.html"


class SmartRecruitersConsentView(WorkspaceMixin, View):
    # The SmartRecruitersProvider, set by provider.py when it builds this page's URL
    # (`as_view(provider=self)`): this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]

    def _context(self, request: HttpRequest, company_id: str, **extra) -> dict:
        integrations = Integration.objects.filter(workspace=self.workspace, provider=constants.KEY).order_by(
            "environment", "pk"
        )
        return {
            "company_id": company_id,
            "redirect": self._redirect(request),
            "integrations": integrations,
            "can_manage": self.membership.can_manage,
            "new_environment": self._environment(request),
            "webhooks_need_oauth": constants.WEBHOOKS_NEED_OAUTH,
            **extra,
        }

    def _environment(self, request: HttpRequest) -> str:
        """A new integration's environment: the built-in sandbox when SR's `redirect` points at
        it (the sandbox's Apps & Integrations opened this page), else production."""
        redirect_url = self._redirect(request)
        sandbox = settings.ATS_SIMULATORS_ENABLED and redirect_url.startswith(
            setup.simulator_base_url() + "/"
        )
        return Environment.SANDBOX if sandbox else Environment.PRODUCTION

    def _create(self, request: HttpRequest, company_id: str) -> Integration:
        """A pending SmartRecruiters integration bound to SR's companyId (no OAuth app)."""
        environment = self._environment(request)
        provider_settings: dict = {"company_id": company_id}
        if environment == Environment.SANDBOX:
            provider_settings["use_simulator"] = True
        return integration_create(
            workspace=self.workspace,
            provider=constants.KEY,
            environment=environment,
            # AuthKind has no "partner consent" kind: the OAuth sign-in stays optional on it.
            auth_kind="oauth2",
            region="us",  # [I] SR serves every company from one host; residency is shown later
            created_by=request.user,
            provider_settings=provider_settings,
        )

    def _company_id(self, request: HttpRequest) -> str:
        return (request.POST.get("companyId") or request.GET.get("companyId") or "").strip()[:200]

    def _redirect(self, request: HttpRequest) -> str:
        """SR's `redirect` parameter when it points at SmartRecruiters, else ""."""
        url = (request.POST.get("redirect") or request.GET.get("redirect") or "").strip()[:2000]
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        on_sr = parts.scheme == "https" and any(
            host == h or host.endswith("." + h) for h in constants.CONSENT_REDIRECT_HOSTS
        )
        sandbox = settings.ATS_SIMULATORS_ENABLED and url.startswith(setup.simulator_base_url() + "/")
        return url if (on_sr or sandbox) and "\\" not in url else ""

    def get(self, request: HttpRequest) -> HttpResponse:
        company_id = self._company_id(request)
        if not company_id:
            return render(
                request,
                T,
                self._context(request, "", error="SmartRecruiters opened this page without a companyId."),
                status=400,
            )
        return render(request, T, self._context(request, company_id))

    def post(self, request: HttpRequest) -> HttpResponse:
        company_id = self._company_id(request)
        if not self.membership.can_manage:
            return render(
                request,
                T,
                self._context(
                    request, company_id, error="Only workspace owners and admins can connect JobCannon."
                ),
                status=403,
            )
        if request.POST.get("create") and company_id and not self._context(request, "")["integrations"]:
            try:
                created = self._create(request, company_id)
            except ApplicationError as exc:
                return render(request, T, self._context(request, company_id, error=exc.message), status=409)
            return self._register(request, created, company_id)
        integration = (
            Integration.objects.filter(
                workspace=self.workspace, provider=constants.KEY, pk=request.POST.get("integration") or 0
            ).first()
            if str(request.POST.get("integration", "")).isdigit()
            else None
        )
        if not company_id or integration is None:
            return render(
                request,
                T,
                self._context(
                    request, company_id, error="Choose the SmartRecruiters integration to connect."
                ),
                status=400,
            )
        mismatch = selectors.company_mismatch_reason(integration, company_id)
        if mismatch:
            # The companyId in SR's URL must be the company this integration's OAuth sign-in
            # verified: a registration for another company would rebind it.
            return render(request, T, self._context(request, company_id, error=mismatch), status=409)
        return self._register(request, integration, company_id)

    def _register(self, request: HttpRequest, integration: Integration, company_id: str) -> HttpResponse:
        ok = setup.partner_register(self.provider, integration, company_id=company_id, force=True)
        integration.refresh_from_db()
        if (
            ok
            and integration.status != IntegrationStatus.CONNECTED
            and not selectors.has_oauth_token(integration)
        ):
            # Created here (or by an earlier consent SR refused): nothing else to sign in to, the
            # company credentials SR just issued connect it.
            ok = integration_credentials_check(integration=integration)
            integration.refresh_from_db()
            if not ok:
                return render(
                    request,
                    T,
                    self._context(
                        request, company_id, integration=integration, error=integration.status_reason or ""
                    ),
                    status=502,
                )
        if ok and self._redirect(request):
            return redirect(self._redirect(request))  # back to SmartRecruiters (REDIRECT mode)
        return render(
            request,
            T,
            self._context(
                request,
                company_id,
                done=ok,
                integration=integration,
                error="" if ok else (integration.provider_settings or {}).get("partner_error", ""),
            ),
            status=200 if ok else 502,
        )
