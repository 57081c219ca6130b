import pytest

from assessments.catalog import instrument_get
from assessments.selectors import candidate_key_for
from assessments.services.candidate import answer_save, assessment_run_start
from assessments.services.runs import ATSRefs, CandidateInfo, assessment_run_create


@pytest.fixture
def make_run(db):
    """Create a run through the service API, optionally started and answered."""

    def make(
        workspace,
        instrument="big5",
        *,
        integration=None,
        started=False,
        answer=None,
        request_key=None,
        **kwargs,
    ):
        refs = ATSRefs(application_id="app-1", request_key=request_key or "req-1") if integration else None
        run, _ = assessment_run_create(
            workspace=workspace,
            instrument=instrument,
            integration=integration,
            refs=refs,
            candidate=CandidateInfo(email="ada@example.com", first_name="Ada", last_name="Lovelace"),
            **kwargs,
        )
        if started or answer is not None:
            run = assessment_run_start(run=run)
        if answer is not None:
            for item in instrument_get(run.instrument, run.instrument_version).items:
                answer_save(run=run, item_id=item.id, value=answer)
        return run

    return make


def path_for(run, name="take", **kwargs):
    from django.urls import reverse

    return reverse(f"assessments:{name}", kwargs={"key": candidate_key_for(run), **kwargs})
