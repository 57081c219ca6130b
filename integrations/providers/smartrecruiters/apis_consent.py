"""The consent endpoint SmartRecruiters opens when a company connects JobCannon in its Apps &
Integrations: `GET /integration?companyId=<id>` ("askForConsent", assessment-partner-app.json,
reference §2.2; "Shows consent form on partner side"). SR shows it in a pop-up widget or as a
redirect (SRD /docs/customer-experience, "Authorization and Authentication").

A JobCannon workspace admin signs in, picks the SmartRecruiters integration this company is, and
allows it; we then run the handshake SRD /reference/askforconsent lists (setup.partner_register):
create client credentials for SR, take a token with our master credentials, POST them to
setUpIntegration, keep the company credentials SR answers with.

The companyId comes from the URL, which anyone can type, and SR signs nothing in it (SRO
consentUrl: "SmartRecruiters will add URL query parameters: companyId and redirect"). So the
company credentials (jobs, candidates' personal data, results) are stored only for a workspace
that has shown the company is its own [I: our rule, SR publishes none for partners]:
- the chosen integration's OAuth sign-in belongs to that company (GET /configuration/company with
  its token names it, asked at the Allow: a sign-in to another company is refused, 409), or
- SR accepted a registration of that company for this integration before (re-consent after SR
  revoked or the company removed JobCannon);
and no other workspace's live integration holds a registration of it (409). Without a sign-in the
page says how to sign in first (403). A workspace with no SmartRecruiters integration can no longer
be created from here: nothing could show the company is its own (the earlier consent-only create
let any workspace admin who knew a companyId bind it first).

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

from integrations.base import ATSError, ATSProvider
from integrations.models import Integration, IntegrationStatus
from integrations.services.integrations import integration_credentials_check
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import constants, selectors, setup
from .client import SmartRecruitersClient

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
            **extra,
        }

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
            # The consent-only create of earlier versions: nothing here shows the company is this
            # workspace's, so it is refused with the way to show it (module docstring).
            return render(
                request,
                T,
                self._context(
                    request, company_id, error=constants.CONSENT_SIGN_IN_FIRST.format(company_id=company_id)
                ),
                status=403,
            )
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
        problem, status = self._company_proof_problem(integration, company_id)
        if not problem and selectors.company_registered_elsewhere(
            integration=integration, company_id=company_id
        ):
            # Checked after the proof, so a workspace that cannot show the company learns nothing
            # about who else uses JobCannon with it.
            problem, status = constants.CONSENT_COMPANY_ELSEWHERE.format(company_id=company_id), 409
        if problem:
            return render(request, T, self._context(request, company_id, error=problem), status=status)
        return self._register(request, integration, company_id)

    def _company_proof_problem(self, integration: Integration, company_id: str) -> tuple[str, int]:
        """("", 0) when this workspace has shown `company_id` is its own, else the page's
        explanation and status (module docstring)."""
        if selectors.provider_settings(integration).get("registered_company_id") == company_id:
            return "", 0  # SR accepted this company for this integration before: a re-consent
        if not selectors.has_oauth_token(integration):
            return constants.CONSENT_INTEGRATION_SIGN_IN_FIRST.format(company_id=company_id), 403
        try:
            # Asked now, not read from settings: the token is the proof, whatever was stored.
            company = SmartRecruitersClient(integration, self.provider).company()
        except ATSError as exc:
            return constants.CONSENT_COMPANY_UNCONFIRMED.format(
                reason=exc.message, company_id=company_id
            ), 502
        if company.id != company_id:
            return (
                f"This SmartRecruiters integration is signed in to company {company.id}, not {company_id}: "
                f"sign in with SmartRecruiters as a user of company {company_id} (Re-authorize), or choose "
                "the integration signed in to it.",
                409,
            )
        return "", 0

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
