"""Customer pages of integrations: the list, the connect wizard, one integration's overview
with its health and actions, re-authorization (also through a shareable link), and the OAuth
callback. Logs, checklist and timelines are in console_views.py."""

from __future__ import annotations

import functools
from typing import Any

from csp.decorators import csp_exempt
from django import db
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from integrations.base import ATSProvider
from integrations.forms import (
    ApiKeyForm,
    CredentialsForm,
    IntegrationConnectForm,
    OAuthClientForm,
    WizardStartForm,
    provider_has_default_client,
    simulator_available,
)
from integrations.models import AuthKind, Integration, IntegrationStatus, Token
from integrations.registry import get_provider, get_providers, provider_for
from integrations.selectors import (
    LogFilters,
    integration_get_for_workspace,
    integration_is_hintless_candidate,
    integration_list_for_workspace,
    integration_webhook_url,
    log_entries_list,
    webhook_url_for,
)
from integrations.services.checklist import credentials_check_unjudged, integration_checklist
from integrations.services.health import integration_health, integration_health_list
from integrations.services.integrations import (
    CredentialsOutcome,
    connected_sentence,
    integration_connect_api_key,
    integration_create,
    integration_credentials_check,
    integration_credentials_save,
    integration_disconnect,
    webhook_secret_rotate,
)
from integrations.services.oauth import OAuthFlowError, oauth_callback, oauth_start, redirect_uri_for
from integrations.services.reconnect import (
    ReconnectLinkInvalid,
    reconnect_link_claim,
    reconnect_link_create,
    reconnect_link_release,
    reconnect_link_resolve,
    reconnect_link_used,
    reconnect_links_open_count,
    reconnect_links_revoke,
)
from integrations.services.webhook_intake import webhook_event_receive
from jobcannon.core.clientaddr import client_address
from jobcannon.core.exceptions import ApplicationError, Conflict, error_body
from jobcannon.workspaces.mixins import WorkspaceMixin

