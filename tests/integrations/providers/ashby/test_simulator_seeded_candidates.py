"""The sandbox candidates demo_setup seeds (simulator_sync_data.sync_seed: a candidate row plus a
separate application row on a job) behave on the simulated Ashby's pages like a candidate made with
"Create test candidate": the profile shows the job and application, "Send JobCannon assessment"
sends their ids, and candidate.info lists the application."""

import base64
import json

import pytest
from django.urls import reverse

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun
from assessments.services.candidate import answers_save, assessment_run_start, assessment_run_submit
from integrations.models import Environment
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.selectors import assessment_type_id
from integrations.registry import get_provider
from integrations.services.integrations import integration_create, integration_credentials_check


@pytest.fixture
def sandbox(simulators, workspace):
    """What the wizard's "Get sandbox credentials from the simulator" leaves: a connected
    integration and a simulated Ashby account holding sync_seed's five candidates."""
    integration = integration_create(
        workspace=workspace,
        provider="ashby",
        environment=Environment.SANDBOX,
        auth_kind="api_key",
        provider_settings={"use_simulator": True},
    )
    account = get_provider("ashby").demo_setup(integration)["simulator_account"]
    integration.refresh_from_db()
    assert integration_credentials_check(integration=integration), integration.status_reason
    return integration, account


def _seeded(account: str, name: str = "Robin Sample"):
    candidate = next(c for c in sim.list_for("candidate", account) if c.data["name"] == name)
    application = next(
        a for a in sim.list_for("application", account) if a.data["candidate_id"] == candidate.key
    )
    return candidate, application, sim.get("job", application.data["job_id"])


@pytest.mark.django_db
def test_send_jobcannon_assessment_on_a_seeded_candidate_sends_its_application_and_job(sandbox, client):
    integration, account = sandbox
    candidate, application, job = _seeded(account)
    listing = client.get(reverse("integrations:sim-ashby:account", args=[account])).content.decode()
    assert f"{candidate.data['name']}</a></td><td>{candidate.data['email']}</td><td>{job.data['title']}<" in (
        listing
    ), "the candidates table names each seeded candidate's job"

    profile = reverse("integrations:sim-ashby:candidate", args=[account, candidate.key])
    page = client.get(profile).content.decode()
    assert f'<dd id="job">{job.data["title"]} ' in page
    assert f"<code>{application.key}</code>" in page, "the application id is shown"

    big5 = assessment_type_id(workspace_id=integration.workspace_id, instrument="big5")
    response = client.post(profile, {"action": "start", "assessment_type_id": big5}, follow=True)

    assert response.status_code == 200
    assert "JobCannon assessment started" in response.content.decode()
    run = AssessmentRun.objects.get(integration=integration)
    assert (run.external_candidate_id, run.external_application_id, run.external_job_id) == (
        candidate.key,
        application.key,
        job.key,
    )
    assert run.external_request_key == f"{application.key}:big5"
    assert run.ats_context["job_name"] == job.data["title"]
    assert run.candidate_email == candidate.data["email"] and run.status == "invited"
    assessment = sim.get("assessment", run.external_assessment_id)
    assert assessment.data["application_id"] == application.key
    assert assessment.data["status"] == "Invited"


@pytest.mark.django_db
def test_candidate_info_lists_a_seeded_candidates_application(sandbox, client):
    integration, account = sandbox
    candidate, application, _ = _seeded(account, "Alex Example")
    auth = base64.b64encode(f"{integration.credential('api_key')}:".encode()).decode()
    response = client.post(
        "/sim/ashby/candidate.info",
        data=json.dumps({"id": candidate.key}),
        content_type="application/json",
        headers={"Authorization": f"Basic {auth}"},
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results["id"] == candidate.key and results["applicationIds"] == [application.key]


@pytest.mark.django_db
def test_sending_the_same_assessment_again_shows_the_state_jobcannon_answered(sandbox, client):
    """The simulated Ashby says what the repeated assessment.start answered (audit: it showed
    "JobCannon assessment started" for a completed assessment)."""
    integration, account = sandbox
    candidate, _, _ = _seeded(account, "Sam Placeholder")
    profile = reverse("integrations:sim-ashby:candidate", args=[account, candidate.key])
    big5 = assessment_type_id(workspace_id=integration.workspace_id, instrument="big5")
    first = client.post(profile, {"action": "start", "assessment_type_id": big5}, follow=True)
    assert "JobCannon assessment started" in first.content.decode()
    run = AssessmentRun.objects.get(integration=integration)
    run = assessment_run_start(run=run)
    answers_save(
        run=run, values={i.id: 4 for i in instrument_get(run.instrument, run.instrument_version).items}
    )
    run = assessment_run_submit(run=run)

    again = client.post(
        profile, {"action": "start", "assessment_type_id": big5}, follow=True
    ).content.decode()

    assert (
        f"JobCannon already has this assessment (assessment id {run.external_assessment_id}): Completed: Score"
        in (again)
    )
    assert "JobCannon assessment started" not in again
    assert AssessmentRun.objects.filter(integration=integration).count() == 1
