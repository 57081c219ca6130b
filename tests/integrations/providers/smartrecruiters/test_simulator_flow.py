"""Seed 001 "Test in Sandbox" without a browser: the simulator orders over HTTP, the candidate is
invited, the result is written back to the scorecard in the integration's region."""

import pytest
from django.urls import reverse

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun, RunStatus
from assessments.services.candidate import answer_save, assessment_run_start, assessment_run_submit
from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import constants
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.webhooks import webhook_event_process
from integrations.services.writeback import writeback_deliver

from .helpers import mailbox_to

pytestmark = pytest.mark.django_db


def sim_url(name, *args):
    return reverse(f"integrations:sim-smartrecruiters:{name}", args=args)


def new_candidate(client, integration, email="casey.candidate@example.com"):
    company_id = integration.demo["company_id"]
    job = sim.jobs(company_id)[0]
    response = client.post(
        sim_url("company", company_id),
        {"first_name": "Casey", "last_name": "Example", "email": email, "job": job["id"]},
    )
    assert response.status_code == 302, response.content[:300]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def move(client, integration, candidate_id, stage, action=""):
    data = {"stage": stage, **({"action": action} if action else {})}
    response = client.post(sim_url("candidate", integration.demo["company_id"], candidate_id), data)
    assert response.status_code == 302, response.content[:300]


def complete(run, answer=4):
    run = assessment_run_start(run=run)
    for item in instrument_get(run.instrument, run.instrument_version).items:
        answer_save(run=run, item_id=item.id, value=answer)
    return assessment_run_submit(run=run)


def test_advancing_to_an_auto_trigger_stage_orders_the_assessment_and_emails_the_candidate(
    client_in_workspace, connected
):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "screening")
    assert not AssessmentRun.objects.exists(), "no assessment action on Screening"
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = AssessmentRun.objects.get(integration=integration)
    order = sim.orders(integration.demo["company_id"], candidate_id)[0]
    assert (run.external_assessment_id, run.instrument, run.external_candidate_id) == (
        order["id"],
        "big5",
        candidate_id,
    )
    assert order["delivery"]["ok"] and order["delivery"]["status"] == 202
    # Accepting the order does not move its status: JobCannon sets IN_PROGRESS when the
    # candidate starts (test_order_status.py); SR publishes no status of its own for acceptance.
    assert order["status"] == "NEW"
    # The stage's email template travels as a partner field of SR's order body.
    assert run.email_template == "branded" and order["settings"]["trigger"] == "auto"
    assert run.ats_context["assessment_result_url"].endswith(
        f"/assessment-api/v202010/orders/{order['id']}/results"
    )
    email = mailbox_to("casey.candidate@example.com")[0]
    assert "/a/" in email.body_text, "the invitation carries the candidate link"


def test_a_manual_stage_orders_only_when_the_recruiter_triggers_it(client_in_workspace, connected):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "interview")
    assert not AssessmentRun.objects.exists()
    move(client_in_workspace, integration, candidate_id, "interview", action="trigger")
    run = AssessmentRun.objects.get(integration=integration)
    order = sim.get("order", run.external_assessment_id)
    assert (
        run.instrument == "disc"
        and order["settings"]["trigger"] == "manual"
        and run.email_template == "default"
    )


def deliver_all(run):
    for message in WritebackMessage.objects.filter(run=run).order_by("pk"):
        writeback_deliver(message_id=message.pk)
    return {m.kind: m for m in WritebackMessage.objects.filter(run=run)}