NEW_SECRET_KEY = "new_secret_{pk}"
OAUTH_NEXT_KEY = "integrations_oauth_next"
# A form shown again with its errors is a normal page that says what to fix: it answers 200,
# because browsers report any 4xx document as a console error.
FORM_ERROR_STATUS = 200


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(csp_exempt(), name="dispatch")
class WebhookReceiveView(View):
    """The one generic webhook endpoint: /webhooks/<provider>/<integration uuid>/ and the seeds'
    /<provider>/webhooks. Non-atomic on purpose: the service commits the row itself. Its answers
    are JSON for a machine, never a document a browser renders, so no Content-Security-Policy is
    built for them (nosniff still applies; building the policy was ~8 % of a delivery's CPU)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, provider: str, public_id: str | None = None) -> HttpResponse:
        get_provider(provider)  # 404 for an unknown provider
        body = request.body
        if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
            return JsonResponse(error_body("payload_too_large", "Webhook body exceeds 1 MiB."), status=413)
        headers = {k: v for k, v in request.headers.items()}
        receive = functools.partial(
            webhook_event_receive,
            provider_key=provider,
            integration_public_id=public_id,
            body=body,
            headers=headers,
            query=request.GET.dict(),
            remote_addr=client_address(request),
            path=request.path,
        )
        try:
            result = receive()
        except (db.OperationalError, db.InterfaceError):
            # A connection the server dropped (database restart; the machine stack skips the
            # per-request health check, jobcannon/core/wsgi.py): once more on a fresh one. Each
            # intake statement commits on its own and the dedupe key makes a repeat a duplicate.
            conn = db.connection
            if conn.in_atomic_block or conn.is_usable():
                raise
            conn.close()
            result = receive()
        response = JsonResponse(result.body, status=result.status_code)
        for name, value in result.headers.items():
            response[name] = value
        if result.status_code >= 400:
            # One line per refused delivery: the intake logged why (webhook.rejected, or
            # webhook.rate_limited, DEBUG for the scan budget's 429) and the access line has the
            # status. Django's own "Unauthorized: /…" / "Too Many Requests: /…" warning on top was
            # a third line, by the thousand under a junk flood (benchmarks section 7).
            response._has_been_logged = True  # type: ignore[attr-defined]  # see log_response
        return response


class IntegrationListView(WorkspaceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        integrations = list(integration_list_for_workspace(workspace=self.workspace))
        health = integration_health_list(integrations=integrations)
        return render(
            request,
            "integrations/list.html",
            {"rows": [health[i.pk] for i in integrations]},
        )


# --- Connect wizard ----------------------------------------------------------------------------


class IntegrationConnectView(WorkspaceMixin, View):
    """Step 0: choose the ATS. (POST keeps the one-form connect for scripted use.)"""

    manage_required = True

    def get(self, request: HttpRequest) -> HttpResponse:
        chosen = request.GET.get("provider", "")
        if chosen in get_providers():
            return redirect("integrations:wizard", provider=chosen)
        existing: dict[str, list[Integration]] = {}
        for integration in integration_list_for_workspace(workspace=self.workspace):
            existing.setdefault(integration.provider, []).append(integration)
        cards = [
            {
                "provider": p,
                "existing": existing.get(p.key, []),
                "simulator": simulator_available(p),
                "auth": [k for k in p.auth_kinds],
            }
            for p in get_providers().values()
            if not p.hidden
        ]
        return render(request, "integrations/connect.html", {"cards": cards})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IntegrationConnectForm(request.POST)
        if not form.is_valid():
            messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect("integrations:connect")
        data = form.cleaned_data
        creds = {k: data[k] for k in ("client_id", "client_secret") if data.get(k)}
        try:
            integration = integration_create(
                workspace=self.workspace,
                provider=data["provider"],
                environment=data["environment"],
                auth_kind=data["auth_kind"],
                region=data.get("region", ""),
                created_by=request.user,
                credentials=creds,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("integrations:connect")
        if data["auth_kind"] == AuthKind.OAUTH2:
            return redirect(oauth_start(integration=integration, user=request.user, session=request.session))
        outcome = integration_connect_api_key(integration=integration, api_key=data["api_key"])
        if outcome.ok:
            messages.success(request, connected_sentence("Connected: the API key works.", integration))
        else:
            (messages.error if outcome.judged else messages.warning)(
                request, _failed_message("The API key did not work:", outcome)
            )
        return redirect("integrations:detail", pk=integration.pk)


def _failed_message(head: str, outcome: CredentialsOutcome) -> str:
    """A failed check's flash: `head` only when the ATS judged the credentials; an ATS that
    could not be reached said nothing about them, and its sentence says so."""
    message = outcome.message or "The check failed."
    return f"{head} {message}" if outcome.judged and head else message


def _flash_outcome(
    request: HttpRequest,
    outcome: CredentialsOutcome,
    head: str,
    integration: Integration,
    *,
    failed_head: str = "",
) -> None:
    """A credentials check's flash: success with what is still missing (`connected_sentence`),
    an error when the ATS refused the credentials (after `failed_head`), a warning when it could
    not judge them (nothing is wrong with them as far as anyone knows)."""
    if outcome.ok:
        integration.refresh_from_db()
        messages.success(request, connected_sentence(head, integration))
    else:
        (messages.error if outcome.judged else messages.warning)(
            request, _failed_message(failed_head, outcome)
        )


class IntegrationWizardView(WorkspaceMixin, View):
    """Step 1: environment, region, sign-in method (and the built-in simulator for a sandbox)."""

    manage_required = True

    def _render(self, request, provider: ATSProvider, form: WizardStartForm, status: int = 200, **extra):
        existing = {
            i.environment: i
            for i in integration_list_for_workspace(workspace=self.workspace).filter(provider=provider.key)
        }
        return render(
            request,
            "integrations/wizard_start.html",
            {"provider": provider, "form": form, "existing": existing, **extra},
            status=status,
        )

    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        prov = get_provider(provider)
        initial: dict[str, Any] = {}
        if simulator_available(prov):
            initial["use_simulator"] = True
        return self._render(request, prov, WizardStartForm(provider=prov, initial=initial))

    def post(self, request: HttpRequest, provider: str) -> HttpResponse:
        prov = get_provider(provider)
        form = WizardStartForm(request.POST, provider=prov)
        if not form.is_valid():
            return self._render(request, prov, form, status=FORM_ERROR_STATUS)
        data = form.cleaned_data
        settings_: dict[str, Any] = {"use_simulator": True} if data.get("use_simulator") else {}
        try:
            integration = integration_create(
                workspace=self.workspace,
                provider=prov.key,
                environment=data["environment"],
                auth_kind=data["auth_kind"],
                region=data.get("region", ""),
                created_by=request.user,
                provider_settings=settings_,
            )
        except Conflict as exc:
            form.add_error(None, exc.message + " Open it below, or disconnect it first.")
            return self._render(request, prov, form, status=FORM_ERROR_STATUS)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self._render(request, prov, form, status=FORM_ERROR_STATUS)
        secret = (integration.webhook_secrets or [{}])[0].get("secret", "")
        if secret:
            request.session[NEW_SECRET_KEY.format(pk=integration.pk)] = secret
        return redirect("integrations:setup", pk=integration.pk)


def _setup_context(request, integration: Integration, **overrides) -> dict[str, Any]:
    provider = provider_for(integration)
    steps = provider.setup_steps(integration)
    has_default = provider_has_default_client(provider.key)
    context: dict[str, Any] = {
        "integration": integration,
        "provider": provider,
        "steps_before": [s for s in steps if s.phase != "after"],
        "steps_after": [s for s in steps if s.phase == "after"],
        "redirect_uri": redirect_uri_for(integration.provider),
        "webhook_url": integration_webhook_url(integration=integration),
        # None = the admin pastes the webhook URL into the ATS (the contract); else JobCannon registers them.
        "webhooks_by_hand": provider.registered_webhooks(integration) is None,
        "our_secret": provider.signs_with_our_secret(integration),
        "webhooks_optional": "webhooks" in provider.optional_checklist_items(integration),
        "new_secret": request.session.pop(NEW_SECRET_KEY.format(pk=integration.pk), None),
        "uses_simulator": provider.uses_simulator(integration),
        "connected": integration.status == IntegrationStatus.CONNECTED,
        "checklist": integration_checklist(integration=integration),
        # The reason is a check the ATS could not answer: said as a warning, not a refusal.
        "credentials_unjudged": credentials_check_unjudged(integration),
        "has_default_client": has_default,
        "oauth": integration.auth_kind == AuthKind.OAUTH2,
    }
    if context["oauth"]:
        context["oauth_form"] = OAuthClientForm(
            initial={"client_id": integration.credential("client_id", "")}, has_default_client=has_default
        )
    else:
        context["credentials_form"] = CredentialsForm(fields=provider.credential_fields(integration))
    context.update(overrides)
    return context


class IntegrationSetupView(WorkspaceMixin, View):
    """Steps 2–5 on one page: in the ATS (copy values), credentials (validated live), verify
    (the live checklist), and what to do next."""

    manage_required = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        return render(request, "integrations/setup.html", _setup_context(request, integration))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        provider = provider_for(integration)
        step = request.POST.get("step", "")
        if step == "simulator":
            return self._simulator_prefill(request, integration, provider)
        if step == "oauth":
            return self._oauth(request, integration, provider)
        if step == "credentials":
            return self._credentials(request, integration, provider)
        messages.error(request, "Unknown step.")
        return redirect("integrations:setup", pk=integration.pk)

    def _simulator_prefill(self, request, integration: Integration, provider: ATSProvider) -> HttpResponse:
        if not provider.uses_simulator(integration):
            messages.error(request, "This integration does not use the built-in simulator.")
            return redirect("integrations:setup", pk=integration.pk)
        try:
            values = provider.simulator_credentials(integration)
        except Exception as exc:  # noqa: BLE001 - a simulator not ready yet is explained, not a 500
            messages.error(
                request, f"The {provider.name} simulator could not issue credentials: {type(exc).__name__}."
            )
            return redirect("integrations:setup", pk=integration.pk)
        integration.refresh_from_db()
        overrides: dict[str, Any] = {"simulator_values": True}
        if integration.auth_kind == AuthKind.OAUTH2:
            overrides["oauth_form"] = OAuthClientForm(
                initial=values, has_default_client=provider_has_default_client(provider.key), reveal=True
            )
        else:
            overrides["credentials_form"] = CredentialsForm(
                initial=values, fields=provider.credential_fields(integration), reveal=True
            )
        messages.info(
            request,
            f"The {provider.name} simulator issued sandbox credentials; they are filled in below. "
            "Submit them to validate them live.",
        )
        return render(request, "integrations/setup.html", _setup_context(request, integration, **overrides))

    def _oauth(self, request, integration: Integration, provider: ATSProvider) -> HttpResponse:
        form = OAuthClientForm(request.POST, has_default_client=provider_has_default_client(provider.key))
        if not form.is_valid():
            return render(
                request,
                "integrations/setup.html",
                _setup_context(request, integration, oauth_form=form),
                status=FORM_ERROR_STATUS,
            )
        creds = {k: v for k, v in form.cleaned_data.items() if v}
        if creds:
            integration.credentials = {**(integration.credentials or {}), **creds}
            integration.save(update_fields=["credentials", "updated_at"])
        try:
            url = oauth_start(integration=integration, user=request.user, session=request.session)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return render(
                request,
                "integrations/setup.html",
                _setup_context(request, integration, oauth_form=form),
                status=FORM_ERROR_STATUS,
            )
        request.session[OAUTH_NEXT_KEY] = reverse("integrations:setup", args=[integration.pk])
        return redirect(url)

    def _credentials(self, request, integration: Integration, provider: ATSProvider) -> HttpResponse:
        fields = provider.credential_fields(integration)
        form = CredentialsForm(request.POST, fields=fields)
        if not form.is_valid():
            return render(
                request,
                "integrations/setup.html",
                _setup_context(request, integration, credentials_form=form),
                status=FORM_ERROR_STATUS,
            )
        values = {k: v.strip() for k, v in form.cleaned_data.items() if v}
        if "api_key" in values:
            extra = {k: v for k, v in values.items() if k != "api_key"}
            outcome = integration_connect_api_key(
                integration=integration, api_key=values["api_key"], extra=extra
            )
        else:
            outcome = integration_credentials_save(integration=integration, values=values)
        integration.refresh_from_db()
        if outcome.ok:
            _flash_outcome(
                request, outcome, f"Connected: {provider.name} accepted the credentials.", integration
            )
            return redirect(reverse("integrations:setup", args=[integration.pk]) + "#verify")
        if not outcome.judged:
            # Saved, and nothing is wrong with them as far as anyone knows: a warning, not a form
            # error, and the checklist's Test now for when the ATS answers.
            _flash_outcome(request, outcome, "", integration)
            return render(
                request,
                "integrations/setup.html",
                _setup_context(request, integration),
                status=FORM_ERROR_STATUS,
            )
        form.add_error(None, outcome.message or "The credentials did not work.")
        return render(
            request,
            "integrations/setup.html",
            _setup_context(request, integration, credentials_form=form),
            status=FORM_ERROR_STATUS,
        )


# --- One integration ---------------------------------------------------------------------------


class IntegrationDetailView(WorkspaceMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        provider = provider_for(integration)
        recent = log_entries_list(integration=integration, filters=LogFilters(range="all"), limit=10)
        health = integration_health(integration=integration)
        # Beyond the shared route's candidates its deliveries there are rejected on a row this
        # customer cannot see: say so here (a disconnected one has its own banner).
        shared_url_unmatched = integration.status != IntegrationStatus.DISCONNECTED and not (
            integration_is_hintless_candidate(
                integration=integration, limit=settings.WEBHOOK_HINTLESS_MAX_CANDIDATES
            )
        )
        context = {
            "integration": integration,
            "provider": provider,
            "our_secret": provider.signs_with_our_secret(integration),
            "health": health,
            "attention": [health],
            "checklist": integration_checklist(integration=integration),
            "redirect_uri": redirect_uri_for(integration.provider),
            "webhook_url": webhook_url_for(integration),
            "webhook_url_absolute": integration_webhook_url(integration=integration),
            "shared_webhook_url": settings.JOBCANNON_BASE_URL
            + reverse("integrations:webhook-seed", args=[integration.provider])
            if shared_url_unmatched
            else "",
            "shared_webhook_candidates": settings.WEBHOOK_HINTLESS_MAX_CANDIDATES,
            "recent": recent.entries,
            "token": Token.objects.filter(integration=integration).first()
            if integration.auth_kind == AuthKind.OAUTH2
            else None,
            "api_key_form": ApiKeyForm(),
            "new_secret": request.session.pop(NEW_SECRET_KEY.format(pk=integration.pk), None),
            "reconnect_link": request.session.pop(f"reconnect_link_{integration.pk}", None),
            "open_reconnect_links": reconnect_links_open_count(integration=integration),
            **provider.detail_context(integration),
        }
        return render(request, "integrations/detail.html", context)


class IntegrationActionView(WorkspaceMixin, View):
    """POST-only actions on one integration: test credentials, re-authorize, new API key, rotate
    the webhook secret, create or revoke reconnect links, disconnect."""

    manage_required = True

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        back = reverse("integrations:detail", args=[integration.pk])
        if action == "test":
            outcome = integration_credentials_check(integration=integration)
            _flash_outcome(request, outcome, "Credentials valid.", integration)
        elif action == "reauthorize":
            try:
                url = oauth_start(integration=integration, user=request.user, session=request.session)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                request.session[OAUTH_NEXT_KEY] = back
                return redirect(url)
        elif action == "api-key":
            form = ApiKeyForm(request.POST)
            if form.is_valid():
                outcome = integration_connect_api_key(
                    integration=integration, api_key=form.cleaned_data["api_key"]
                )
                _flash_outcome(request, outcome, "API key saved and valid.", integration)
            else:
                messages.error(request, "Enter the API key.")
        elif action == "rotate-secret":
            try:
                request.session[NEW_SECRET_KEY.format(pk=integration.pk)] = webhook_secret_rotate(
                    integration=integration
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, "New webhook secret created; the previous one keeps working until you retire it."
                )
        elif action == "reconnect-link":
            request.session[f"reconnect_link_{integration.pk}"] = reconnect_link_create(
                integration=integration, created_by=request.user
            )
            messages.success(request, "Reconnect link created: copy it below and send it to your ATS admin.")
            back += "#reconnect"
        elif action == "reconnect-revoke":
            revoked = reconnect_links_revoke(integration=integration, revoked_by=request.user)
            messages.success(
                request,
                f"{revoked} open reconnect link(s) revoked: they no longer work."
                if revoked
                else "There was no open reconnect link to revoke.",
            )
            back += "#reconnect"
        elif action == "disconnect":
            integration_disconnect(integration=integration)
            messages.success(request, "Disconnected. Webhooks for it are now rejected; reconnect any time.")
        else:
            return render(
                request,
                "error.html",
                {"title": "Unknown action", "message": f"No action {action!r}."},
                status=404,
            )
        return redirect(back)


# --- Re-authorization through a shareable link ---------------------------------------------------


def _reconnect_context(integration: Integration, **extra) -> dict[str, Any]:
    provider = provider_for(integration)
    return {
        "integration": integration,
        "provider": provider,
        "oauth": integration.auth_kind == AuthKind.OAUTH2,
        "redirect_uri": redirect_uri_for(integration.provider),
        "form": CredentialsForm(fields=provider.credential_fields(integration)),
        **extra,
    }


def _reconnect_refused(request: HttpRequest, exc: ReconnectLinkInvalid) -> HttpResponse:
    return render(request, "integrations/reconnect_invalid.html", {"message": exc.message}, status=exc.status)


class ReconnectLinkView(View):
    """/reconnect/<token>/: no JobCannon account needed; the signed link is the permission."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            integration = reconnect_link_resolve(token=token).integration
        except ReconnectLinkInvalid as exc:
            return _reconnect_refused(request, exc)
        return render(request, "integrations/reconnect.html", _reconnect_context(integration, token=token))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            link = reconnect_link_resolve(token=token)
        except ReconnectLinkInvalid as exc:
            return _reconnect_refused(request, exc)
        integration = link.integration
        provider = provider_for(integration)
        if integration.auth_kind == AuthKind.OAUTH2:
            # The link is claimed when the ATS sends the person back (OAuthCallbackView), from the
            # OAuthState row this start records it on.
            try:
                url = oauth_start(
                    integration=integration, user=request.user, session=request.session, reconnect_link=link
                )
            except ApplicationError as exc:
                return render(
                    request,
                    "integrations/reconnect.html",
                    _reconnect_context(integration, token=token, error=exc.message),
                    status=FORM_ERROR_STATUS,
                )
            return redirect(url)
        form = CredentialsForm(request.POST, fields=provider.credential_fields(integration))
        if not form.is_valid():
            return render(
                request,
                "integrations/reconnect.html",
                _reconnect_context(integration, token=token, form=form),
                status=FORM_ERROR_STATUS,
            )
        values = {k: v.strip() for k, v in form.cleaned_data.items() if v}
        try:
            reconnect_link_claim(link_id=link.pk)  # before any save
        except ReconnectLinkInvalid as exc:
            return _reconnect_refused(request, exc)
        outcome = CredentialsOutcome(ok=False)
        try:
            if "api_key" in values:
                outcome = integration_connect_api_key(
                    integration=integration,
                    api_key=values["api_key"],
                    extra={k: v for k, v in values.items() if k != "api_key"},
                )
            else:
                # An OAuth integration went to oauth_start above: this one signs in with what it pastes.
                outcome = integration_credentials_save(integration=integration, values=values)
        finally:
            if not outcome.ok and outcome.judged:
                reconnect_link_release(link_id=link.pk)  # refused: the link may be tried again
        if not outcome.ok and outcome.judged:
            integration.refresh_from_db()
            form.add_error(None, outcome.message or "The credentials did not work.")
            return render(
                request,
                "integrations/reconnect.html",
                _reconnect_context(integration, token=token, form=form),
                status=FORM_ERROR_STATUS,
            )
        # Saved: checked, or not yet (the ATS could not judge them). The link is spent either way.
        reconnect_link_used(integration=integration, checked=outcome.ok)
        return render(
            request,
            "integrations/reconnect_done.html",
            {"integration": integration, "provider": provider, "outcome": outcome},
        )


