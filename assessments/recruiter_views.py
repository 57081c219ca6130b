"""Recruiter pages: the workspace's runs, inviting a candidate, reports (also through a signed
link for ATS users without a JobCannon login) and the per-workspace configuration."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from assessments.catalog import INSTRUMENT_KEYS, instrument_get, instruments_latest
from assessments.forms import AssessmentConfigForm, RunCreateForm
from assessments.models import AssessmentRun, RunStatus
from assessments.reports import report_build, report_chart, report_pdf
from assessments.selectors import (
    assessment_config_get,
    assessment_run_get_by_report_key,
    assessment_run_get_for_workspace,
    assessment_run_list_for_workspace,
)
from assessments.services.config import assessment_config_update
from assessments.services.hooks import report_context, run_source_name
from assessments.services.invitations import assessment_run_resend, assessment_run_send
from assessments.services.runs import (
    CandidateInfo,
    RunAlreadyActive,
    assessment_run_cancel,
    candidate_url,
    report_url,
)
from jobcannon.core.exceptions import ApplicationError
from jobcannon.workspaces.mixins import WorkspaceMixin


class RunListView(WorkspaceMixin, View):
    def get(self, request):
        status = request.GET.get("status", "")
        instrument = request.GET.get("instrument", "")
        runs = assessment_run_list_for_workspace(
            workspace=self.workspace, status=status, instrument=instrument
        )
        page = Paginator(runs, 50).get_page(request.GET.get("page"))
        for run in page.object_list:
            run.source_name = run_source_name(run)  # the ATS that ordered it, named by integrations
        names = {i.key: i.name for i in instruments_latest()}
        return render(
            request,
            "assessments/list.html",
            {
                "page": page,
                "status": status,
                "instrument": instrument,
                "statuses": RunStatus.choices,
                "instruments": [(k, names[k]) for k in INSTRUMENT_KEYS],
                "names": names,
            },
        )


class RunCreateView(WorkspaceMixin, View):
    def offered(self) -> list[str]:
        return list(assessment_config_get(workspace=self.workspace).offered_instruments)

    def get(self, request):
        initial = {"instrument": request.GET.get("instrument", "")}
        return render(
            request,
            "assessments/create.html",
            {"form": RunCreateForm(offered=self.offered(), initial=initial)},
        )

    def post(self, request):
        form = RunCreateForm(request.POST, offered=self.offered())
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = assessment_run_send(
                    workspace=self.workspace,
                    sender=request.user,
                    instrument=data["instrument"],
                    due_at=data["due_date"],
                    candidate=CandidateInfo(
                        email=data["email"], first_name=data["first_name"], last_name=data["last_name"]
                    ),
                )
            except (ApplicationError, RunAlreadyActive) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                if run.invitation_error:
                    messages.error(request, "The run was created but the invitation email could not be sent.")
                else:
                    messages.success(request, f"Invitation sent to {run.candidate_email}.")
                return redirect("assessments:report", pk=run.pk)
        return render(request, "assessments/create.html", {"form": form}, status=400)


class RunMixin(WorkspaceMixin):
    def get_run(self, pk: int) -> AssessmentRun:
        run = assessment_run_get_for_workspace(workspace=self.workspace, pk=pk)
        if run is None:
            raise Http404
        return run


def _report_context(run: AssessmentRun, *, shared: bool, pdf_url: str) -> dict:
    report = report_build(run=run)
    instrument = instrument_get(run.instrument, run.instrument_version)
    context = {
        "run": run,
        "source_name": run_source_name(run),
        "instrument": instrument,
        "report": report,
        "shared": shared,
        "pdf_url": pdf_url,
    }
    if report is not None:
        context["chart"] = report_chart(
            report.rows,
            title=f"{instrument.name} scores for {run.candidate_name or run.candidate_email}, 0 to 100",
        )
    return context


def _pdf_response(run: AssessmentRun) -> HttpResponse:
    report = report_build(run=run)
    if report is None:
        raise Http404
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{run.instrument}-report-{run.pk}.pdf"'
    return response


class RunReportView(RunMixin, View):
    def get(self, request, pk):
        run = self.get_run(pk)
        context = _report_context(run, shared=False, pdf_url=reverse("assessments:report-pdf", args=[run.pk]))
        context.update(
            {
                "candidate_link": candidate_url(run=run) if run.is_active else "",
                "share_link": report_url(run=run) if context["report"] else "",
            }
        )
        context.update(report_context(run=run))  # the apps above: integrations' updates sent to the ATS
        return render(request, "assessments/report.html", context)


class RunReportPdfView(RunMixin, View):
    def get(self, request, pk):
        return _pdf_response(self.get_run(pk))


class RunCancelView(RunMixin, View):
    def post(self, request, pk):
        run = self.get_run(pk)
        if not run.is_active:
            messages.error(request, f"This run is already {run.get_status_display().lower()}.")
        else:
            assessment_run_cancel(run=run, reason=f"Cancelled by {request.user.email}")
            messages.success(request, "Run cancelled; the candidate link no longer works.")
        return redirect("assessments:report", pk=run.pk)


class RunResendView(RunMixin, View):
    def post(self, request, pk):
        run = self.get_run(pk)
        try:
            run = assessment_run_resend(run=run, sender=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if run.invitation_error:
                messages.error(request, f"The invitation could not be sent: {run.invitation_error}")
            else:
                messages.success(request, f"Invitation sent again to {run.candidate_email}.")
        return redirect("assessments:report", pk=run.pk)


class ReportSharedView(View):
    """Opened from the ATS: the signed key is the permission, no JobCannon login."""

    def get_run(self, key: str) -> AssessmentRun:
        run = assessment_run_get_by_report_key(key=key)
        if run is None:
            raise Http404
        return run

    def get(self, request, key):
        run = self.get_run(key)
        context = _report_context(
            run, shared=True, pdf_url=reverse("assessments:report-shared-pdf", args=[key])
        )
        response = render(request, "assessments/report.html", context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response


class ReportSharedPdfView(ReportSharedView):
    def get(self, request, key):
        return _pdf_response(self.get_run(key))


class AssessmentConfigView(WorkspaceMixin, View):
    manage_required = True

    def get(self, request):
        form = AssessmentConfigForm(instance=assessment_config_get(workspace=self.workspace))
        return render(request, "assessments/config.html", {"form": form})

    def post(self, request):
        form = AssessmentConfigForm(request.POST, instance=assessment_config_get(workspace=self.workspace))
        if not form.is_valid():
            return render(request, "assessments/config.html", {"form": form}, status=400)
        try:
            assessment_config_update(workspace=self.workspace, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return render(request, "assessments/config.html", {"form": form}, status=400)
        messages.success(request, "Assessment settings saved.")
        return redirect("assessments:config")
