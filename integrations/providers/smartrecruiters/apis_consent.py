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
- the company's self-serve client credentials, pasted on this page (or stored before): SR's
  Credential Manager lets any company administrator generate an "OAuth client ID" (SRD
  /docs/authentication-oauth-client-credential [F]); we take a client-credentials token at the
  documented token URL and GET /configuration/company must name the companyId in `identifier`
  (SRO CompanyConfiguration [F]); stored encrypted only once it did;
- or the chosen integration's OAuth sign-in belongs to that company (existing integrations: SR
  registers authorization-code apps for partners, not customers, so new ones come the first way);
- or SR accepted a registration of that company for this integration before (re-consent after SR
  revoked or the company removed JobCannon);
and no other workspace's live integration holds a registration of it (409). A credential of
another company is refused (409); a secret SR refuses is a readable error naming what to check
(400). A workspace with no SmartRecruiters integration gets one here only with such a proof.

In REDIRECT display mode SR adds `redirect` to the query (SRO PartnerConfiguration.consentUrl:
"SmartRecruiters will add URL query parameters: companyId and redirect"): once allowed, the admin
is sent back there, but only to a SmartRecruiters host (or the built-in sandbox): never an open
redirect."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from integrations.base import ATSError, ATSPermissionError, ATSProvider
from integrations.models import Environment, Integration, IntegrationStatus
from integrations.plugins import simulator_plugin_get  # the sandbox is a dev/test plug-in
from integrations.services.integrations import integration_create, integration_credentials_check
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import constants, selectors, services, setup
from .client import CustomerCredentialsRefused, SmartRecruitersClient, SmartRecruitersCustomerClient
from .forms import ConsentCredentialsForm

T = "integrations/providers/smartrecruiters/consent.html"


class _SandboxCredentials(Protocol):
    def credentials_page_url(self, company_id: str) -> str: ...


