"""Assessments on Lever pipeline stages: rules edited on our page (stages read from Lever), auto-send
on the signed candidateStageChange the simulator sends, manual trigger, idempotency."""

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever.services import lever_stage_rule_add
from integrations.services.webhooks import webhook_event_process
from jobcannon.core.models import SentEmail
from tests.factories import IntegrationFactory, MembershipFactory, UserFactory

from .helpers import sim_integration, sim_opportunity

pytestmark = pytest.mark.django_db
PHONE = sim.stage_id_by_name("Phone interview")
ONSITE = sim.stage_id_by_name("On-site interview")


def process_all(integration) -> list[WebhookEvent]:
    for event in WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.VERIFIED).order_by(
        "id"
    ):
        webhook_event_process(event_id=event.pk)
    return list(WebhookEvent.objects.filter(integration=integration).order_by("id"))


def add_rule(integration, stage_id=PHONE, stage_name="Phone interview", **kw):
    rule = lever_stage_rule_add(
        integration=integration,
        stage_id=stage_id,
        stage_name=stage_name,
        instrument=kw.pop("instrument", "disc"),
        **kw,
    )
    integration.refresh_from_db()
    return rule


def advance(client, opportunity_id: str, stage_id: str):
    return client.post(
        reverse("integrations:sim-lever:opportunity", args=[opportunity_id]),
        {"action": "advance", "stage": stage_id},
    )


def test_stage_change_into_a_configured_stage_sends_the_assessment(connected, client):
    add_rule(connected, due_days=5)
    client.post(
        reverse("integrations:sim-lever:home"),
        {
            "name": "Alex Example",
            "email": "alex@example.com",
            "posting": sim.stable_id("posting", sim.POSTINGS[0]),
            "stage": sim.stage_id_by_name("New applicant"),
        },
    )
    opportunity = sim.rows("opportunity")[0]
    advance(client, opportunity["id"], PHONE)
    events = process_all(connected)
    assert [e.event_type for e in events] == ["applicationCreated", "candidateStageChange"]
    assert {e.signature_scheme for e in events} == {"lever-body-token"}, "signed as Lever signs"
    assert all(e.status == WebhookStatus.PROCESSED for e in events), [(e.event_type, e.error) for e in events]
    run = AssessmentRun.objects.get(integration=connected)
    assert (run.instrument, run.candidate_email, run.candidate_first_name, run.candidate_last_name) == (
        "disc",
        "alex@example.com",
        "Alex",
        "Example",
    )
    assert run.ats_context["opportunity_id"] == opportunity["id"]
    assert run.external_request_key == f"lever:{opportunity['id']}:{PHONE}:disc"
    assert run.external_application_id == opportunity["applications"][0]["id"]
    assert 4 <= (run.due_at - run.created_at).days <= 5
    assert SentEmail.objects.filter(to__icontains="alex@example.com").exists()


def test_same_stage_change_twice_creates_one_run(connected, client):
    add_rule(connected)
    opp = sim_opportunity()
    advance(client, opp["id"], PHONE)
    advance(client, opp["id"], PHONE)
    process_all(connected)
    assert AssessmentRun.objects.filter(integration=connected).count() == 1
    assert IntegrationActivity.objects.filter(integration=connected, kind="lever.run_exists").exists()


def test_stage_without_a_rule_sends_nothing(connected, client):
    add_rule(connected)
    opp = sim_opportunity()
    advance(client, opp["id"], ONSITE)
    events = process_all(connected)
    assert events[-1].status == WebhookStatus.PROCESSED
    assert not AssessmentRun.objects.exists()


def test_manual_rule_does_not_auto_send(connected, client):
    add_rule(connected, mode="manual")
    opp = sim_opportunity()
    advance(client, opp["id"], PHONE)
    process_all(connected)
    assert not AssessmentRun.objects.exists()


def test_posting_specific_rule_only_applies_to_that_posting(connected, client):
    other_posting = sim.stable_id("posting", sim.POSTINGS[1])
    add_rule(connected, posting_id=other_posting, posting_name=sim.POSTINGS[1])
    opp = sim_opportunity()  # applied to POSTINGS[0]
    advance(client, opp["id"], PHONE)
    process_all(connected)
    assert not AssessmentRun.objects.exists()


def test_application_landing_in_an_auto_send_stage_is_sent_at_once(connected, client):
    add_rule(
        connected, stage_id=sim.stage_id_by_name("New applicant"), stage_name="New applicant", instrument="eq"
    )
    client.post(
        reverse("integrations:sim-lever:home"),
        {
            "name": "Kim Lee",
            "email": "kim@example.com",
            "posting": sim.stable_id("posting", sim.POSTINGS[0]),
            "stage": sim.stage_id_by_name("New applicant"),
        },
    )
    process_all(connected)
    assert AssessmentRun.objects.get().instrument == "eq"  # three events, one run


def test_candidate_who_already_left_the_stage_is_not_sent(connected, client):
    add_rule(connected)
    opp = sim_opportunity()
    advance(client, opp["id"], PHONE)
    advance(client, opp["id"], ONSITE)
    process_all(connected)
    assert not AssessmentRun.objects.exists()
    assert IntegrationActivity.objects.filter(integration=connected, kind="lever.stage_left").exists()


def test_opportunity_without_email_is_logged_not_retried(connected, client):
    add_rule(connected)
    opp = sim_opportunity(email="")
    opp["emails"] = []
    sim.put("opportunity", opp["id"], opp)
    advance(client, opp["id"], PHONE)
    events = process_all(connected)
    assert events[-1].status == WebhookStatus.PROCESSED
    lines = IntegrationActivity.objects.filter(integration=connected, kind="lever.run_not_sent")
    assert lines and all("no email address in Lever" in line.message for line in lines)
    assert not AssessmentRun.objects.exists()


