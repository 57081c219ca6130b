"""End to end in Debian Chromium: from the invitation in the dev mailbox to the report."""

import re

import pytest
from playwright.sync_api import expect

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun, RunStatus
from assessments.scoring import score_answers
from assessments.services.runs import ATSRefs, CandidateInfo, assessment_run_create, run_result
from integrations.models import WritebackMessage
from tests.assessments.browser import complete_assessment
from tests.conftest import browser_login
from tests.factories import IntegrationFactory

ANSWERS = {"big5": 2, "disc": 5, "eq": 4}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("instrument", ["big5", "disc", "eq"])
def test_candidate_takes_assessment_from_mailbox_invitation_and_report_shows_scores(
    page, user, membership, instrument
):
    from django.contrib.auth.models import Permission

    user.is_staff = True  # the dev mailbox is for staff with core.view_sentemail (issue 21)
    user.save()
    user.user_permissions.add(
        Permission.objects.get(codename="view_sentemail", content_type__app_label="core")
    )
    workspace = membership.workspace
    integration = IntegrationFactory(workspace=workspace)
    run, _ = assessment_run_create(
        workspace=workspace,
        instrument=instrument,
        integration=integration,
        candidate=CandidateInfo(email="grace@example.com", first_name="Grace", last_name="Hopper"),
        refs=ATSRefs(application_id="app-7", request_key=f"req-{instrument}"),
    )
    definition = instrument_get(instrument)
    answer = ANSWERS[instrument]
    expected = score_answers(definition, {item.id: answer for item in definition.items})

    # The invitation, as a newcomer reads it without SMTP.
    browser_login(page, user)
    page.goto("/dev/mailbox/")
    page.get_by_role("link", name=re.compile(re.escape(definition.name))).first.click()
    link = page.locator("pre a").first.get_attribute("href")
    page.context.clear_cookies()  # signed out: the candidate is not a JobCannon user

    complete_assessment(page, link, answer=answer, close_and_resume=True)

    run.refresh_from_db()
    assert run.status == RunStatus.SCORED
    assert WritebackMessage.objects.filter(run=run, event="completed").count() == 1

    # The recruiter's report (workspace member) shows the scores for the answers given.
    browser_login(page, user)
    page.goto(f"/assessments/runs/{run.pk}/")
    expect(page.locator("[data-overall]")).to_have_text(str(expected.overall))
    for dimension in expected.dimensions:
        expect(page.locator(f"tr[data-dimension='{dimension.key}'] [data-score]")).to_have_text(
            str(dimension.score)
        )
        expect(page.locator(f"svg rect[data-key='{dimension.key}']")).to_have_attribute(
            "data-score", str(dimension.score)
        )
    pdf = page.request.get(page.get_by_role("link", name="Download PDF").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # The signed report link the ATS receives opens without a login.
    anonymous = page.context.browser.new_context()
    try:
        shared = anonymous.new_page()
        shared.goto(run_result(run=run).report_url)
        expect(shared.locator("[data-overall]")).to_have_text(str(expected.overall))
    finally:
        anonymous.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_candidate_page_is_usable_at_375px_with_keyboard_only(page, workspace):
    run, _ = assessment_run_create(
        workspace=workspace,
        instrument="eq",
        candidate=CandidateInfo(email="kb@example.com", first_name="Kay"),
    )
    from assessments.services.runs import candidate_url

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(candidate_url(run=run))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling

    # Keyboard only: tab to the consent box, tick it with Space, submit with Enter.
    page.locator("#consent").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Instructions")).to_be_visible()
    page.get_by_role("link", name="Begin").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/page/1$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Tab into the first statement's options, arrow keys choose an answer that is autosaved.
    page.locator("input[name=item_eq_01]").first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#i-eq_01-3")).to_be_checked()
    expect(page.locator("[data-progress]")).to_have_attribute("aria-valuenow", "1")
    # Each arrow key autosaves; wait for the last save (value 3) rather than the first to land.
    for _ in range(50):
        answer = AssessmentRun.objects.get(pk=run.pk).answers.filter(item_id="eq_01").first()
        if answer is not None and answer.value == 3:
            break
        page.wait_for_timeout(100)
    assert AssessmentRun.objects.get(pk=run.pk).answers.get(item_id="eq_01").value == 3
