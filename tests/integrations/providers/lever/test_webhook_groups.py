"""LD "Create a Webhook" (https://hire.lever.co/developer/documentation): "A Super
Admin will need to toggle-on the webhook group (ie: 'Candidate Stage Change') on the webhooks page
in their account settings for the data to begin sending." The sandbox behaves so, and the customer
is told so: in the setup guide, on the checklist while no delivery has come, in the activity log."""

import pytest
from django.urls import reverse

from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever import simulator_webhooks as outbound
from integrations.providers.lever.provider import LeverProvider
from integrations.providers.lever.simulator_pages import opportunity_advance
from integrations.services.integrations import integration_credentials_check

from .helpers import lever_integration, sim_integration, sim_opportunity

pytestmark = pytest.mark.django_db
TOGGLE = "toggle-on the webhook group (ie: 'Candidate Stage Change')"


@pytest.fixture
def connected_groups_off(simulators, workspace):
    """A fresh sandbox account: the connect registers the webhooks, no group is switched on."""
    integration = sim_integration(workspace=workspace, webhook_groups_on=False)
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    return integration


def test_api_registered_webhooks_send_nothing_until_the_group_is_switched_on_in_the_sandbox(
    connected_groups_off, client_in_workspace
):
    integration = connected_groups_off
    opp = sim_opportunity()
    assert opportunity_advance(opp, sim.stage_id_by_name("Phone interview")) == []
    assert sim.rows("delivery") == []
    assert not WebhookEvent.objects.filter(integration=integration).exists()

    settings_url = reverse("integrations:sim-lever:webhooks")
    page = client_in_workspace.get(settings_url).content.decode()
    assert page.count("no: its group is switched off") == len(constants.REGISTERED_EVENTS)
    response = client_in_workspace.post(
        settings_url, {"action": "groups", "groups": [constants.EVENT_CANDIDATE_STAGE_CHANGE]}
    )
    assert response.status_code == 302
    assert outbound.webhook_groups_on() == {constants.EVENT_CANDIDATE_STAGE_CHANGE}

    opp = sim.get("opportunity", opp["id"])
    [delivery] = opportunity_advance(opp, sim.stage_id_by_name("Offer"))
    assert delivery["event"] == constants.EVENT_CANDIDATE_STAGE_CHANGE and delivery["status"] == 200
    event = WebhookEvent.objects.get(integration=integration)
    assert event.verified and event.status == WebhookStatus.VERIFIED
    assert sim_opportunity(name="Sam Second", email="sam.second@example.com")
    assert WebhookEvent.objects.filter(integration=integration).count() == 1, "applicationCreated still off"


def test_sandbox_webhooks_page_has_a_labelled_switch_per_group(simulators, client_in_workspace):
    outbound.webhook_groups_set([constants.EVENT_APPLICATION_CREATED])
    page = client_in_workspace.get(reverse("integrations:sim-lever:webhooks")).content.decode()
    assert "<legend>Switched on</legend>" in page
    for label, event in sim.WEBHOOK_GROUPS:
        assert f'id="sim-group-{event}"' in page and f'<label for="sim-group-{event}">{label}</label>' in page
    assert f'value="{constants.EVENT_APPLICATION_CREATED}" id="sim-group-applicationCreated" checked' in page
    assert 'id="sim-group-candidateStageChange" checked' not in page


def test_a_webhook_added_by_hand_switches_its_group_on(simulators):
    outbound.webhook_add(url="https://example.com/hook", event=constants.EVENT_CANDIDATE_HIRED, by_hand=True)
    assert outbound.webhook_groups_on() == {constants.EVENT_CANDIDATE_HIRED}


def test_checklist_waits_for_the_first_delivery_and_says_to_switch_the_groups_on(
    connected_groups_off, client_in_workspace
):
    integration = connected_groups_off
    checks = {c.key: c for c in LeverProvider().checklist_checks(integration)}
    waiting = checks["lever_webhook_groups"]
    assert waiting.ok is None and waiting.title == constants.WEBHOOK_GROUPS_TITLE
    assert TOGGLE in waiting.detail and "Candidate stage change" in waiting.detail
    page = client_in_workspace.get(reverse("integrations:checklist", args=[integration.pk])).content.decode()
    assert constants.WEBHOOK_GROUPS_TITLE in page
    assert "Lever sends nothing until a Lever Super Admin switches on each webhook group" in page

    outbound.webhook_groups_set([constants.EVENT_CANDIDATE_STAGE_CHANGE])
    opportunity_advance(sim_opportunity(), sim.stage_id_by_name("Offer"))
    checks = {c.key: c for c in LeverProvider().checklist_checks(integration)}
    assert checks["lever_webhook_groups"].ok is True


def test_registration_tells_the_customer_to_switch_the_groups_on(connected_groups_off, client_in_workspace):
    line = IntegrationActivity.objects.get(integration=connected_groups_off, kind="lever.webhooks_registered")
    assert "applicationCreated, candidateStageChange" in line.message and TOGGLE in line.message
    page = client_in_workspace.get(reverse("integrations:detail", args=[connected_groups_off.pk]))
    assert 'id="lever-webhook-groups">Lever sends nothing until a Lever Super Admin' in page.content.decode()


def test_setup_guide_has_the_super_admin_step():
    [step] = [s for s in LeverProvider().setup_steps(lever_integration()) if "Webhooks" in s.title]
    assert TOGGLE in step.body
    assert step.items[1] == "Candidate stage change (candidateStageChange): switch its group on"
