"""Results written back to Lever as feedback forms (and notes), against the simulator; seed 004
Common Errors "Feedback form creation failed (404)" and "Invalid API key or insufficient scopes"
on the write path; 429 backoff."""

import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.catalog import instrument_get
from assessments.scoring import score_answers
from assessments.services.runs import RunResult, SubScore
from integrations.models import IntegrationActivity, IntegrationStatus, WritebackStatus
from integrations.providers.lever import constants, mappers
from integrations.providers.lever import simulator_state as sim
from integrations.services.integrations import integration_credentials_check
from integrations.services.writeback import writeback_deliver, writeback_enqueue
from tests.assessments.scale_checks import contradicting_figures, run_result_of

from .helpers import scored_run, sim_integration, sim_opportunity

pytestmark = pytest.mark.django_db
CATALOG = Path(__file__).parents[4] / "assessments" / "catalog"


@pytest.fixture
def connected(simulators, workspace):
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    return integration


def deliver(run, event="completed"):
    messages = writeback_enqueue(run=run, event=event)
    for message in messages:
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
    return messages


def feedback_values(opportunity_id: str) -> list[dict[str, str]]:
    return [
        {f["text"]: f["value"] for f in item["fields"]}
        for item in sim.rows("feedback", opportunity=opportunity_id)
    ]


def test_completed_run_becomes_a_confirmed_feedback_form_on_the_opportunity(connected):
    opp = sim_opportunity()
    run = scored_run(connected, opportunity_id=opp["id"], overall=72)
    [message] = deliver(run)
    assert message.kind == "feedback" and message.status == WritebackStatus.CONFIRMED
    [values] = feedback_values(opp["id"])
    assert values["Overall rating"] == "3 - Hire"
    assert values["Overall score (0-100)"] == "72/100"
    assert values["Scores by dimension"] == (
        "Dominance: 23.28 on the 6–30 scale\nInfluence: 12 on the 6–30 scale"
    )
    assert values["Summary"] == "Direct and decisive."
    assert values["Full report"].startswith("http://testserver/")
    assert values["JobCannon reference"] == f"jobcannon-run-{run.pk}"
    feedback = sim.rows("feedback", opportunity=opp["id"])[0]
    assert message.external_ref == feedback["id"]
    assert feedback["user"] == sim.stable_id("user", "sam.admin@example.com"), (
        "written as the Lever super admin"
    )
    run.refresh_from_db()
    assert run.status == "delivered"


def test_feedback_and_note_mode_writes_both(connected):
    connected.provider_settings = {**connected.provider_settings, "writeback_mode": "feedback+note"}
    connected.save()
    opp = sim_opportunity()
    messages = deliver(scored_run(connected, opportunity_id=opp["id"], overall=90))
    assert [m.kind for m in messages] == ["note", "feedback"]
    assert all(m.status in (WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED) for m in messages)
    [note] = sim.rows("note", opportunity=opp["id"])
    assert note["score"] == 4 and "JobCannon DISC work style: overall 90 of 100" in note["value"]
    assert "Dominance: 27.6 on the 6–30 scale" in note["value"]
    assert len(sim.rows("feedback", opportunity=opp["id"])) == 1


def dimension_range(instrument_key: str, dimension: str) -> str:
    """A dimension's raw range read straight off the catalog file: items × the answer scale."""
    data = json.loads((CATALOG / instrument_key / "v1.json").read_text())
    n = sum(1 for item in data["items"] if item["dimension"] == dimension)
    return f"{n * data['scale']['min']}–{n * data['scale']['max']}"


@pytest.mark.parametrize("mode", ["feedback", "feedback+note"])
def test_sub_scores_are_written_on_the_instruments_own_range_not_out_of_100(connected, mode):
    """DISC dimensions run 6–30 (6 items on 1–5), not 0–100: the feedback form and the note say
    so, as Ashby's scorecard does (assessments.scales)."""
    connected.provider_settings = {**connected.provider_settings, "writeback_mode": mode}
    connected.save()
    opp = sim_opportunity()
    deliver(scored_run(connected, opportunity_id=opp["id"], overall=72))
    span = dimension_range("disc", "D")
    assert span == "6–30"
    [values] = feedback_values(opp["id"])
    written = [values["Scores by dimension"]] + [n["value"] for n in sim.rows("note", opportunity=opp["id"])]
    for text in written:
        assert f"Dominance: 23.28 on the {span} scale" in text
        assert f"Influence: 12 on the {dimension_range('disc', 'I')} scale" in text
        assert "Dominance: 72/100" not in text and "Influence: 25/100" not in text