def test_lever_outage_while_reading_the_opportunity_is_retried(connected, client):
    add_rule(connected)
    opp = sim_opportunity()
    advance(client, opp["id"], PHONE)
    sim.rate_limit_set(per_second=0.001, burst=1)
    # Burn the one token, then the handler's own read gets Lever's 429.
    client.get(
        reverse("integrations:sim-lever:api-stages"),
        headers={"Authorization": f"Bearer {connected.credential('api_key')}"},
    )
    event = process_all(connected)[-1]
    assert event.status == WebhookStatus.FAILED and "ATSRateLimited" in event.error and event.next_attempt_at


# -- pages ---------------------------------------------------------------------------------------


def test_stage_rules_page_lists_lever_stages_and_saves_a_rule(connected, client_in_workspace):
    url = reverse("integrations:integration-lever:stages", args=[connected.pk])
    page = client_in_workspace.get(url).content.decode()
    assert "Phone interview" in page and "Every posting" in page and "DISC" in page
    response = client_in_workspace.post(
        url,
        {
            "stage": PHONE,
            "posting": "",
            "instrument": "big5",
            "mode": "auto",
            "due_days": "7",
            "required": "optional",
        },
    )
    assert response.status_code == 302
    connected.refresh_from_db()
    rule = connected.provider_settings["stage_rules"][0]
    assert (rule["stage_name"], rule["instrument"], rule["mode"], rule["due_days"], rule["required"]) == (
        "Phone interview",
        "big5",
        "auto",
        7,
        False,
    )
    detail = client_in_workspace.get(reverse("integrations:detail", args=[connected.pk])).content.decode()
    assert "“Phone interview”: big5, auto-send on stage entry, due in 7 days, optional" in detail


def test_stage_rules_page_rejects_a_stage_lever_does_not_have(connected, client_in_workspace):
    url = reverse("integrations:integration-lever:stages", args=[connected.pk])
    response = client_in_workspace.post(
        url,
        {"stage": "made-up", "instrument": "big5", "mode": "auto", "due_days": "7", "required": "required"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_stage_rules_page_shows_lever_errors_readably(simulators, client_in_workspace, workspace):
    integration = sim_integration(workspace=workspace)
    integration.credentials = {"api_key": "lvr_sim_wrong"}
    integration.save()
    page = client_in_workspace.get(reverse("integrations:integration-lever:stages", args=[integration.pk]))
    assert page.status_code == 200
    assert "Could not read stages from Lever: Invalid API key or insufficient scopes" in page.content.decode()


def test_rule_can_be_removed(connected, client_in_workspace):
    rule = add_rule(connected)
    response = client_in_workspace.post(
        reverse("integrations:integration-lever:stage-delete", args=[connected.pk, rule.id])
    )
    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.provider_settings["stage_rules"] == []


def test_manual_send_button_sends_to_one_opportunity(connected, client_in_workspace):
    rule = add_rule(connected, mode="manual")
    opp = sim_opportunity(name="Jo Manual", email="jo@example.com")
    url = reverse("integrations:integration-lever:send", args=[connected.pk])
    assert opp["id"] in client_in_workspace.get(url, {"opportunity": opp["id"]}).content.decode()
    response = client_in_workspace.post(url, {"opportunity": opp["id"], "rule": rule.id})
    assert response.status_code == 302
    run = AssessmentRun.objects.get()
    assert run.candidate_email == "jo@example.com" and run.ats_context["trigger"] == "manual trigger"
    client_in_workspace.post(url, {"opportunity": opp["id"], "rule": rule.id})
    assert AssessmentRun.objects.count() == 1


def test_manual_send_for_an_unknown_opportunity_shows_lever_404(connected, client_in_workspace):
    rule = add_rule(connected, mode="manual")
    response = client_in_workspace.post(
        reverse("integrations:integration-lever:send", args=[connected.pk]),
        {"opportunity": "no-such-opportunity", "rule": rule.id},
    )
    assert response.status_code == 400
    assert "not found" in response.content.decode()


def test_simulator_send_link_opens_our_send_page_for_that_opportunity(connected, client_in_workspace):
    opp = sim_opportunity()
    page = client_in_workspace.get(
        reverse("integrations:sim-lever:opportunity", args=[opp["id"]])
    ).content.decode()
    link = (
        reverse("integrations:partner-lever:open", args=[connected.public_id]) + f"?opportunity={opp['id']}"
    )
    assert link in page
    response = client_in_workspace.get(link)
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("integrations:integration-lever:send", args=[connected.pk]) + f"?opportunity={opp['id']}"
    )


def test_pages_of_another_workspace_are_404(connected, client):
    stranger = UserFactory()
    MembershipFactory(user=stranger)
    client.force_login(stranger)
    for name in ("stages", "send", "settings"):
        assert (
            client.get(reverse(f"integrations:integration-lever:{name}", args=[connected.pk])).status_code
            == 404
        )
    assert (
        client.get(reverse("integrations:partner-lever:open", args=[connected.public_id])).status_code == 404
    )


def test_lever_pages_refuse_a_non_lever_integration(client_in_workspace, workspace):
    other = IntegrationFactory(workspace=workspace, provider="fake")
    assert (
        client_in_workspace.get(reverse("integrations:integration-lever:send", args=[other.pk])).status_code
        == 404
    )


def test_members_cannot_change_stage_rules(connected, client):
    member = UserFactory()
    MembershipFactory(user=member, workspace=connected.workspace, role="member")
    client.force_login(member)
    response = client.post(
        reverse("integrations:integration-lever:stages", args=[connected.pk]),
        {"stage": PHONE, "instrument": "big5", "mode": "auto", "due_days": "7", "required": "required"},
    )
    assert response.status_code == 403
