"""Customer pages for a Lever integration, at /integrations/<pk>/lever/...: stage rules (which
assessment each pipeline stage sends), the manual "send now" trigger, and Lever settings. Stage,
posting and user lists are read live from Lever; its errors are shown, never a 500."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from assessments.services.runs import instrument_list
from integrations.base import ATSError, ATSProvider
from integrations.models import Integration, WritebackMessage, WritebackStatus
from integrations.selectors import integration_get_for_workspace
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin

from . import constants, mappers, services, setup
from .forms import LeverSettingsForm, SendAssessmentForm, StageRuleForm

TEMPLATES = "integrations/providers/lever/{}.html"


class LeverIntegrationMixin(WorkspaceMixin):
    # The LeverProvider these pages belong to, set by provider.py when it builds their URLs
    # (`as_view(provider=self)`): this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]

    def load(self, integration_pk: int) -> Integration:
        integration = integration_get_for_workspace(workspace=self.workspace, pk=integration_pk)
        if integration.provider != "lever":
            raise Http404("Not a Lever integration")
        return integration

    def require_manage(self) -> None:
        from django.core.exceptions import PermissionDenied

        if not self.membership.can_manage:
            raise PermissionDenied("Only workspace owners and admins can change the Lever setup.")


class LeverStageRulesView(LeverIntegrationMixin, View):
    def _lists(self, integration: Integration) -> tuple[list, list, str]:
        try:
            client: Any = self.provider.client(integration)  # LeverClient
            return mappers.options_from_api(client.stages()), mappers.options_from_api(client.postings()), ""
        except ATSError as exc:
            return [], [], exc.message

    def _render(self, request, integration, form, error: str, status: int = 200) -> HttpResponse:
        return render(
            request,
            TEMPLATES.format("stages"),
            {
                "integration": integration,
                "form": form,
                "lever_error": error,
                "rules": mappers.stage_rules(integration.provider_settings or {}),
            },
            status=status,
        )

    def _form(self, integration, data=None) -> tuple[StageRuleForm, str]:
        stages, postings, error = self._lists(integration)
        instruments = [(i.key, i.name) for i in instrument_list(workspace=self.workspace)]
        return StageRuleForm(data, stages=stages, postings=postings, instruments=instruments), error

    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.load(integration_pk)
        form, error = self._form(integration)
        return self._render(request, integration, form, error)

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.load(integration_pk)
        self.require_manage()
        form, error = self._form(integration, request.POST)
        if error or not form.is_valid():
            return self._render(request, integration, form, error, status=400)
        data = form.cleaned_data
        try:
            services.lever_stage_rule_add(
                integration=integration,
                stage_id=data["stage"],
                stage_name=form.names[data["stage"]],
                posting_id=data["posting"],
                posting_name=form.names.get(data["posting"], ""),
                instrument=data["instrument"],
                mode=data["mode"],
                due_days=data["due_days"],
                required=data["required"] == "required",
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self._render(request, integration, form, "", status=400)
        messages.success(request, f"Stage “{form.names[data['stage']]}” now sends {data['instrument']}.")
        return redirect("integrations:integration-lever:stages", integration_pk=integration.pk)


class LeverStageRuleDeleteView(LeverIntegrationMixin, View):
    def post(self, request: HttpRequest, integration_pk: int, rule_id: str) -> HttpResponse:
        integration = self.load(integration_pk)
        self.require_manage()
        if not services.lever_stage_rule_delete(integration=integration, rule_id=rule_id):
            raise Http404("No such stage rule")
        messages.success(request, "Stage rule removed.")
        return redirect("integrations:integration-lever:stages", integration_pk=integration.pk)


class LeverSendView(LeverIntegrationMixin, View):
    """The manual trigger: send a configured assessment to one Lever opportunity now."""

    def _render(self, request, integration, form, status: int = 200) -> HttpResponse:
        return render(
            request, TEMPLATES.format("send"), {"integration": integration, "form": form}, status=status
        )

    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.load(integration_pk)
        rules = mappers.stage_rules(integration.provider_settings or {})
        form = SendAssessmentForm(initial={"opportunity": request.GET.get("opportunity", "")}, rules=rules)
        return self._render(request, integration, form)

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.load(integration_pk)
        form = SendAssessmentForm(
            request.POST, rules=mappers.stage_rules(integration.provider_settings or {})
        )
        if not form.is_valid():
            return self._render(request, integration, form, status=400)
        try:
            run, created = services.lever_assessment_send(
                integration=integration,
                provider=self.provider,
                rule_id=form.cleaned_data["rule"],
                opportunity_id=form.cleaned_data["opportunity"],
                sender=request.user,
            )
        except ATSError as exc:
            form.add_error("opportunity", f"Lever: {exc.message}")
            return self._render(request, integration, form, status=400)
        except ApplicationError as exc:  # RateLimited too (a spent invitation budget), as the recruiter pages
            form.add_error(None, exc.message)
            return self._render(request, integration, form, status=400)
        if run is None:
            messages.info(
                request, "This candidate already has an active assessment of that kind: nothing sent."
            )
        elif created:
            messages.success(request, f"Assessment sent to {run.candidate_email}.")
        else:
            messages.info(request, f"{run.candidate_email} was already sent this assessment.")
        return redirect("integrations:detail", pk=integration.pk)


class LeverSettingsView(LeverIntegrationMixin, View):
    def _users(self, integration: Integration) -> tuple[list[mappers.LeverOption], str]:
        try:
            client: Any = self.provider.client(integration)  # LeverClient
            return mappers.options_from_api(client.users()), ""
        except ATSError as exc:
            return [], exc.message

    def _render(self, request, integration, form, error: str, status: int = 200) -> HttpResponse:
        return render(
            request,
            TEMPLATES.format("settings"),
            {
                "integration": integration,
                "form": form,
                "lever_error": error,
                **webhooks_manual_context(integration),
            },
            status=status,
        )

    def _initial(self, integration: Integration) -> dict[str, Any]:
        ps = integration.provider_settings or {}
        created = ps.get("api_key_created_at")
        return {
            "api_key_created": created[:10] if created else None,
            "perform_as": ps.get("perform_as", ""),
            "writeback_mode": ps.get("writeback_mode", "feedback"),
        }

    def get(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.load(integration_pk)
        users, error = self._users(integration)
        return self._render(
            request, integration, LeverSettingsForm(initial=self._initial(integration), users=users), error
        )

    def post(self, request: HttpRequest, integration_pk: int) -> HttpResponse:
        integration = self.load(integration_pk)
        self.require_manage()
        users, error = self._users(integration)
        form = LeverSettingsForm(request.POST, users=users)
        if not form.is_valid():
            return self._render(request, integration, form, error, status=400)
        data = form.cleaned_data
        if data["api_key_created"] and data["api_key_created"] > timezone.now().date():
            form.add_error("api_key_created", "The creation date cannot be in the future.")
            return self._render(request, integration, form, error, status=400)
        names = {u.id: u.text for u in users}
        setup.lever_settings_update(
            integration=integration,
            writeback_mode=data["writeback_mode"],
            perform_as=data["perform_as"],
            perform_as_name=names.get(data["perform_as"], ""),
        )
        if data["api_key_created"]:
            setup.lever_api_key_created_set(integration=integration, created=data["api_key_created"])
        # Lever gives each webhook its own token (LH "UI Changes"): several may be pasted at once.
        setup.lever_signature_tokens_add(
            integration=integration, tokens=re.split(r"[\s,;]+", data["signature_token"]), source="pasted"
        )
        messages.success(request, "Lever settings saved.")
        return redirect("integrations:detail", pk=integration.pk)


class LeverDeepLinkView(WorkspaceMixin, View):
    """/partners/lever/open/<public id>/?opportunity=… : the link a Lever custom step (or the
    sandbox's "Send JobCannon assessment" button) opens, landing on the send page."""

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        integration = Integration.objects.filter(
            provider="lever", public_id=public_id, workspace=self.workspace
        ).first()
        if integration is None:
            raise Http404("No such Lever integration in this workspace")
        url = reverse("integrations:integration-lever:send", kwargs={"integration_pk": integration.pk})
        opportunity = re.sub(r"[^A-Za-z0-9-]", "", request.GET.get("opportunity", ""))[:64]
        return redirect(f"{url}?opportunity={opportunity}" if opportunity else url)


def integration_urlpatterns(provider: ATSProvider) -> list:
    return [
        path("stages/", LeverStageRulesView.as_view(provider=provider), name="stages"),
        path(
            "stages/<str:rule_id>/delete/",
            LeverStageRuleDeleteView.as_view(provider=provider),
            name="stage-delete",
        ),
        path("send/", LeverSendView.as_view(provider=provider), name="send"),
        path("settings/", LeverSettingsView.as_view(provider=provider), name="settings"),
    ]


MISSING_SCOPE = re.compile(r"needs the `([a-z_:]+)` scope")


def detail_context(provider: ATSProvider, integration: Integration) -> dict[str, Any]:
    ps = integration.provider_settings or {}
    expires = setup.api_key_expires_at(integration)
    left = (expires - timezone.now()) if expires else None
    reason = integration.status_reason or ""
    scope = MISSING_SCOPE.search(reason)
    return {
        "lever_webhooks": ps.get("webhooks", []),
        "lever_api_key_expires": expires,
        "lever_api_key_days_left": left.days if left is not None else None,
        "lever_api_key_warning": left is not None and left <= constants.API_KEY_WARN_BEFORE,
        "lever_api_key_scheme": ps.get("api_key_scheme", ""),
        "lever_credential_problem": constants.INVALID_KEY_TITLE in reason,
        "lever_missing_scope": scope.group(1) if scope else "",
        "lever_fix_steps": constants.INVALID_KEY_FIX,
        "lever_webhook_groups_fix": constants.WEBHOOK_GROUPS_FIX,
        "lever_rules": mappers.stage_rules(ps),
        "lever_template_id": (ps.get("feedback_template") or {}).get("id", ""),
        "lever_perform_as": ps.get("perform_as_name") or ps.get("perform_as") or "automatic",
        "lever_writeback_mode": dict(constants.WRITEBACK_MODES).get(ps.get("writeback_mode", "feedback")),
        "lever_dead_letters": list(
            WritebackMessage.objects.filter(integration=integration, status=WritebackStatus.DEAD).order_by(
                "-updated_at"
            )[:5]
        ),
        "lever_simulator_url": provider.simulator_base_url() + "/"
        if provider.uses_simulator(integration)
        else "",
        "lever_api_base": provider.api_base_url(integration),
        **webhooks_manual_context(integration),
    }


def webhooks_manual_context(integration: Integration) -> dict[str, Any]:
    """What the page says when Lever refused POST /webhooks (setup.lever_webhooks_manual)."""
    ps = integration.provider_settings or {}
    return {
        "lever_webhooks_manual": setup.webhooks_manual(integration),
        "lever_webhooks_manual_reason": ps.get("webhook_setup_reason", ""),
        "lever_manual_events": constants.MANUAL_EVENTS,
        "lever_webhook_url": setup.webhook_absolute_url(integration),
        "lever_signature_token_stored": setup.lever_signature_token_stored(integration),
        "lever_signature_tokens_count": setup.lever_signature_tokens_count(integration),
    }
