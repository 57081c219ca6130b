"""SmartRecruiters' in-line assessment end to end through the sandbox: the applicant applies on the
career site, SR orders in-line (SRO InlineAssessmentPackageOrderRequest) and sends them to
JobCannon; once they submit, JobCannon sends them to the order's completedAssessmentCallbackUrl
and writes the result to its resultCallbackURL. Only the URL SR sent for that order is ever
redirected to."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun
from assessments.selectors import run_return_url
from assessments.services.candidate import answer_save, assessment_run_start
from integrations.models import WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db


def apply_inline(client, integration, email="ines.applicant@example.com"):
    company_id = integration.demo["company_id"]
    job = sim.jobs(company_id)[0]
    return client.post(
        reverse("integrations:sim-smartrecruiters:inline-apply", args=[company_id, job["id"]]),
        {"first_name": "Ines", "last_name": "Example", "email": email, "package": "jobcannon-eq"},
    )


def answer_everything(run):
    run = assessment_run_start(run=run)
    for item in instrument_get(run.instrument, run.instrument_version).items:
        answer_save(run=run, item_id=item.id, value=3)
    return run


def test_an_inline_applicant_is_sent_back_to_srs_callback_url_and_the_result_reaches_the_order(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    applied = apply_inline(client_in_workspace, integration)
    assert applied.status_code == 302, applied.content[:300]
    take = urlsplit(applied["Location"])
    assert take.path.startswith("/a/"), "SR sends the applicant to JobCannon's candidate page at once"
    run = AssessmentRun.objects.get(integration=integration)
    order = sim.get("order", run.external_assessment_id)
    assert order["inline"] and order["delivery"]["status"] == 200
    done_url = f"http://testserver/sim/smartrecruiters/company/{integration.demo['company_id']}/inline/{order['id']}/done/"
    assert run_return_url(run) == done_url

    applicant = Client()  # the applicant's browser: no JobCannon login
    answer_everything(run)
    submitted = applicant.post(take.path.rstrip("/") + "/review")
    assert submitted.status_code == 302 and submitted["Location"] == done_url
    # Back at SR: "Application complete"; a later visit to our link offers the way back too.
    landed = client_in_workspace.get(urlsplit(done_url).path)
    assert landed.status_code == 200 and b"Application complete" in landed.content
    revisit = applicant.get(take.path)
    assert revisit.status_code == 200 and f'href="{done_url}"'.encode() in revisit.content

    # The order's IN_PROGRESS went when the applicant started; no attachment for an in-line order (SRO).
    [message] = WritebackMessage.objects.filter(run=run).exclude(kind="assessment.started")
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"
    assert b"COMPLETED" in client_in_workspace.get(urlsplit(done_url).path).content


def test_a_run_without_a_return_url_ends_on_our_thank_you_page_whatever_the_request_says(
    client_in_workspace, sr_sim
):
    from assessments.services.runs import candidate_url

    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    apply_inline(client_in_workspace, integration)
    run = AssessmentRun.objects.get(integration=integration)
    AssessmentRun.objects.filter(pk=run.pk).update(ats_context={**run.ats_context, "return_url": ""})
    run.refresh_from_db()
    answer_everything(run)
    path = urlsplit(candidate_url(run=run)).path
    submitted = Client().post(path.rstrip("/") + "/review?next=https://attacker.example.com/")
    assert submitted.status_code == 302 and submitted["Location"] == path, "no open redirect"
    page = Client().get(path)
    assert b"You can close this page now." in page.content and b"attacker" not in page.content


@pytest.mark.parametrize(
    "stored",
    [
        "javascript:alert(1)",
        "//attacker.example.com/x",
        "data:text/html,hi",
        "https:\\\\attacker.example.com",
    ],
)
def test_only_an_absolute_http_url_is_ever_a_return_url(stored):
    run = AssessmentRun(ats_context={"return_url": stored})
    assert run_return_url(run) == ""
    assert run_return_url(AssessmentRun(ats_context={"return_url": "https://jobs.example.com/done?x=1"})) == (
        "https://jobs.example.com/done?x=1"
    )
