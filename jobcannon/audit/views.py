"""Security and privacy pages for workspace owners and admins: the audit log, the data region and
retention window, two-factor status, and the candidate privacy actions (export, delete)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from jobcannon.audit.forms import CandidateDeleteForm, CandidateRequestForm
from jobcannon.audit.privacy import candidate_data_export, candidate_delete, candidate_reference
from jobcannon.audit.selectors import audit_event_list_for_workspace, retention_sweep_last
from jobcannon.workspaces.mixins import WorkspaceMixin

# Both privacy forms ask for the candidate's email address on the one security page: each has its
# own prefix, so each field has its own id ("id_export-email", "id_delete-email") and each form's
# label names its own field (two "id_email" would point the delete form's label at the export's).
EXPORT_PREFIX = "export"
DELETE_PREFIX = "delete"


def _security_context(request: HttpRequest, workspace, **extra) -> dict:
    from allauth.mfa.utils import is_mfa_enabled

    return {
        "workspace": workspace,
        "mfa_enabled": is_mfa_enabled(request.user),
        "last_sweep": retention_sweep_last(),
        "recent": audit_event_list_for_workspace(workspace=workspace)[:5],
        "export_form": CandidateRequestForm(prefix=EXPORT_PREFIX),
        "delete_form": CandidateDeleteForm(prefix=DELETE_PREFIX),
        **extra,
    }


class SecurityView(WorkspaceMixin, View):
    manage_required = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "audit/security.html", _security_context(request, self.workspace))


class AuditLogView(WorkspaceMixin, View):
    manage_required = True

    def get(self, request: HttpRequest) -> HttpResponse:
        action = request.GET.get("action", "")[:60]
        page = Paginator(
            audit_event_list_for_workspace(workspace=self.workspace, action=action), 50
        ).get_page(request.GET.get("page"))
        return render(request, "audit/log.html", {"page": page, "action": action})


class CandidateExportView(WorkspaceMixin, View):
    manage_required = True

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CandidateRequestForm(request.POST, prefix=EXPORT_PREFIX)
        if not form.is_valid():
            return render(
                request,
                "audit/security.html",
                _security_context(request, self.workspace, export_form=form),
                status=400,
            )
        email = form.cleaned_data["email"]
        data = candidate_data_export(workspace=self.workspace, email=email)
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{candidate_reference(email)}.json"'
        response["Cache-Control"] = "no-store"
        return response


class CandidateDeleteView(WorkspaceMixin, View):
    manage_required = True

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CandidateDeleteForm(request.POST, prefix=DELETE_PREFIX)
        if not form.is_valid():
            return render(
                request,
                "audit/security.html",
                _security_context(request, self.workspace, delete_form=form),
                status=400,
            )
        outcome = candidate_delete(workspace=self.workspace, email=form.cleaned_data["email"])
        if not outcome.runs and not outcome.webhook_bodies:
            messages.info(request, "Nothing stored about that address in this workspace.")
        else:
            messages.success(
                request,
                f"Deleted: {outcome.runs} assessment run(s) anonymised ({outcome.cancelled} cancelled in the ATS), "
                f"{outcome.answers} answer(s), {outcome.results} result(s), {outcome.webhook_bodies} webhook "
                f"body(ies). Reference for your records: {outcome.reference}.",
            )
        if outcome.webhook_bodies_pending:
            messages.warning(
                request,
                f"{outcome.webhook_bodies_pending} webhook delivery(ies) mentioning the candidate are still being "
                "processed; run the deletion again once they settle.",
            )
        if outcome.webhook_bodies_unclaimed:
            messages.info(
                request,
                f"{outcome.webhook_bodies_unclaimed} rejected webhook delivery(ies) that no integration claimed "
                "mention the address; they may be another customer's, so this request does not delete them: "
                f"they expire within {outcome.unclaimed_retention_days} days.",
            )
        return redirect("audit:security")
