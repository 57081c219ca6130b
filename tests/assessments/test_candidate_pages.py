"""The candidate pages through the test client: every state has a clear page, no JavaScript needed."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.catalog import instrument_get
from assessments.models import Answer, AssessmentRun, Result, RunStatus
from assessments.services.runs import assessment_run_cancel
from integrations.models import WritebackMessage
from tests.assessments.conftest import path_for

pytestmark = pytest.mark.django_db


def test_invitation_link_shows_welcome_and_privacy_notice(client, workspace, make_run):
    run = make_run(workspace)

    response = client.get(path_for(run))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Welcome, Ada" in page and "Privacy notice" in page
    assert f"deleted {workspace.retention_days} days after" in page


def test_continuing_without_consent_shows_a_clear_error_and_does_not_start(client, workspace, make_run):
    run = make_run(workspace)

    response = client.post(path_for(run, "start"), {})

    assert response.status_code == 400
    assert "Please tick the box" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.INVITED


def test_consent_starts_the_run_and_notifies_the_ats_once(client, integration, make_run):
    run = make_run(integration.workspace, integration=integration)

    response = client.post(path_for(run, "start"), {"consent": "yes"})
    client.post(path_for(run, "start"), {"consent": "yes"})

    assert response.status_code == 302 and response.url == path_for(run, "instructions")
    run.refresh_from_db()
    assert run.status == RunStatus.STARTED and run.started_at and run.consented_at
    assert list(WritebackMessage.objects.values_list("event", flat=True)) == ["started"]


def test_whole_assessment_without_javascript_scores_and_shows_thank_you(client, integration, make_run):
    run = make_run(integration.workspace, "eq", integration=integration, started=True)
    instrument = instrument_get("eq")

    for page in range(1, instrument.page_count + 1):
        data = {f"item_{item.id}": "4" for item in instrument.page_items(page)}
        response = client.post(path_for(run, "page", page=page), data)
        assert response.status_code == 302
    assert response.url == path_for(run, "review")
    response = client.post(path_for(run, "review"))
    thanks = client.get(response.url)

    assert "Thank you, Ada" in thanks.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.SCORED
    result = Result.objects.get(run=run)
    # EQ all 4, raw range 5..25: SA/SO/RM have 4 positive items at 4 and 1 reverse at 2 (18 -> 65),
    # SM has 3 positive and 2 reverse (16 -> 55).
    assert {d["key"]: d["score"] for d in result.dimensions} == {"SA": 65, "SM": 55, "SO": 65, "RM": 65}
    assert set(WritebackMessage.objects.values_list("event", flat=True)) == {"started", "completed"}


def test_returning_candidate_resumes_at_first_unanswered_page(client, workspace, make_run):
    run = make_run(workspace, "big5", started=True)
    instrument = instrument_get("big5")
    for item in instrument.page_items(1) + instrument.page_items(2)[:3]:
        Answer.objects.create(run=run, item_id=item.id, value=2, answered_at=timezone.now())

    response = client.get(path_for(run))
    page_two = client.get(response.url).content.decode()

    assert response.url == path_for(run, "page", page=2)
    assert "13 of 50 answered" in page_two
    assert 'aria-valuenow="13"' in page_two
    assert page_two.count("checked") == 3  # the answers already given are shown


def test_page_with_unanswered_questions_is_not_left_and_says_how_many(client, workspace, make_run):
    run = make_run(workspace, "disc", started=True)
    first = instrument_get("disc").page_items(1)[0]

    response = client.post(path_for(run, "page", page=1), {f"item_{first.id}": "5"})

    assert response.status_code == 400
    assert "Please answer every question on this page (7 left)" in response.content.decode()
    assert Answer.objects.get(run=run, item_id=first.id).value == 5


def test_out_of_range_answer_on_the_page_form_gets_a_clear_error(client, workspace, make_run):
    run = make_run(workspace, "disc", started=True)
    data = {f"item_{item.id}": "3" for item in instrument_get("disc").page_items(1)}
    data["item_disc_01"] = "9"

    response = client.post(path_for(run, "page", page=1), data)

    assert response.status_code == 400
    assert "choose one of the options from 1 to 5" in response.content.decode()
    assert not Answer.objects.filter(run=run, item_id="disc_01").exists()


def test_answer_api_saves_and_reports_progress(client, workspace, make_run):
    run = make_run(workspace, "eq", started=True)

    response = client.post(
        path_for(run, "answer-save"), {"item_id": "eq_01", "value": 5}, content_type="application/json"
    )
    client.post(
        path_for(run, "answer-save"), {"item_id": "eq_01", "value": 2}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"saved": True, "item_id": "eq_01", "value": 5, "answered": 1, "total": 20}
    assert Answer.objects.get(run=run, item_id="eq_01").value == 2  # a change of mind replaces the answer


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"item_id": "eq_01", "value": 6}, 400, "invalid_answer", "6 is outside the answer scale"),
        ({"item_id": "eq_01", "value": 0}, 400, "invalid_answer", "choose a value from 1 to 5"),
        ({"item_id": "b5_01", "value": 3}, 400, "invalid_answer", "There is no question"),
        ({"item_id": "eq_01", "value": "many"}, 400, "validation_failed", "not valid"),
        ({"item_id": "eq_01"}, 400, "validation_failed", "not valid"),
    ],
)
def test_answer_api_rejects_bad_answers_with_a_clear_json_error(
    client, workspace, make_run, body, status, code, message
):
    run = make_run(workspace, "eq", started=True)

    response = client.post(path_for(run, "answer-save"), body, content_type="application/json")

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert message in response.json()["error"]["message"]
    assert not Answer.objects.exists()


def test_answer_api_with_a_bad_token_answers_404_json(client):
    response = client.post(
        "/a/not-a-real-token.abc/answers", {"item_id": "eq_01", "value": 3}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invalid_link"


def test_answer_api_on_a_cancelled_run_answers_409(client, workspace, make_run):
    run = make_run(workspace, "eq", started=True)
    assessment_run_cancel(run=run, reason="withdrawn")

    response = client.post(
        path_for(run, "answer-save"), {"item_id": "eq_01", "value": 3}, content_type="application/json"
    )

    assert response.status_code == 409
    assert "cancelled" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "path", ["/a/garbage/", "/a/garbage.sig/page/1", "/a/x/review", "/a/%00/instructions"]
)
def test_invalid_links_show_a_not_valid_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_tampered_token_is_rejected_even_when_the_raw_token_is_right(client, workspace, make_run):
    run = make_run(workspace)
    response = client.get(f"/a/{run.token}.forgedsignature/")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_cancelled_run_shows_cancelled_page_on_every_step(client, workspace, make_run):
    run = make_run(workspace, started=True)
    assessment_run_cancel(run=run, reason="Position filled")

    for path in (path_for(run), path_for(run, "page", page=1), path_for(run, "review")):
        response = client.get(path)
        assert response.status_code == 410
        assert "This assessment was cancelled" in response.content.decode()
    assert client.post(path_for(run, "review")).status_code == 410


def test_run_past_its_due_date_expires_on_visit_and_tells_the_ats(client, integration, make_run):
    run = make_run(integration.workspace, integration=integration, started=True)
    AssessmentRun.objects.filter(pk=run.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))

    response = client.get(path_for(run, "page", page=1))

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.EXPIRED
    assert WritebackMessage.objects.filter(event="expired").count() == 1


def test_submit_is_idempotent(client, integration, make_run):
    run = make_run(integration.workspace, "disc", integration=integration, answer=3)

    first = client.post(path_for(run, "review"))
    second = client.post(path_for(run, "review"))

    assert first.status_code == 302
    assert second.status_code == 200 and "Thank you" in second.content.decode()
    assert Result.objects.filter(run=run).count() == 1
    assert WritebackMessage.objects.filter(event="completed").count() == 1


def test_submit_with_unanswered_questions_says_how_many(client, workspace, make_run):
    run = make_run(workspace, "eq", started=True)
    client.post(
        path_for(run, "answer-save"), {"item_id": "eq_01", "value": 3}, content_type="application/json"
    )

    response = client.post(path_for(run, "review"))

    assert response.status_code == 400
    assert "19 question(s) still need an answer" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.STARTED


def test_question_pages_before_consent_send_the_candidate_to_the_welcome_page(client, workspace, make_run):
    run = make_run(workspace)
    response = client.get(path_for(run, "page", page=1))
    assert response.status_code == 302 and response.url == path_for(run)
