"""Candidate pages. No login: the signed token in the URL is the key.

Every state has its own clear page (invalid link, cancelled, expired, already submitted), and
everything works without JavaScript; candidate.js only adds save-as-you-go autosave."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from assessments.catalog import Instrument, instrument_get
from assessments.models import AssessmentRun, RunStatus
from assessments.selectors import (
    answers_for_run,
    assessment_config_get,
    assessment_run_get_by_key,
    run_return_url,
)
from assessments.services.candidate import (
    RunNotOpen,
    answers_save,
    assessment_run_start,
    assessment_run_submit,
)
from assessments.services.lifecycle import assessment_run_expire_if_due
from jobcannon.core.exceptions import ValidationFailed


def _progress(instrument: Instrument, answers: dict[str, int]) -> dict:
    total = len(instrument.items)
    answered = sum(1 for item in instrument.items if item.id in answers)
    return {"answered": answered, "total": total, "percent": round(answered * 100 / total) if total else 0}


class CandidateRunMixin(View):
    """Resolves the run from the link and answers every closed state with its own page."""

    run: AssessmentRun
    instrument: Instrument

    def dispatch(self, request, *args, **kwargs):
        run = assessment_run_get_by_key(key=kwargs["key"])
        if run is None:
            return self.state_page("invalid", status=404)
        assessment_run_expire_if_due(run=run)
        self.run = run
        self.instrument = instrument_get(run.instrument, run.instrument_version)
        if run.status == RunStatus.CANCELLED:
            return self.state_page("cancelled", status=410)
        if run.status == RunStatus.EXPIRED:
            return self.state_page("expired", status=410)
        if run.is_finished:
            return self.state_page("done")
        return super().dispatch(request, *args, **kwargs)

    def base_context(self) -> dict:
        run = getattr(self, "run", None)
        context: dict = {"run": run, "instrument": getattr(self, "instrument", None)}
        if run is not None:
            config = assessment_config_get(workspace=run.workspace)
            context["company"] = config.brand_name or run.workspace.name
            context["key"] = self.kwargs["key"]
            context["return_url"] = run_return_url(run)
        return context

    def state_page(self, state: str, *, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "assessments/candidate/state.html",
            {**self.base_context(), "state": state},
            status=status,
        )

    def url(self, name: str, **kwargs) -> str:
        return reverse(f"assessments:{name}", kwargs={"key": self.kwargs["key"], **kwargs})

    def resume_url(self, answers: dict[str, int]) -> str:
        """Where a returning candidate continues: the first page with an unanswered question."""
        for page in range(1, self.instrument.page_count + 1):
            if any(item.id not in answers for item in self.instrument.page_items(page)):
                return self.url("page", page=page)
        return self.url("review")


class CandidateRunTakeView(CandidateRunMixin):
    """The link in the email: welcome + privacy notice, or straight back to where they were."""

    def get(self, request, key):
        if self.run.status == RunStatus.STARTED:
            return redirect(self.resume_url(answers_for_run(run=self.run)))
        return render(
            request,
            "assessments/candidate/welcome.html",
            {**self.base_context(), "retention_days": self.run.workspace.retention_days},
        )


class CandidateRunStartView(CandidateRunMixin):
    def post(self, request, key):
        if self.run.status != RunStatus.STARTED:
            if request.POST.get("consent") != "yes":
                return render(
                    request,
                    "assessments/candidate/welcome.html",
                    {
                        **self.base_context(),
                        "retention_days": self.run.workspace.retention_days,
                        "consent_error": "Please tick the box to confirm you have read the privacy notice.",
                    },
                    status=400,
                )
            try:
                assessment_run_start(run=self.run)
            except RunNotOpen:
                return redirect(self.url("take"))
        return redirect(self.url("instructions"))


class CandidateRunInstructionsView(CandidateRunMixin):
    def get(self, request, key):
        if self.run.status != RunStatus.STARTED:
            return redirect(self.url("take"))
        return render(
            request,
            "assessments/candidate/instructions.html",
            {**self.base_context(), "first_page": self.url("page", page=1)},
        )


class CandidateRunPageView(CandidateRunMixin):
    def page_context(self, page: int, answers: dict[str, int], **extra) -> dict:
        instrument = self.instrument
        items = [
            {"item": item, "number": (page - 1) * instrument.page_size + i + 1, "value": answers.get(item.id)}
            for i, item in enumerate(instrument.page_items(page))
        ]
        return {
            **self.base_context(),
            "page": page,
            "page_count": instrument.page_count,
            "items": items,
            "scale": instrument.scale.labels,
            "progress": _progress(instrument, answers),
            "save_url": self.url("answer-save"),
            "previous_url": self.url("page", page=page - 1) if page > 1 else self.url("instructions"),
            **extra,
        }

    def get(self, request, key, page):
        if self.run.status != RunStatus.STARTED:
            return redirect(self.url("take"))
        if not 1 <= page <= self.instrument.page_count:
            return redirect(self.resume_url(answers_for_run(run=self.run)))
        return render(
            request, "assessments/candidate/page.html", self.page_context(page, answers_for_run(run=self.run))
        )

    def post(self, request, key, page):
        if self.run.status != RunStatus.STARTED:
            return redirect(self.url("take"))
        if not 1 <= page <= self.instrument.page_count:
            return redirect(self.resume_url(answers_for_run(run=self.run)))
        page_items = self.instrument.page_items(page)
        posted = {
            item.id: request.POST[f"item_{item.id}"]
            for item in page_items
            if request.POST.get(f"item_{item.id}")
        }
        try:
            invalid = answers_save(run=self.run, values=posted)
        except RunNotOpen:
            return redirect(self.url("take"))
        answers = answers_for_run(run=self.run)
        going_back = request.POST.get("nav") == "previous"
        if going_back and not invalid:
            return redirect(self.url("page", page=page - 1) if page > 1 else self.url("instructions"))
        unanswered = [item.id for item in page_items if item.id not in answers]
        if invalid or unanswered:
            scale = self.instrument.scale
            if invalid:
                error = (
                    f"Some answers were not valid: choose one of the options from {scale.min} to {scale.max}."
                )
            else:
                error = f"Please answer every question on this page ({len(unanswered)} left)."
            return render(
                request,
                "assessments/candidate/page.html",
                self.page_context(page, answers, error=error, error_items=set(invalid + unanswered)),
                status=400,
            )
        if page < self.instrument.page_count:
            return redirect(self.url("page", page=page + 1))
        return redirect(self.url("review"))


class CandidateRunReviewView(CandidateRunMixin):
    def context(self, **extra) -> dict:
        answers = answers_for_run(run=self.run)
        instrument = self.instrument
        pages = []
        for page in range(1, instrument.page_count + 1):
            items = instrument.page_items(page)
            pages.append(
                {
                    "number": page,
                    "answered": sum(1 for i in items if i.id in answers),
                    "total": len(items),
                    "url": self.url("page", page=page),
                }
            )
        progress = _progress(instrument, answers)
        return {
            **self.base_context(),
            "pages": pages,
            "progress": progress,
            "complete": progress["answered"] == progress["total"],
            **extra,
        }

    def get(self, request, key):
        if self.run.status != RunStatus.STARTED:
            return redirect(self.url("take"))
        return render(request, "assessments/candidate/review.html", self.context())

    def post(self, request, key):
        if self.run.status != RunStatus.STARTED:
            return redirect(self.url("take"))
        try:
            assessment_run_submit(run=self.run)
        except RunNotOpen:
            return redirect(self.url("take"))
        except ValidationFailed as exc:
            return render(
                request, "assessments/candidate/review.html", self.context(error=exc.message), status=400
            )
        # Back to where the ATS asked (e.g. SmartRecruiters' in-line order), else our thank-you page.
        return redirect(run_return_url(self.run) or self.url("take"))