class SmartRecruitersConsentView(WorkspaceMixin, View):
    # The SmartRecruitersProvider, set by provider.py when it builds this page's URL
    # (`as_view(provider=self)`): this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]

    def _context(self, request: HttpRequest, company_id: str, **extra: Any) -> dict:
        integrations = Integration.objects.filter(workspace=self.workspace, provider=constants.KEY).order_by(
            "environment", "pk"
        )
        return {
            "company_id": company_id,
            "redirect": self._redirect(request),
            "integrations": integrations,
            "can_manage": self.membership.can_manage,
            "credentials_form": extra.pop("credentials_form", None) or ConsentCredentialsForm(),
            "credentials_where": constants.CUSTOMER_CREDENTIALS_WHERE,
            "sandbox_credentials_url": self._sandbox_credentials_url(request, company_id, integrations),
            **extra,
        }

    def _sandbox_credentials_url(
        self, request: HttpRequest, company_id: str, integrations: Iterable[Integration]
    ) -> str:
        """The built-in sandbox's Settings → Apps & Integrations → Credentials page of the company
        (where the sandbox makes the credentials CUSTOMER_CREDENTIALS_WHERE names); "" unless the
        sandbox opened this page or one of the integrations points at it, and it holds the company."""
        plugin = simulator_plugin_get(constants.KEY)
        simulated = self._environment(request) == Environment.SANDBOX or any(
            self.provider.uses_simulator(i) for i in integrations
        )
        if plugin is None or not company_id or not simulated:
            return ""
        # SmartRecruiters' own plug-in (simulator_plugin.py) offers the page.
        return cast(_SandboxCredentials, plugin).credentials_page_url(company_id)

    def _page(self, request: HttpRequest, company_id: str, status: int = 200, **extra: Any) -> HttpResponse:
        return render(request, T, self._context(request, company_id, **extra), status=status)

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

    def _environment(self, request: HttpRequest) -> str:
        """A new integration's environment: the built-in sandbox when SR's `redirect` points at
        it (the sandbox's Apps & Integrations opened this page), else production."""
        sandbox = settings.ATS_SIMULATORS_ENABLED and self._redirect(request).startswith(
            setup.simulator_base_url() + "/"
        )
        return Environment.SANDBOX if sandbox else Environment.PRODUCTION

    def get(self, request: HttpRequest) -> HttpResponse:
        company_id = self._company_id(request)
        if not company_id:
            return self._page(request, "", 400, error="SmartRecruiters opened this page without a companyId.")
        return self._page(request, company_id)

    def post(self, request: HttpRequest) -> HttpResponse:
        company_id = self._company_id(request)
        if not self.membership.can_manage:
            return self._page(
                request, company_id, 403, error="Only workspace owners and admins can connect JobCannon."
            )
        form = ConsentCredentialsForm(request.POST)
        if not form.is_valid():
            return self._page(
                request,
                company_id,
                400,
                credentials_form=form,
                error=constants.CONSENT_CUSTOMER_CREDENTIALS_MISSING,
            )
        pasted = form.credentials()
        if request.POST.get("create") and company_id and not self._context(request, "")["integrations"]:
            if pasted is None:
                # Nothing here shows the company is this workspace's: refused with the way to show it.
                error = constants.CONSENT_SIGN_IN_FIRST.format(company_id=company_id)
                return self._page(request, company_id, 403, credentials_form=form, error=error)
            return self._create(request, company_id, pasted, form)
        integration = (
            Integration.objects.filter(
                workspace=self.workspace, provider=constants.KEY, pk=request.POST.get("integration") or 0
            ).first()
            if str(request.POST.get("integration", "")).isdigit()
            else None
        )
        if not company_id or integration is None:
            return self._page(
                request,
                company_id,
                400,
                credentials_form=form,
                error="Choose the SmartRecruiters integration to connect.",
            )
        mismatch = selectors.company_mismatch_reason(integration, company_id)
        if mismatch:
            # The companyId in SR's URL must be the company this integration's credentials or
            # sign-in verified: a registration for another company would rebind it.
            return self._page(request, company_id, 409, credentials_form=form, error=mismatch)
        problem, status = self._company_proof_problem(integration, company_id, pasted)
        if not problem and selectors.company_registered_elsewhere(
            integration=integration, company_id=company_id
        ):
            # Checked after the proof, so a workspace that cannot show the company learns nothing
            # about who else uses JobCannon with it.
            problem, status = constants.CONSENT_COMPANY_ELSEWHERE.format(company_id=company_id), 409
        if problem:
            return self._page(request, company_id, status, credentials_form=form, error=problem)
        if pasted is not None:
            self._keep(integration, company_id, pasted)
        return self._register(request, integration, company_id)

    def _create(
        self, request: HttpRequest, company_id: str, pasted: tuple[str, str], form: ConsentCredentialsForm
    ) -> HttpResponse:
        """A workspace with no SmartRecruiters integration: created bound to nothing, proven with
        the pasted credentials, and removed again when they do not name the company."""
        environment = self._environment(request)
        try:
            integration = integration_create(
                workspace=self.workspace,
                provider=constants.KEY,
                environment=environment,
                # AuthKind has no "client credentials" kind: the OAuth sign-in stays optional on it.
                auth_kind="oauth2",
                region="us",  # [I] SR serves every company from one host; residency is a label
                created_by=request.user,
                provider_settings={"use_simulator": True} if environment == Environment.SANDBOX else {},
            )
        except ApplicationError as exc:
            return self._page(request, company_id, 409, credentials_form=form, error=exc.message)
        problem, status = self._credentials_problem(integration, company_id, pasted)
        if not problem and selectors.company_registered_elsewhere(
            integration=integration, company_id=company_id
        ):
            problem, status = constants.CONSENT_COMPANY_ELSEWHERE.format(company_id=company_id), 409
        if problem:
            integration.delete()
            return self._page(request, company_id, status, credentials_form=form, error=problem)
        self._keep(integration, company_id, pasted)
        return self._register(request, integration, company_id)

    def _keep(self, integration: Integration, company_id: str, pasted: tuple[str, str]) -> None:
        """The proven credentials, encrypted like every credential (Integration.credentials)."""
        services.credentials_update(
            integration=integration,
            changes={constants.CUSTOMER_CLIENT_ID: pasted[0], constants.CUSTOMER_CLIENT_SECRET: pasted[1]},
        )
        changes = {"company_name": getattr(self, "proven_company_name", "")}
        if not selectors.provider_settings(integration).get("company_id"):
            changes["company_id"] = company_id
        services.settings_update(integration=integration, changes={k: v for k, v in changes.items() if v})

    def _company_proof_problem(
        self, integration: Integration, company_id: str, pasted: tuple[str, str] | None
    ) -> tuple[str, int]:
        """("", 0) when this workspace has shown `company_id` is its own, else the page's
        explanation and status (module docstring)."""
        if pasted is not None:
            # Asked now, not read from settings: the credentials are the proof.
            return self._credentials_problem(integration, company_id, pasted)
        if selectors.provider_settings(integration).get("registered_company_id") == company_id:
            return "", 0  # SR accepted this company for this integration before: a re-consent
        if selectors.has_customer_credentials(integration):
            return self._credentials_problem(integration, company_id, None)
        if not selectors.has_oauth_token(integration):
            return constants.CONSENT_INTEGRATION_SIGN_IN_FIRST.format(company_id=company_id), 403
        try:
            company = SmartRecruitersClient(integration, self.provider).company()
        except ATSError as exc:
            return constants.CONSENT_COMPANY_UNCONFIRMED.format(
                reason=exc.message, company_id=company_id
            ), 502
        if company.id != company_id:
            return (
                f"This SmartRecruiters integration is signed in to company {company.id}, not {company_id}: "
                f"paste client credentials of company {company_id}, or choose the integration connected "
                "to it.",
                409,
            )
        return "", 0

    def _credentials_problem(
        self, integration: Integration, company_id: str, pasted: tuple[str, str] | None
    ) -> tuple[str, int]:
        """Take a client-credentials token with the company's self-serve credentials and ask SR
        which company they belong to (GET /configuration/company, SRO CompanyConfiguration
        `identifier`)."""
        client = SmartRecruitersCustomerClient(integration, self.provider, credentials=pasted)
        try:
            company = client.company()
        except CustomerCredentialsRefused as exc:
            return constants.CONSENT_CUSTOMER_CREDENTIALS_REFUSED.format(
                reason=exc.message, company_id=company_id
            ), 400
        except ATSPermissionError as exc:
            return constants.CONSENT_CUSTOMER_CREDENTIALS_SCOPE.format(reason=exc.message), 400
        except (ATSError, ValueError) as exc:
            reason = exc.message if isinstance(exc, ATSError) else str(exc)
            return constants.CONSENT_COMPANY_UNCONFIRMED.format(reason=reason, company_id=company_id), 502
        if company.id != company_id:
            return constants.CONSENT_CUSTOMER_CREDENTIALS_OTHER_COMPANY.format(
                found=company.id, company_id=company_id
            ), 409
        self.proven_company_name = company.name
        return "", 0

    def _register(self, request: HttpRequest, integration: Integration, company_id: str) -> HttpResponse:
        ok = setup.partner_register(self.provider, integration, company_id=company_id, force=True)
        integration.refresh_from_db()
        if ok and integration.status != IntegrationStatus.CONNECTED:
            # The company credentials SR just issued are what orders and results need, so the
            # consent reconnects: a first consent, and a re-consent after SR's company removal
            # (DELETE integrations/companies/{companyId} disconnected it). An OAuth token from the
            # optional sign-in survives that removal and restores nothing by itself; the check
            # below proves the new company credentials, then reads with the token and re-subscribes
            # the webhooks, or, when SR no longer takes it, forgets it with a warning
            # (provider.validate_credentials): the consent reconnects either way. credentials_changed:
            # SR just issued these company credentials, so a check SR cannot answer leaves the
            # integration pending on them (neither "removed" nor connected on an unchecked credential).
            outcome = integration_credentials_check(integration=integration, credentials_changed=True)
            integration.refresh_from_db()
            if not outcome.ok:
                return self._page(request, company_id, 502, integration=integration, error=outcome.message)
        if ok and self._redirect(request):
            return redirect(self._redirect(request))  # back to SmartRecruiters (REDIRECT mode)
        return self._page(
            request,
            company_id,
            200 if ok else 502,
            done=ok,
            integration=integration,
            error="" if ok else (integration.provider_settings or {}).get("partner_error", ""),
        )