def test_a_disc_result_scored_from_answers_reaches_lever_with_one_figure_a_style(connected):
    """Scored by assessments.scoring from real DISC answers, the scorer's own summary stored: the
    feedback form's "Summary" and the note say each style's raw score on 6–30, as "Scores by
    dimension" does, never its 0–100 position ("Dominance (83/100) … Dominance 83")."""
    from assessments.models import Result

    connected.provider_settings = {**connected.provider_settings, "writeback_mode": "feedback+note"}
    connected.save()
    opp = sim_opportunity()
    run = scored_run(connected, opportunity_id=opp["id"])
    disc = instrument_get("disc", "1")
    score = score_answers(disc, {i.id: 5 if i.dimension == "D" else 2 for i in disc.items})
    Result.objects.filter(run=run).update(
        overall_score=score.overall, dimensions=score.dimension_records(), summary=score.summary
    )
    deliver(run)
    [values] = feedback_values(opp["id"])
    [note] = sim.rows("note", opportunity=opp["id"])
    assert values["Summary"] == score.summary and score.summary in note["value"]
    assert values["Summary"].startswith("Primary style: Dominance (26 on the 6–30 scale)")
    for text in (values["Summary"], values["Scores by dimension"], note["value"]):
        assert contradicting_figures(text, score.dimensions) == [], text
    assert values["Overall score (0-100)"] == f"{score.overall}/100", "the overall score, labelled 0–100"
    assert f"DISC work style: overall {score.overall} of 100\n" in note["value"]


@pytest.mark.parametrize("key", ["big5", "eq"])
def test_every_figure_lever_gets_for_a_dimension_is_on_its_instruments_range(key):
    """Big Five (10–50) and EQ (5–25), every answer 4: the summary field and the note agree with
    the scores field, each dimension's raw score on its own range."""
    instrument = instrument_get(key, "1")
    score = score_answers(instrument, {i.id: 4 for i in instrument.items})
    result = run_result_of(score)
    template = mappers.TemplateRef(
        id="tpl-1", field_ids=tuple((k, f"field-{k}") for k, _kind, _text in mappers.TEMPLATE_FIELDS)
    )
    fields = {f["id"]: f["value"] for f in mappers.feedback_body(result, template)["fieldValues"]}
    note = mappers.note_body(result)["value"]
    assert fields["field-summary"] == score.summary
    for text in (fields["field-summary"], fields["field-scores"], note):
        assert contradicting_figures(text, score.dimensions) == [], text
    first = score.dimensions[0]
    assert f"{first.label}: " in fields["field-summary"] and f"({first.raw:g} on the {first.raw_min}–" in note


def test_an_eq_note_prints_the_eq_range():
    """EQ dimensions have 5 items (5–25): the scale printed is the instrument's, whichever it is."""
    result = RunResult(
        run_id=1,
        instrument="eq",
        instrument_name="Emotional intelligence (EQ)",
        overall_score=60,
        max_score=100,
        sub_scores=(SubScore(key="SA", label="Self-awareness", score=75, raw=20.0),),
        summary="",
        report_url="http://testserver/r/1",
        completed_at=timezone.now(),
        duration_minutes=8,
    )
    text = mappers.note_body(result)["value"]
    assert f"Self-awareness: 20 on the {dimension_range('eq', 'SA')} scale" in text
    assert "75/100" not in text


def test_expired_run_leaves_a_note(connected):
    opp = sim_opportunity()
    run = scored_run(connected, opportunity_id=opp["id"])
    [message] = deliver(run, event="expired")
    assert message.status == WritebackStatus.DELIVERED
    assert "expired without a result" in sim.rows("note", opportunity=opp["id"])[0]["value"]


def test_a_retry_after_an_unacknowledged_write_does_not_duplicate_the_form(connected):
    opp = sim_opportunity()
    run = scored_run(connected, opportunity_id=opp["id"])
    [message] = deliver(run)
    message.status, message.attempts = WritebackStatus.RETRYING, 1
    message.save()
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED
    assert len(sim.rows("feedback", opportunity=opp["id"])) == 1


def test_template_deleted_in_lever_is_recreated(connected):
    for row in sim.rows("feedback_template"):
        sim.SimulatorObject.objects.filter(kind="feedback_template", key=row["id"]).delete()
    opp = sim_opportunity()
    [message] = deliver(scored_run(connected, opportunity_id=opp["id"]))
    assert message.status == WritebackStatus.CONFIRMED
    assert len(sim.rows("feedback_template")) == 1


