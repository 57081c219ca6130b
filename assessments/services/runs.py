"""The service API that integrations use to start, cancel and read assessment runs.

Providers call only these functions (and the types below); they never write assessment models.
(Interface fixed by the foundation; bodies are implemented by the assessments issue.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from assessments.models import AssessmentRun


@dataclass(frozen=True)
class CandidateInfo:
    email: str
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class ATSRefs:
    """Where a run came from in the ATS. `request_key` makes ATS retries idempotent: a second
    create with the same (integration, request_key) returns the existing run."""

    candidate_id: str = ""
    application_id: str = ""
    job_id: str = ""
    assessment_id: str = ""  # the ATS's own id for this order, if it has one
    type_id: str = ""  # the package / assessment type the ATS asked for
    request_key: str | None = None
    context: dict[str, Any] = field(default_factory=dict)  # non-secret extras (job name, profile URL...)


@dataclass(frozen=True)
class InstrumentInfo:
    key: str  # "big5", "disc", "eq"
    version: str
    name: str
    description: str


@dataclass(frozen=True)
class SubScore:
    key: str
    label: str
    score: int  # 0-100
    raw: float


@dataclass(frozen=True)
class RunResult:
    """The result shape providers map to their ATS (Ashby blobs, Lever feedback, SR result...)."""

    run_id: int
    instrument: str
    instrument_name: str
    overall_score: int  # 0-100
    max_score: int  # always 100
    sub_scores: tuple[SubScore, ...]
    summary: str
    report_url: str  # absolute URL of the recruiter-facing report
    completed_at: dt.datetime
    duration_minutes: int


class RunAlreadyActive(Exception):
    """The candidate already has an active run of this instrument for this application (Ashby: 409)."""


def instrument_list(*, workspace) -> list[InstrumentInfo]:
    """The instruments this workspace offers (for Ashby assessment.list, SR catalog, Lever stage rules)."""
    raise NotImplementedError


def assessment_run_create(*, workspace, instrument: str, candidate: CandidateInfo, integration=None,
                          refs: ATSRefs | None = None, due_at: dt.datetime | None = None,
                          email_template: str | None = None, send_invitation: bool = True) -> tuple[AssessmentRun, bool]:
    """Create (or, for a repeated refs.request_key, return) a run and invite the candidate.
    Returns (run, created). Raises jobcannon.core.exceptions.ValidationFailed for bad input
    (unknown instrument, missing email) and RunAlreadyActive for a conflicting active run."""
    raise NotImplementedError


def assessment_run_cancel(*, run: AssessmentRun, reason: str, notify_ats: bool = True) -> AssessmentRun:
    """Cancel a run and revoke its candidate link. Idempotent."""
    raise NotImplementedError


def run_result(*, run: AssessmentRun) -> RunResult:
    """The scored result of a completed run (raises ValueError if not scored yet)."""
    raise NotImplementedError


def candidate_url(*, run: AssessmentRun) -> str:
    """Absolute URL of the candidate's page (the token is the key)."""
    raise NotImplementedError
