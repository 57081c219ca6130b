"""Our SmartRecruiters webhook subscriptions do not leak: a changed event list or callback URL
replaces the subscription and deletes the one it replaced (make before break), a disconnect
deletes ours, and the sandbox holds SR's documented limit of 20 subscriptions per OAuth
application and user (SRO Subscriptions_subscribeToWebhook) and its error codes."""

import pytest
from django.urls import reverse

from integrations.base import ATSError
from integrations.models import Integration, IntegrationActivity, IntegrationStatus
from integrations.providers.smartrecruiters import constants, services
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.integrations import integration_credentials_check
from integrations.simulator_faults import sim_fault_inject

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db

SUBS_PATH = "/sim/smartrecruiters/api" + constants.VENDOR_SUBSCRIPTIONS_PATH


def live_subscriptions(integration) -> list[dict]:
    """What SR holds for the company: its subscriptions that were not deleted."""
    return [
        s
        for s in sim.items("subscription", company=integration.demo["company_id"])
        if s.get("status") != "deleted"
    ]


def fresh(integration):
    again = Integration.objects.get(pk=integration.pk)
    again.demo = integration.demo
    return again


def other_subscriptions(integration, count: int) -> None:
    """`count` active subscriptions of other apps (callbacks not ours) in the sandbox company,
    ids sub-other-0, sub-other-1, ...: toward SR's limit per OAuth application."""
    for n in range(count):
        sim.put(
            "subscription",
            f"sub-other-{n}",
            {
                "id": f"sub-other-{n}",
                "company": integration.demo["company_id"],
                "callbackUrl": f"https://example.com/hook-{n}",
                "events": ["job.created"],
                "status": "active",
                "keys": [],
            },
        )


def change_events(integration, events: list[str]):
    services.settings_update(integration=integration, changes={"webhook_events": events})
    assert integration_credentials_check(integration=fresh(integration))  # "Test credentials now"
    return fresh(integration)


def test_changing_the_events_leaves_exactly_one_active_subscription(connected):
    integration = connected()
    old_id = integration.provider_settings["subscription"]["id"]

    integration = change_events(integration, ["application.created", "candidate.updated"])

    live = live_subscriptions(integration)
    assert [(s["events"], s["status"]) for s in live] == [
        (["application.created", "candidate.updated"], "active")
    ], "SR keeps delivering only the new event list, once"
    state = integration.provider_settings["subscription"]
    assert state["status"] == "active" and state["id"] == live[0]["id"] != old_id
    assert state["superseded"] == []
    assert sim.get("subscription", old_id)["status"] == "deleted"
    line = IntegrationActivity.objects.get(integration=integration, kind="smartrecruiters.unsubscribed")
    assert old_id in line.message and f"replaced by {state['id']}" in line.message


def test_a_refused_delete_of_the_replaced_subscription_is_explained_and_retried_at_the_next_check(
    connected,
):
    integration = connected()
    old_id = integration.provider_settings["subscription"]["id"]
    sim_fault_inject(provider="smartrecruiters", faults=["503"], path_prefix=f"{SUBS_PATH}/{old_id}")

    integration = change_events(integration, ["application.created"])

    state = integration.provider_settings["subscription"]
    assert state["status"] == "active", "the new subscription delivers: the failed delete does not undo it"
    assert state["superseded"] == [old_id]
    assert len(live_subscriptions(integration)) == 2
    warning = IntegrationActivity.objects.get(
        integration=integration, kind="smartrecruiters.unsubscribe_failed"
    )
    assert old_id in warning.message and "HTTP 503" in warning.message
    assert "20 subscriptions per OAuth application" in warning.message

    assert integration_credentials_check(integration=fresh(integration))
    integration = fresh(integration)
    assert [s["id"] for s in live_subscriptions(integration)] == [state["id"]]
    assert integration.provider_settings["subscription"]["superseded"] == []


def test_a_superseded_subscription_is_found_by_our_callback_url_after_a_refused_resubscribe(connected):
    """A refused POST (here SR's limit of 20 subscriptions: ours plus 19 of the customer's) records
    no id; the old subscription is still ours by its callback URL and goes once a subscription
    succeeds. (An event the API does not list no longer causes a refusal: we never send one.)"""
    integration = connected()
    old_id = integration.provider_settings["subscription"]["id"]
    other_subscriptions(integration, constants.SUBSCRIPTIONS_LIMIT - 1)
    integration = change_events(integration, ["application.created"])
    assert integration.provider_settings["subscription"]["status"] == constants.SUBSCRIPTION_REFUSED
    sim.put("subscription", "sub-other-0", {**sim.get("subscription", "sub-other-0"), "status": "deleted"})

    integration = change_events(integration, ["candidate.updated"])

    ours = [s for s in live_subscriptions(integration) if not s["id"].startswith("sub-other-")]
    assert [s["events"] for s in ours] == [["candidate.updated"]]
    assert sim.get("subscription", old_id)["status"] == "deleted"