def test_completed_run_is_written_with_the_company_credentials_in_the_documented_schema(
    client_in_workspace, connected
):
    integration = connected()
    assert integration.credentials["company_client_id"], "SR issued company credentials at setUpIntegration"
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration))
    message = deliver_all(run)["assessment.result"]
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    result = run.result
    assert order["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"
    body = order["result"]
    # SRO PackageResult: no passed, a status of its enum, a structural score.
    assert set(body) == {
        "status",
        "name",
        "summary",
        "score",
        "scoreLabel",
        "assessmentPackageDate",
        "submissionDate",
        "attachments",
        "assessmentResults",  # one AssessmentResult a dimension (test_assessment_results.py)
    }
    assert body["score"] == {"raw": result.overall_score, "min": 0, "max": 100}
    assert body["scoreLabel"] == f"{result.overall_score}/100"
    assert (
        body["attachments"][0]["type"] == "OTHER_URL"
        and "/assessments/reports/" in body["attachments"][0]["url"]
    )
    assert order["result_meta"]["region"] == "us"
    fields = sim.get("candidate", candidate_id)["properties"]
    assert fields["jc_score"] == str(result.overall_score) and fields["jc_summary"] == result.summary
    run.refresh_from_db()
    assert run.status == RunStatus.DELIVERED


def test_the_report_pdf_is_attached_to_the_order_with_the_company_credentials(client_in_workspace, connected):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration))
    messages = deliver_all(run)
    attachment = messages["assessment.attachment"]
    assert attachment.status == WritebackStatus.CONFIRMED, attachment.last_error
    [stored] = sim.get("order", run.external_assessment_id)["attachments"]
    assert stored["credential"] == "company" and stored["contentType"] == "application/pdf"
    assert stored["name"] == f"jobcannon-big5-report-{run.pk}.pdf"
    assert attachment.external_ref == stored["url"], "SR's AttachmentResult url is kept"
    # What a recruiter downloads from the candidate profile: the candidate's report as a PDF.
    download = client_in_workspace.get(stored["url"].replace("http://testserver", ""))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    pdf = b"".join(download.streaming_content) if download.streaming else download.content
    assert pdf.startswith(b"%PDF-") and len(pdf) == stored["size"]
    assert b"Big Five" in pdf or b"Casey" in pdf, "the report of this candidate's result"


def test_a_refused_attachment_is_retried_on_its_own_and_never_holds_back_the_result(
    client_in_workspace, connected
):
    from integrations.simulator_faults import sim_fault_inject

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration))
    path = f"/sim/smartrecruiters/api/assessment-api/v202010/orders/{run.external_assessment_id}/results/attachment"
    sim_fault_inject(provider="smartrecruiters", faults=["503"], path_prefix=path)
    messages = deliver_all(run)
    assert messages["assessment.result"].status == WritebackStatus.CONFIRMED
    assert messages["assessment.attachment"].status == WritebackStatus.RETRYING
    assert "503" in messages["assessment.attachment"].last_error
    assert sim.get("order", run.external_assessment_id)["status"] == "COMPLETED"
    assert not sim.get("order", run.external_assessment_id).get("attachments")
    writeback_deliver(message_id=messages["assessment.attachment"].pk)
    messages["assessment.attachment"].refresh_from_db()
    assert messages["assessment.attachment"].status == WritebackStatus.CONFIRMED
    assert len(sim.get("order", run.external_assessment_id)["attachments"]) == 1


def test_the_sandbox_refuses_a_result_outside_the_documented_schema(client_in_workspace, connected):
    from integrations.base import ATSValidationError
    from integrations.registry import get_provider

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    order_id = AssessmentRun.objects.get(integration=integration).external_assessment_id
    before = sim.get("order", order_id)["status"]
    client = get_provider("smartrecruiters").company_client(integration)
    url = f"/assessment-api/v202010/orders/{order_id}/results"
    for bad in (
        {"status": "COMPLETED", "passed": None},
        {"status": "CANCELLED"},
        {"status": "NEW"},
        {"status": "COMPLETED", "score": "72/100"},
        {"status": "COMPLETED", "score": {"raw": 120, "min": 0, "max": 100}},
        {"status": "COMPLETED", "attachments": [{"type": "URL", "url": "https://example.com/r"}]},
    ):
        with pytest.raises(ATSValidationError):
            client.order_results_update(url=url, body=bad)
    assert sim.get("order", order_id)["status"] == before, "a refused update changes nothing"


