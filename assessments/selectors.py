"""Reads for assessments (runs, answers, configuration)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core import signing
from django.db.models import QuerySet

from assessments.catalog import INSTRUMENT_KEYS
from assessments.models import AssessmentConfig, AssessmentRun, RunStatus

CANDIDATE_SALT = "assessments.candidate-link"
REPORT_SALT = "assessments.report-link"


def assessment_config_get(*, workspace) -> AssessmentConfig:
    """The workspace's settings; an unsaved default row when it never changed them."""
    config = AssessmentConfig.objects.filter(workspace=workspace).first()
    if config is None:
        config = AssessmentConfig(workspace=workspace, offered_instruments=list(INSTRUMENT_KEYS))
    return config


# A run's ats_context may name where the candidate pages send the candidate once they submit:
# an http(s) URL the ATS gave for that run (e.g. SmartRecruiters' completedAssessmentCallbackUrl
# of an in-line order). Only this stored value is ever redirected to: never a request parameter.
RETURN_URL_KEY = "return_url"


def run_return_url(run: AssessmentRun) -> str:
    """The run's return URL when it is an absolute http(s) URL, else ""."""
    url = str((run.ats_context or {}).get(RETURN_URL_KEY) or "")
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc and "\\" not in url else ""


def candidate_key_for(run: AssessmentRun) -> str:
    """The URL segment of the candidate link: the run's random token, signed, so a mangled or
    guessed link is rejected before any database lookup."""
    return signing.Signer(salt=CANDIDATE_SALT, sep=".").sign(run.token)


def assessment_run_get_by_key(*, key: str) -> AssessmentRun | None:
    """The run a candidate link points at, or None for an invalid / tampered link."""
    try:
        token = signing.Signer(salt=CANDIDATE_SALT, sep=".").unsign(key)
    except signing.BadSignature:
        return None
    return AssessmentRun.objects.select_related("workspace", "result").filter(token=token).first()


def report_key_for(run: AssessmentRun) -> str:
    # Bound to the run's token too, so a report link cannot be forged from a run id alone
    # even if it leaked how ids are signed.
    return signing.dumps({"run": run.pk, "t": run.token[:10]}, salt=REPORT_SALT, compress=True)


def assessment_run_get_by_report_key(*, key: str) -> AssessmentRun | None:
    try:
        data = signing.loads(key, salt=REPORT_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("run"), int):
        return None
    run = AssessmentRun.objects.select_related("workspace", "result").filter(pk=data["run"]).first()
    if run is None or run.token[:10] != data.get("t"):
        return None
    return run


def assessment_run_list_for_workspace(
    *, workspace, status: str = "", instrument: str = ""
) -> QuerySet[AssessmentRun]:
    qs = AssessmentRun.objects.filter(workspace=workspace).select_related("result")
    if status in RunStatus.values:
        qs = qs.filter(status=status)
    if instrument in INSTRUMENT_KEYS:
        qs = qs.filter(instrument=instrument)
    return qs


def assessment_run_get_for_workspace(*, workspace, pk: int) -> AssessmentRun | None:
    return (
        AssessmentRun.objects.select_related("workspace", "result").filter(workspace=workspace, pk=pk).first()
    )


def answers_for_run(*, run: AssessmentRun) -> dict[str, int]:
    return dict(run.answers.values_list("item_id", "value"))