def test_a_subscription_of_someone_else_is_never_deleted(connected):
    integration = connected()
    other = sim.put(
        "subscription",
        "sub-customer-own",
        {
            "id": "sub-customer-own",
            "company": integration.demo["company_id"],
            "style": constants.WEBHOOK_API_VENDOR,
            "callbackUrl": "https://example.com/customers-own-hook",
            "events": ["job.created"],
            "status": "active",
            "keys": [],
        },
    )
    change_events(integration, ["application.created"])
    assert sim.get("subscription", other["id"])["status"] == "active"


def test_the_21st_subscription_is_refused_with_sr_code_and_the_fix(client_in_workspace, sr_sim):
    integration = sr_sim()
    other_subscriptions(integration, constants.SUBSCRIPTIONS_LIMIT)

    connect_via_simulator(client_in_workspace, integration)

    integration = fresh(integration)
    assert integration.status == IntegrationStatus.CONNECTED, "a refused subscription never fails the connect"
    state = integration.provider_settings["subscription"]
    assert state["status"] == constants.SUBSCRIPTION_REFUSED
    assert "HTTP 403" in state["error"] and "allows 20 subscriptions per OAuth application" in state["error"]
    refused = IntegrationActivity.objects.get(
        integration=integration, kind="smartrecruiters.subscription_refused"
    )
    assert refused.data["vendor_code"] == constants.SUBSCRIPTIONS_LIMIT_EXCEEDED
    assert len(live_subscriptions(integration)) == constants.SUBSCRIPTIONS_LIMIT

    # A deleted subscription no longer counts: the next check subscribes.
    sim.put("subscription", "sub-other-0", {**sim.get("subscription", "sub-other-0"), "status": "deleted"})
    assert integration_credentials_check(integration=integration)
    assert fresh(integration).provider_settings["subscription"]["status"] == "active"


def test_disconnecting_deletes_our_subscription_at_smartrecruiters(client_in_workspace, connected):
    integration = connected()
    sub_id = integration.provider_settings["subscription"]["id"]

    response = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "disconnect"]))

    assert response.status_code == 302
    integration = fresh(integration)
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert live_subscriptions(integration) == [], "SR sends nothing more to a disconnected integration"
    assert sim.get("subscription", sub_id)["status"] == "deleted"
    state = integration.provider_settings["subscription"]
    assert state["status"] == "deleted" and state["superseded"] == [] and not state["error"]
    line = IntegrationActivity.objects.get(integration=integration, kind="smartrecruiters.unsubscribed")
    assert sub_id in line.message and "disconnected" in line.message


def test_disconnect_goes_on_when_smartrecruiters_refuses_the_delete_and_says_so(
    client_in_workspace, connected
):
    integration = connected()
    sub_id = integration.provider_settings["subscription"]["id"]
    sim_fault_inject(provider="smartrecruiters", faults=["500"], path_prefix=f"{SUBS_PATH}/{sub_id}")

    client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "disconnect"]))

    integration = fresh(integration)
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert [s["id"] for s in live_subscriptions(integration)] == [sub_id]
    state = integration.provider_settings["subscription"]
    assert state["superseded"] == [sub_id] and sub_id in state["error"]
    warning = IntegrationActivity.objects.get(
        integration=integration, kind="smartrecruiters.unsubscribe_failed"
    )
    assert "HTTP 500" in warning.message and f"DELETE {constants.VENDOR_SUBSCRIPTIONS_PATH}/{sub_id}" in (
        warning.message
    )

    # Connecting again replaces it: the one SR still holds is deleted after the new one activates.
    connect_via_simulator(client_in_workspace, integration)
    integration = fresh(integration)
    assert [s["id"] for s in live_subscriptions(integration)] == [
        integration.provider_settings["subscription"]["id"]
    ]
    assert sim.get("subscription", sub_id)["status"] == "deleted"


def test_the_sandbox_lists_ten_subscriptions_unless_asked_for_more_as_sr_documents(connected):
    integration = connected()
    for n in range(12):
        sim.put(
            "subscription",
            f"sub-list-{n}",
            {
                "id": f"sub-list-{n}",
                "company": integration.demo["company_id"],
                "callbackUrl": f"https://example.com/hook-{n}",
                "events": ["job.created"],
                "status": "active",
                "keys": [],
            },
        )
    client = get_provider("smartrecruiters").client(fresh(integration))
    default = client.request("GET", constants.VENDOR_SUBSCRIPTIONS_PATH).json()
    assert len(default) == 10  # SRO parameter `limit`: default 10, maximum 100
    assert len(client.subscriptions()) == 13, "ours asks for 100, so our own subscription is on the page"
    with pytest.raises(ATSError) as too_many:
        client.request("GET", constants.VENDOR_SUBSCRIPTIONS_PATH, params={"limit": 101})
    assert too_many.value.status_code == 400
