"""Candidate emails: invitation and reminder, HTML + text, default or branded template."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun, EmailTemplate
from assessments.selectors import assessment_config_get
from jobcannon.core.mailtext import subject_excerpt

logger = logging.getLogger(__name__)


def _context(run: AssessmentRun, *, url: str, template: str) -> dict:
    config = assessment_config_get(workspace=run.workspace)
    instrument = instrument_get(run.instrument, run.instrument_version)
    branded = template == EmailTemplate.BRANDED
    return {
        "run": run,
        "url": url,
        "instrument": instrument,
        "company": (config.brand_name or run.workspace.name),
        "branded": branded,
        "brand_color": config.brand_color if branded else "#1f4e8c",
        "due_at": run.due_at,
        "job_name": (run.ats_context or {}).get("job_name", ""),
    }


def _subject_context(context: dict) -> dict:
    """The subject names the company and the job only as short single-line excerpts inside
    our sentence (the body names them in full): both are text someone else typed."""
    return {
        **context,
        "company": subject_excerpt(str(context["company"])),
        "job_name": subject_excerpt(str(context["job_name"] or "")),
    }


def run_email_send(*, run: AssessmentRun, kind: str, url: str) -> None:
    """Send the invitation (`kind="invitation"`) or reminder (`kind="reminder"`). Raises on SMTP errors."""
    template = run.email_template or assessment_config_get(workspace=run.workspace).email_template
    if template not in EmailTemplate.values:
        template = EmailTemplate.DEFAULT
    context = _context(run, url=url, template=template)
    subject = render_to_string(f"assessments/email/{kind}_subject.txt", _subject_context(context)).strip()
    text = render_to_string(f"assessments/email/{kind}.txt", context)
    html = render_to_string(f"assessments/email/{kind}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[run.candidate_email]
    )
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("assessment.email_sent", extra={"run": run.pk, "kind": kind, "template": template})