def test_results_with_the_customer_oauth_token_are_refused(client_in_workspace, connected):
    from integrations.base import ATSPermissionError
    from integrations.registry import get_provider

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    order_id = AssessmentRun.objects.get(integration=integration).external_assessment_id
    oauth = get_provider("smartrecruiters").client(integration)
    assert not hasattr(oauth, "order_results_update"), "the OAuth client has no results calls"
    with pytest.raises(ATSPermissionError):
        oauth.request(
            "PATCH",
            f"/assessment-api/v202010/orders/{order_id}/results",
            operation="assessment.results.update",
            json={"status": "COMPLETED"},
        )


def test_moving_a_candidate_sends_the_real_application_event_signed_v1(client_in_workspace, connected):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "screening")
    event = WebhookEvent.objects.get(integration=integration, event_type="application.status.updated")
    assert event.verified and event.signature_scheme == "smartrecruiters-v1"
    # No source publishes application.status.updated's version: the sandbox sends its placeholder
    # [I] (SR sends one on every callback), signed over; nothing but the signature reads it.
    assert {k.lower(): v for k, v in event.headers.items()}["event-version"] == "v201910"
    assert WebhookEvent.objects.filter(integration=integration, event_type="application.created").exists()
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error


def test_eu_integration_results_reach_the_one_published_results_path(client_in_workspace, connected):
    """SR publishes one API host for every company (no EU host): an EU-labelled company's result
    is PATCHed to the same Assessment API results path as any other's, with its company credentials."""
    integration = connected(region="eu")
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration))
    deliver_all(run)
    meta = sim.get("order", run.external_assessment_id)["result_meta"]
    order_id = run.external_assessment_id
    assert meta["path"] == f"/sim/smartrecruiters/api/assessment-api/v202010/orders/{order_id}/results"
    assert meta["credential"] == "company"


@pytest.mark.parametrize("webhook_setup", [{}, {"webhook_api": "seed"}])
def test_a_completed_result_triggers_no_invented_assessment_event(
    client_in_workspace, connected, webhook_setup
):
    """SR's Webhooks API has no assessment event: the sandbox sends none (seed 001's
    candidate.assessment.completed is not SR's), whatever the webhook setup."""
    integration = connected(provider_settings=webhook_setup)
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration))
    assert deliver_all(run)["assessment.result"].status == WritebackStatus.CONFIRMED
    assert sim.get("order", run.external_assessment_id)["status"] == "COMPLETED"
    received = set(WebhookEvent.objects.filter(integration=integration).values_list("event_type", flat=True))
    assert "candidate.assessment.completed" not in received
    assert received <= {*constants.SUBSCRIBED_EVENTS, constants.EVENT_HANDSHAKE}


def _catalog_rows(html):
    """{status label: text of its row} of the catalog page's pipeline table."""
    import re

    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'<tr data-status="[A-Z_]+"><td>([^<]+)</td>(.*?)</tr>', html, re.S)
    }


def test_catalog_page_reads_jobs_and_candidates_by_sr_status_and_explains_ordering_by_hand(
    client_in_workspace, connected
):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    url = reverse("integrations:integration-smartrecruiters:catalog", args=[integration.pk])
    page = client_in_workspace.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "Could not read jobs" not in text
    assert "Customer Success Manager" in text
    # SR publishes no per-job stages: candidates are listed under SR's status, with the sub-status.
    rows = _catalog_rows(text)
    assert candidate_id in rows["In review"] and "Assessment" in rows["In review"]
    assert candidate_id not in rows["New"]
    # Which stage orders an assessment is set up in SR and not readable: no invented action column.
    assert "JobCannon action" not in text and "manual trigger" not in text
    assert "Order assessments" in text, "orders are placed in SmartRecruiters, never by the partner"


