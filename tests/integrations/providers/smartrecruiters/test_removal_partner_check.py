"""The checklist's "Partner API registered with SmartRecruiters" after SR's company removal: orders
that came in before it prove nothing about now ("registered by hand" counts only orders received
after the last removal or refusal), and the optional OAuth sign-in ("Reconnect") is not SR's
consent, so it neither reaches "All checks passed" nor connects the integration: the item names
the consent steps (constants.REMOVED_FIX_STEPS) until the company consents again."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from assessments.models import AssessmentRun
from integrations.models import IntegrationStatus
from integrations.providers.smartrecruiters import constants

from .helpers import connect_via_simulator
from .test_checklist_advice import check_item
from .test_removal_reconsent import _consent_again, _order_delivery, _remove_in_smartrecruiters
from .test_simulator_flow import move, new_candidate

pytestmark = pytest.mark.django_db

PARTNER = "smartrecruiters_partner"


def _page(client, integration) -> str:
    return client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()


def _partner_item(client, integration) -> tuple[str, str]:
    state, text = check_item(_page(client, integration), PARTNER)
    return state, " ".join(text.split())


def test_after_removal_the_partner_item_fails_with_the_consent_steps_though_orders_came_in_before(
    client_in_workspace, connected
):
    integration = connected()
    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["status"] == 202 and AssessmentRun.objects.filter(integration=integration).exists()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    state, text = _partner_item(client_in_workspace, integration)
    assert state == "fail", text
    assert "registered by hand" not in text
    assert "JobCannon was removed in SmartRecruiters" in text
    for step in constants.REMOVED_FIX_STEPS:
        assert " ".join(escape(step).split()) in text, step

    _consent_again(client_in_workspace, integration)
    assert _partner_item(client_in_workspace, integration)[0] == "ok"


def test_an_oauth_reconnect_after_removal_is_neither_connected_nor_all_checks_passed(
    client_in_workspace, connected
):
    integration = connected()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    # The disconnected banner's "Reconnect" is the optional OAuth sign-in: SR refuses the
    # registration (403 "has not given consent"), since the company removed JobCannon.
    connect_via_simulator(client_in_workspace, integration, apps_consent=False)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING, integration.status_reason
    assert "has not connected it again" in integration.status_reason
    html = _page(client_in_workspace, integration)
    assert 'id="checklist-all-green"' not in html and "All checks passed" not in html
    state, text = check_item(html, PARTNER)
    text = " ".join(text.split())
    assert state == "fail" and "has not given consent" in text, text
    assert "does not restore orders: only the consent in SmartRecruiters does" in text

    # The company's consent is what reconnects it.
    _consent_again(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert _partner_item(client_in_workspace, integration)[0] == "ok"


def test_registered_by_hand_counts_only_orders_after_the_last_refusal(
    client_in_workspace, connected, monkeypatch
):
    from integrations.base import ATSPermissionError
    from integrations.providers.smartrecruiters import setup
    from integrations.providers.smartrecruiters.client import SmartRecruitersPartnerClient
    from integrations.registry import get_provider

    integration = connected()
    _order_delivery(client_in_workspace, integration)

    # A later registration is refused (SR's 403 "has not given consent") while SR still reaches the
    # partner API (as when SR support registered it by hand): the order from before proves nothing.
    def refused(self, **kwargs):
        raise ATSPermissionError("The company has not given consent to the partner.", status_code=403)

    monkeypatch.setattr(SmartRecruitersPartnerClient, "integration_setup", refused)
    assert setup.partner_register(get_provider("smartrecruiters"), integration, force=True) is False
    monkeypatch.undo()
    state, text = _partner_item(client_in_workspace, integration)
    assert state == "fail" and "registered by hand" not in text, text

    # An order SR places afterwards does show that SR reaches the partner API.
    candidate_id = new_candidate(client_in_workspace, integration, email="robin.later@example.com")
    move(client_in_workspace, integration, candidate_id, "assessment")
    assert AssessmentRun.objects.filter(integration=integration).count() == 2
    state, text = _partner_item(client_in_workspace, integration)
    assert state == "ok" and "registered by hand" in text, text
