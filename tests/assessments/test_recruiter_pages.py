"""Recruiter pages: list, invite, report (member and signed link), PDF, settings."""

import pytest
from django.urls import reverse

from assessments.models import AssessmentConfig, AssessmentRun, RunStatus
from assessments.reports import report_build, report_pdf
from assessments.services.candidate import assessment_run_submit
from assessments.services.runs import run_result
from jobcannon.core.models import SentEmail
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_run(workspace, make_run):
    run = make_run(workspace, "big5", answer=5)
    return assessment_run_submit(run=run)


def test_report_page_shows_scores_and_chart_for_a_member(client_in_workspace, scored_run):
    response = client_in_workspace.get(reverse("assessments:report", args=[scored_run.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "data-overall>52<" in page  # all-5 Big Five: 50, 60, 60, 20, 70
    assert "<svg" in page and 'data-key="ES" data-score="20"' in page
    assert "Download PDF" in page
    # The summary's figures are the Raw column's (18 of 10–50), not the Score column's 20.
    assert '<td>18 <span class="muted">(10–50)</span></td>' in page
    assert "Emotional stability: low (18 on the 10–50 scale)" in page


def test_report_of_another_workspace_is_404(client_in_workspace, make_run):
    other_run = make_run(WorkspaceFactory(), "eq")

    for name in ("assessments:report", "assessments:report-pdf", "assessments:cancel", "assessments:resend"):
        method = client_in_workspace.post if name.endswith(("cancel", "resend")) else client_in_workspace.get
        assert method(reverse(name, args=[other_run.pk])).status_code == 404
    other_run.refresh_from_db()
    assert other_run.status == RunStatus.INVITED


def test_report_pages_need_a_login(client, scored_run):
    response = client.get(reverse("assessments:report", args=[scored_run.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_signed_report_link_opens_without_login_and_a_tampered_one_is_404(client, scored_run):
    url = run_result(run=scored_run).report_url

    response = client.get(url)
    tampered = client.get(url.replace("/reports/", "/reports/x"))
    pdf = client.get(url + "report.pdf")

    assert response.status_code == 200 and "data-overall>52<" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "Send the invitation again" not in response.content.decode()  # no recruiter actions
    assert tampered.status_code == 404
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_pdf_report_contains_the_scores(client_in_workspace, scored_run):
    response = client_in_workspace.get(reverse("assessments:report-pdf", args=[scored_run.pk]))
    text = report_pdf(report_build(run=scored_run), compress=False)

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert b"Overall score: 52/100" in text
    assert b"Emotional stability: 20/100" in text


def test_pdf_of_an_unscored_run_is_404(client_in_workspace, workspace, make_run):
    run = make_run(workspace, "disc")
    assert client_in_workspace.get(reverse("assessments:report-pdf", args=[run.pk])).status_code == 404
    page = client_in_workspace.get(reverse("assessments:report", args=[run.pk])).content.decode()
    assert "No result yet" in page


def test_run_result_payload_for_providers(scored_run):
    result = run_result(run=scored_run)

    assert result.instrument == "big5" and result.instrument_name == "Big Five personality"
    assert (result.overall_score, result.max_score) == (52, 100)
    assert [(s.key, s.score, s.raw) for s in result.sub_scores] == [
        ("E", 50, 30.0),
        ("A", 60, 34.0),
        ("C", 60, 34.0),
        ("ES", 20, 18.0),
        ("O", 70, 38.0),
    ]
    assert result.report_url.startswith("http://testserver/assessments/reports/")
    assert result.summary.startswith("Extraversion: moderate (30 on the 10–50 scale)")


def test_list_page_shows_runs_of_this_workspace_only_without_n_plus_1(
    client_in_workspace, workspace, make_run, django_assert_max_num_queries
):
    for i in range(3):
        make_run(workspace, "eq", request_key=f"k{i}")
    make_run(WorkspaceFactory(), "eq")

    with django_assert_max_num_queries(12):
        response = client_in_workspace.get(reverse("assessments:list"))

    assert response.status_code == 200
    assert response.content.decode().count("ada@example.com</span>") == 3


def test_list_page_filters_by_status(client_in_workspace, workspace, make_run, scored_run):
    make_run(workspace, "eq")
    response = client_in_workspace.get(reverse("assessments:list") + "?status=scored")
    assert response.content.decode().count("ada@example.com</span>") == 1


def test_invite_form_creates_a_run_and_sends_the_invitation(client_in_workspace, workspace):
    response = client_in_workspace.post(
        reverse("assessments:create"),
        {
            "instrument": "disc",
            "first_name": "Alan",
            "last_name": "Turing",
            "email": "alan@example.com",
        },
    )

    run = AssessmentRun.objects.get(workspace=workspace)
    assert response.status_code == 302 and response.url == reverse("assessments:report", args=[run.pk])
    assert run.status == RunStatus.INVITED
    assert SentEmail.objects.get().to == "alan@example.com"


def test_invite_form_shows_field_errors(client_in_workspace):
    response = client_in_workspace.post(
        reverse("assessments:create"), {"instrument": "mbti", "email": "nope"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert "Select a valid choice." in page
    assert not AssessmentRun.objects.exists()


def test_cancel_from_the_report_revokes_the_candidate_link(client_in_workspace, client, workspace, make_run):
    from tests.assessments.conftest import path_for

    run = make_run(workspace, "eq")
    client_in_workspace.post(reverse("assessments:cancel", args=[run.pk]))

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert "This assessment was cancelled" in client.get(path_for(run)).content.decode()


def test_settings_page_saves_offered_instruments_template_and_due_days(client_in_workspace, workspace):
    response = client_in_workspace.post(
        reverse("assessments:config"),
        {
            "offered_instruments": ["eq", "big5"],
            "email_template": "branded",
            "brand_name": "Acme Talent",
            "brand_color": "#aa3300",
            "default_due_days": "10",
            "reminder_days_before": "1",
        },
    )

    assert response.status_code == 302
    config = AssessmentConfig.objects.get(workspace=workspace)
    assert config.offered_instruments == ["big5", "eq"]
    assert (config.email_template, config.default_due_days, config.brand_name) == (
        "branded",
        10,
        "Acme Talent",
    )


def test_settings_page_rejects_bad_values_with_field_errors(client_in_workspace):
    response = client_in_workspace.post(
        reverse("assessments:config"),
        {
            "offered_instruments": ["big5"],
            "email_template": "fancy",
            "brand_color": "red",
            "default_due_days": "0",
            "reminder_days_before": "1",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Use a colour like #1f4e8c." in page
    assert "Ensure this value is greater than or equal to 1." in page
    assert not AssessmentConfig.objects.exists()


def test_settings_page_is_for_owners_and_admins(client, workspace):
    member = UserFactory()
    MembershipFactory(user=member, workspace=workspace, role="member")
    client.force_login(member)
    assert client.get(reverse("assessments:config")).status_code == 403


def test_the_run_list_and_report_name_the_ats_that_ordered_a_run(client_in_workspace, workspace, make_run):
    """The name comes from integrations through assessments.services.hooks (run_source_name):
    the assessments pages read nothing of integrations themselves."""
    from tests.factories import IntegrationFactory

    ordered = make_run(workspace, "eq", integration=IntegrationFactory(workspace=workspace, provider="ashby"))
    by_hand = make_run(workspace, "disc")

    listing = client_in_workspace.get(reverse("assessments:list")).content.decode()
    report = client_in_workspace.get(reverse("assessments:report", args=[ordered.pk])).content.decode()
    manual_report = client_in_workspace.get(reverse("assessments:report", args=[by_hand.pk])).content.decode()

    assert listing.count("<td>Ashby</td>") == 1 and listing.count("<td>Manual</td>") == 1
    assert "<dt>From</dt><dd>Ashby" in report
    assert "<dt>From</dt>" not in manual_report