class OAuthCallbackView(View):
    """GET /<provider>/oauth-callback: the path the seeds tell customers to register."""

    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        get_provider(provider)
        try:
            # An authorization started through a reconnect link claims the link here (the
            # service reads it from the state's row): a used, revoked or expired link (another
            # tab or start got there first, an admin revoked it) saves no new tokens.
            result = oauth_callback(
                provider_key=provider, params=request.GET.dict(), session=request.session, user=request.user
            )
        except ReconnectLinkInvalid as exc:
            return _reconnect_refused(request, exc)
        except OAuthFlowError as exc:
            return render(
                request,
                "integrations/oauth_error.html",
                {
                    "provider": get_provider(provider),
                    "message": exc.message,
                    "code": exc.code,
                    "redirect_uri": redirect_uri_for(provider),
                },
                status=400,
            )
        integration = result.integration
        integration.refresh_from_db()
        prov = provider_for(integration)
        if result.via_reconnect_link or not request.user.is_authenticated:
            return render(
                request,
                "integrations/reconnect_done.html",
                {"integration": integration, "provider": prov, "outcome": result.outcome},
            )
        # What the check of the new tokens said, not the status: an ATS that could not judge them
        # leaves a status standing (a warning then, as on the integration's page).
        _flash_outcome(
            request,
            result.outcome,
            f"{prov.name} authorized.",
            integration,
            failed_head=f"{prov.name} authorized, but:",
        )
        return redirect(
            request.session.pop(OAUTH_NEXT_KEY, None) or reverse("integrations:detail", args=[integration.pk])
        )
