"""Lever's manual "send now" is a person making us email a candidate: it takes the same people
budgets as the recruiter pages (settings.INVITATION_RATE_LIMITS, per workspace, per person and per
recipient; assessments/services/invitations.py), and is refused past them with a message that
says why, no run and no email (issue 21). A run Lever's webhook orders (a stage rule's auto-send)
is never refused by them."""

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever.services import lever_stage_rule_add
from integrations.services.webhooks import webhook_event_process
from jobcannon.core.models import SentEmail

from .helpers import sim_opportunity

pytestmark = pytest.mark.django_db
PHONE = sim.stage_id_by_name("Phone interview")
ONSITE = sim.stage_id_by_name("On-site interview")


@pytest.fixture
def limits(settings):
    settings.INVITATION_RATE_LIMITS = {
        "workspace": (2, 3600),
        "sender": (10, 3600),
        "recipient": (5, 24 * 3600),
    }


def rule(integration, *, mode: str, stage_id: str = ONSITE):
    """A rule sending DISC, by default on a stage no test moves a candidate into."""
    added = lever_stage_rule_add(
        integration=integration, stage_id=stage_id, stage_name="A stage", instrument="disc", mode=mode
    )
    integration.refresh_from_db()
    return added


def send_now(client, integration, rule_id: str, opportunity_id: str):
    return client.post(
        reverse("integrations:integration-lever:send", args=[integration.pk]),
        {"opportunity": opportunity_id, "rule": rule_id},
    )


def emails_to(address: str) -> int:
    return SentEmail.objects.filter(to__icontains=address).count()


def test_manual_sends_past_the_workspace_budget_are_refused_with_no_run_and_no_email(
    connected, client_in_workspace, limits
):
    manual = rule(connected, mode="manual")
    for n in range(2):
        opportunity = sim_opportunity(name=f"Sam Sample{n}", email=f"sam{n}@example.com")
        assert send_now(client_in_workspace, connected, manual.id, opportunity["id"]).status_code == 302
    one_too_many = sim_opportunity(name="Robin Extra", email="robin.extra@example.com")

    refused = send_now(client_in_workspace, connected, manual.id, one_too_many["id"])

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "This workspace has sent 2 assessment invitations recently" in page and "try again in" in page
    assert not AssessmentRun.objects.filter(candidate_email="robin.extra@example.com").exists()
    assert emails_to("robin.extra@example.com") == 0
    assert [emails_to(f"sam{n}@example.com") for n in range(2)] == [1, 1]


def test_manual_sends_and_the_recruiter_pages_share_one_budget(connected, client_in_workspace, limits):
    """A Lever run a person sent counts like a run sent from the recruiter pages, both ways."""
    manual = rule(connected, mode="manual")
    opportunity = sim_opportunity(name="Sam Sample", email="sam@example.com")
    assert send_now(client_in_workspace, connected, manual.id, opportunity["id"]).status_code == 302
    page_send = {"instrument": "big5", "email": "ada@example.com", "first_name": "Ada", "last_name": "L"}
    assert client_in_workspace.post(reverse("assessments:create"), page_send).status_code == 302
    later = sim_opportunity(name="Kim Later", email="kim@example.com")

    refused_page = client_in_workspace.post(
        reverse("assessments:create"), {**page_send, "email": "x@example.com"}
    )
    refused_lever = send_now(client_in_workspace, connected, manual.id, later["id"])

    for refused in (refused_page, refused_lever):
        assert refused.status_code == 400
        assert "This workspace has sent 2 assessment invitations recently" in refused.content.decode()
    assert emails_to("x@example.com") == emails_to("kim@example.com") == 0


def test_a_run_lever_orders_by_webhook_is_created_when_the_budgets_are_spent(
    connected, client, client_in_workspace, limits
):
    manual = rule(connected, mode="manual")
    for n in range(2):
        opportunity = sim_opportunity(name=f"Sam Sample{n}", email=f"sam{n}@example.com")
        assert send_now(client_in_workspace, connected, manual.id, opportunity["id"]).status_code == 302
    no_more = sim_opportunity(name="No More", email="no.more@example.com")
    assert send_now(client_in_workspace, connected, manual.id, no_more["id"]).status_code == 400  # spent
    rule(connected, mode="auto", stage_id=PHONE)
    ordered = sim_opportunity(name="Alex Example", email="alex@example.com")

    # Lever's candidateStageChange webhook, signed as Lever signs it, processed by the worker.
    client.post(
        reverse("integrations:sim-lever:opportunity", args=[ordered["id"]]),
        {"action": "advance", "stage": PHONE},
    )
    stored = WebhookEvent.objects.filter(integration=connected, status=WebhookStatus.VERIFIED)
    for event in stored.order_by("id"):
        webhook_event_process(event_id=event.pk)

    run = AssessmentRun.objects.get(integration=connected, candidate_email="alex@example.com")
    # Ordered by whichever of Lever's webhooks is processed first (applicationCreated reads the
    # opportunity's current stage, or candidateStageChange): never by a person.
    assert run.ats_context["trigger"].startswith("auto-send on ") and run.invited_by is None
    assert emails_to("alex@example.com") == 1