def test_without_any_lever_user_the_result_is_written_as_a_note(connected):
    sim.SimulatorObject.objects.filter(provider="lever", kind="user").delete()
    opp = sim_opportunity()
    [message] = deliver(scored_run(connected, opportunity_id=opp["id"]))
    assert message.status == WritebackStatus.DELIVERED and message.external_ref.startswith("note:")
    assert sim.rows("note", opportunity=opp["id"])
    assert IntegrationActivity.objects.filter(integration=connected, kind="lever.note_fallback").exists()


# -- seed 004 Common Errors: "Feedback form creation failed (404)" -------------------------------


def test_feedback_for_a_missing_opportunity_is_dead_lettered_with_the_seeds_explanation(
    connected, client_in_workspace
):
    [message] = deliver(scored_run(connected, opportunity_id="no-such-opportunity"))
    assert message.status == WritebackStatus.DEAD
    assert message.last_error.startswith(constants.FEEDBACK_404_EXPLANATION)
    assert "at least one active application" in message.last_error
    connected.refresh_from_db()
    assert connected.status == IntegrationStatus.CONNECTED, "a missing candidate is not a credential problem"
    page = client_in_workspace.get(reverse("integrations:detail", args=[connected.pk])).content.decode()
    assert 'id="lever-dead-letters"' in page and "Feedback form creation failed (404)" in page


@pytest.mark.parametrize("change", ["archived", "spam", "rejected"])
def test_feedback_for_an_archived_or_spam_application_is_dead_lettered(connected, change):
    opp = sim_opportunity()
    if change == "archived":
        opp["archived"] = {"archivedAt": sim.now_ms(), "reason": "x"}
    else:
        opp["applications"][0]["status"] = change
    sim.put("opportunity", opp["id"], opp)
    [message] = deliver(scored_run(connected, opportunity_id=opp["id"]))
    assert message.status == WritebackStatus.DEAD and "(404)" in message.last_error
    assert message.attempts == 1, "not retried forever"


# -- seed 004 Common Errors: "Invalid API key or insufficient scopes" on the write path ----------


def test_revoked_key_halts_writes_in_needs_reauth_with_the_fix(connected, client_in_workspace):
    key = sim.get("api_key", sim.digest(connected.credential("api_key")))
    sim.put("api_key", sim.digest(connected.credential("api_key")), {**key, "revoked": True})
    opp = sim_opportunity()
    [message] = deliver(scored_run(connected, opportunity_id=opp["id"]))
    assert message.status == WritebackStatus.NEEDS_REAUTH
    connected.refresh_from_db()
    assert connected.status == IntegrationStatus.NEEDS_REAUTH
    assert connected.status_reason.startswith("Invalid API key or insufficient scopes")
    page = client_in_workspace.get(reverse("integrations:detail", args=[connected.pk])).content.decode()
    assert "Regenerate the API key in Lever settings if expired" in page


def test_key_that_lost_feedback_write_names_the_scope_and_resumes_after_a_new_key(
    connected, client_in_workspace
):
    digest = sim.digest(connected.credential("api_key"))
    sim.put(
        "api_key",
        digest,
        {**sim.get("api_key", digest), "scopes": ["opportunities:read", "applications:read"]},
    )
    opp = sim_opportunity()
    [message] = deliver(scored_run(connected, opportunity_id=opp["id"]))
    assert message.status == WritebackStatus.NEEDS_REAUTH
    connected.refresh_from_db()
    assert "`feedback:write`" in connected.status_reason
    page = client_in_workspace.get(reverse("integrations:detail", args=[connected.pk])).content.decode()
    assert '<code id="lever-missing-scope">feedback:write</code>' in page
    # The fix: a new key with the scope; saving it reconnects and redelivers the waiting write.
    response = client_in_workspace.post(
        reverse("integrations:action", args=[connected.pk, "api-key"]), {"api_key": sim.api_key_register()}
    )
    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.status == IntegrationStatus.CONNECTED
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED


# -- rate limits -----------------------------------------------------------------------------------


def test_lever_429_is_retried_after_5_seconds(connected):
    opp = sim_opportunity()
    run = scored_run(connected, opportunity_id=opp["id"])
    sim.rate_limit_set(per_second=0.001, burst=1)
    [message] = deliver(run)
    assert message.status == WritebackStatus.RETRYING and message.last_error_class == "ATSRateLimited"
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 4 < wait <= 6, "seed 004: backoff 5s → 15s → 60s"
