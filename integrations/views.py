from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from integrations.forms import ApiKeyForm, IntegrationConnectForm
from integrations.models import AuthKind
from integrations.registry import get_provider
from integrations.selectors import (
    activity_list_for_integration,
    integration_get_for_workspace,
    integration_list_for_workspace,
    outbound_call_list_for_integration,
    webhook_event_counts,
    webhook_event_list_for_integration,
)
from integrations.services.integrations import (
    integration_connect_api_key,
    integration_create,
    integration_credentials_check,
    webhook_secret_rotate,
)
from integrations.services.oauth import OAuthFlowError, oauth_callback, oauth_start, redirect_uri_for
from integrations.services.webhooks import webhook_event_receive
from jobcannon.core.exceptions import ApplicationError, error_body
from jobcannon.workspaces.mixins import WorkspaceMixin


@method_decorator(csrf_exempt, name="dispatch")
class WebhookReceiveView(View):
    """The one generic webhook endpoint: /webhooks/<provider>/<integration uuid>/ and the seeds'
    /<provider>/webhooks. Non-atomic on purpose: the service commits the row itself."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, provider: str, public_id: str | None = None) -> HttpResponse:
        from django.conf import settings

        get_provider(provider)  # 404 for an unknown provider
        body = request.body
        if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
            return JsonResponse(error_body("payload_too_large", "Webhook body exceeds 1 MiB."), status=413)
        headers = {k: v for k, v in request.headers.items()}
        result = webhook_event_receive(
            provider_key=provider,
            integration_public_id=public_id,
            body=body,
            headers=headers,
            query=request.GET.dict(),
            remote_addr=request.META.get("REMOTE_ADDR"),
            path=request.path,
        )
        response = JsonResponse(result.body, status=result.status_code)
        for name, value in result.headers.items():
            response[name] = value
        return response


class IntegrationListView(WorkspaceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "integrations/list.html",
            {"integrations": integration_list_for_workspace(workspace=self.workspace)},
        )


class IntegrationConnectView(WorkspaceMixin, View):
    manage_required = True

    def get(self, request: HttpRequest) -> HttpResponse:
        form = IntegrationConnectForm(initial={"provider": request.GET.get("provider", "")})
        return render(request, "integrations/connect.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IntegrationConnectForm(request.POST)
        if not form.is_valid():
            return render(request, "integrations/connect.html", {"form": form}, status=400)
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
            form.add_error(None, exc.message)
            return render(request, "integrations/connect.html", {"form": form}, status=exc.status)
        if data["auth_kind"] == AuthKind.OAUTH2:
            return redirect(oauth_start(integration=integration, user=request.user, session=request.session))
        ok = integration_connect_api_key(integration=integration, api_key=data["api_key"])
        if ok:
            messages.success(request, "Connected: the API key works.")
        else:
            messages.error(request, f"The API key did not work: {integration.status_reason}")
        return redirect("integrations:detail", pk=integration.pk)


class IntegrationDetailView(WorkspaceMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        provider = integration.provider_obj
        context = {
            "integration": integration,
            "provider": provider,
            "redirect_uri": redirect_uri_for(integration.provider),
            "webhook_url": webhook_url_for(integration),
            "events": webhook_event_list_for_integration(integration=integration)[:20],
            "calls": outbound_call_list_for_integration(integration=integration)[:20],
            "activity": activity_list_for_integration(integration=integration)[:20],
            "counts": webhook_event_counts(integration=integration),
            "token": getattr(integration, "token", None)
            if integration.auth_kind == AuthKind.OAUTH2
            else None,
            "api_key_form": ApiKeyForm(),
            "new_secret": request.session.pop(f"new_secret_{integration.pk}", None),
            **provider.detail_context(integration),
        }
        return render(request, "integrations/detail.html", context)


class IntegrationActionView(WorkspaceMixin, View):
    """POST-only actions on one integration: test credentials, reauthorize, rotate secret, new API key."""

    manage_required = True

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=pk)
        if action == "test":
            ok = integration_credentials_check(integration=integration)
            (messages.success if ok else messages.error)(
                request, "Credentials valid." if ok else integration.status_reason
            )
        elif action == "reauthorize":
            try:
                return redirect(
                    oauth_start(integration=integration, user=request.user, session=request.session)
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
        elif action == "api-key":
            form = ApiKeyForm(request.POST)
            if form.is_valid():
                ok = integration_connect_api_key(
                    integration=integration, api_key=form.cleaned_data["api_key"]
                )
                (messages.success if ok else messages.error)(
                    request, "API key saved and valid." if ok else integration.status_reason
                )
            else:
                messages.error(request, "Enter the API key.")
        elif action == "rotate-secret":
            request.session[f"new_secret_{integration.pk}"] = webhook_secret_rotate(integration=integration)
            messages.success(
                request, "New webhook secret created; the previous one keeps working until you retire it."
            )
        else:
            return render(
                request,
                "error.html",
                {"title": "Unknown action", "message": f"No action {action!r}."},
                status=404,
            )
        return redirect("integrations:detail", pk=integration.pk)


class OAuthCallbackView(View):
    """GET /<provider>/oauth-callback: the path the seeds tell customers to register."""

    def get(self, request: HttpRequest, provider: str) -> HttpResponse:
        get_provider(provider)
        try:
            integration = oauth_callback(
                provider_key=provider, params=request.GET.dict(), session=request.session, user=request.user
            )
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
        messages.success(request, f"{integration.provider_obj.name} authorized.")
        return redirect("integrations:detail", pk=integration.pk)


def webhook_url_for(integration) -> str:
    from django.urls import reverse

    return reverse("integrations:webhook", args=[integration.provider, integration.public_id])