def test_catalog_page_works_for_an_integration_connected_by_consent_alone(client_in_workspace, connected):
    """No OAuth token, only the company credentials SR issued at consent: the page reads jobs and
    candidates with those (provider.reads_client), as the README's calls table says."""
    from integrations.models import Token

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    Token.objects.filter(integration=integration).delete()
    assert integration.credential("company_client_id")

    page = client_in_workspace.get(
        reverse("integrations:integration-smartrecruiters:catalog", args=[integration.pk])
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "Could not read jobs" not in text, text[text.find("Could not") :][:300]
    assert "Customer Success Manager" in text and candidate_id in _catalog_rows(text)["New"]


def test_scorecard_page_maps_sr_custom_fields(client_in_workspace, connected):
    integration = connected()
    url = reverse("integrations:integration-smartrecruiters:scorecard", args=[integration.pk])
    page = client_in_workspace.get(url)
    assert page.status_code == 200 and b"JobCannon report" in page.content
    client_in_workspace.post(
        url, {"field_jc_score": "score_label", "field_jc_report": "", "field_jc_summary": ""}
    )
    integration.refresh_from_db()
    assert integration.provider_settings["scorecard_fields"] == {"jc_score": "score_label"}


def test_another_workspace_cannot_open_the_catalog(client, connected, other_workspace):
    from tests.factories import MembershipFactory

    integration = connected()
    stranger = MembershipFactory(workspace=other_workspace).user
    client.force_login(stranger)
    url = reverse("integrations:integration-smartrecruiters:catalog", args=[integration.pk])
    assert client.get(url).status_code == 404


def test_a_plain_member_sees_the_catalog_but_cannot_send_or_remap(client, connected, workspace):
    from jobcannon.workspaces.models import Role
    from tests.factories import MembershipFactory

    integration = connected()
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    catalog = reverse("integrations:integration-smartrecruiters:catalog", args=[integration.pk])
    assert client.get(catalog).status_code == 200
    scorecard = reverse("integrations:integration-smartrecruiters:scorecard", args=[integration.pk])
    assert client.post(scorecard, {"field_jc_score": "summary"}).status_code == 403
    assert not AssessmentRun.objects.exists()


def test_a_cancelled_run_marks_the_sr_order_rejected_with_the_reason(client_in_workspace, connected):
    from assessments.services.runs import assessment_run_cancel

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = assessment_run_cancel(run=AssessmentRun.objects.get(integration=integration), reason="Withdrew")
    message = WritebackMessage.objects.get(run=run)
    assert message.kind == "assessment.status"
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    # SRO's PackageResult.status has no CANCELLED: REJECTED, with the reason as the summary.
    assert order["result"] == {
        "status": "REJECTED",
        "summary": "The assessment was cancelled in JobCannon: Withdrew",
    }
    page = client_in_workspace.get(sim_url("candidate", integration.demo["company_id"], candidate_id))
    assert page.status_code == 200 and b"REJECTED" in page.content


def test_an_expired_run_marks_the_sr_order_expired(client_in_workspace, connected):
    from assessments.services.lifecycle import assessment_run_expire_if_due

    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = AssessmentRun.objects.get(integration=integration)
    AssessmentRun.objects.filter(pk=run.pk).update(due_at=run.created_at)
    run.refresh_from_db()
    assessment_run_expire_if_due(run=run)
    [message] = deliver_all(run).values()
    assert message.kind == "assessment.status" and message.status == WritebackStatus.CONFIRMED, (
        message.last_error
    )
    assert sim.get("order", run.external_assessment_id)["status"] == "EXPIRED"


def test_the_sandbox_pages_claim_no_unpublished_sandbox_host(client_in_workspace, connected):
    integration = connected()
    page = client_in_workspace.get(sim_url("company", integration.demo["company_id"])).content.decode()
    assert "built-in simulator" in page and "api.smartrecruiters.com" in page
    assert "sandbox.smartrecruiters.com" not in page
