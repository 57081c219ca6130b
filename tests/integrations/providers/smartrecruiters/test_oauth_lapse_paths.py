"""The optional OAuth sign-in lapses (the customer revokes JobCannon's app in SmartRecruiters, or
its 28-day refresh token runs out) on an integration SR issued company credentials to: whatever
path meets the dead sign-in first (a result write-back, the scheduled refresh, "Save and
subscribe", the scorecard page), orders and results go on with the company credentials, nobody
is told to re-authorize, and the page says the sign-in lapsed."""

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import IntegrationStatus, Token, WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver

from .test_removal_reconsent import _order_delivery, _revoke_oauth_sign_in
from .test_simulator_flow import complete

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("expired", [False, True], ids=["revoked", "refresh-token-expired"])
def test_a_result_write_back_meeting_a_dead_sign_in_is_confirmed_and_keeps_the_integration_connected(
    client_in_workspace, connected, django_capture_on_commit_callbacks, mailoutbox, expired
):
    integration = connected()  # consent, then the optional OAuth sign-in
    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["ok"], delivery
    _revoke_oauth_sign_in(integration, expired=expired)

    run = complete(AssessmentRun.objects.get(integration=integration))
    message = WritebackMessage.objects.get(run=run, kind="assessment.result")
    with django_capture_on_commit_callbacks(execute=True):
        writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"

    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert not Token.objects.filter(integration=integration).exists(), "the dead sign-in is forgotten"
    assert "optional OAuth sign-in no longer works" in integration.status_reason
    assert not [m for m in mailoutbox if "re-authorization" in m.subject.lower()]
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Needs re-authorization" not in page


def test_the_scheduled_refresh_meeting_a_dead_sign_in_puts_the_lapse_on_the_health_card(
    client_in_workspace, connected, django_capture_on_commit_callbacks
):
    """The same event gives the same health card whichever path found it: the scheduled refresh
    writes the reason a "Test credentials now" would, without a status line (connected stays)."""
    from integrations.services.oauth import token_refresh

    integration = connected()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED and not integration.status_reason
    status_lines = integration.activity.filter(kind="status.changed").count()
    _revoke_oauth_sign_in(integration, expired=True)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Exception):  # noqa: B017, PT011 - the refresh itself is refused
            token_refresh(integration_id=integration.pk, force=True)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.status_reason.startswith("The optional OAuth sign-in no longer works ("), (
        integration.status_reason
    )
    assert "the app was revoked, or its 28-day refresh token ran out" in integration.status_reason
    assert integration.activity.filter(kind="status.changed").count() == status_lines


def _lapse_by_test_now(client, integration) -> None:
    _revoke_oauth_sign_in(integration, expired=False)
    checked = client.post(reverse("integrations:action", args=[integration.pk, "test"]))
    assert checked.status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert not Token.objects.filter(integration=integration).exists()
    assert integration.provider_settings["subscription"]["status"] == "needs_sign_in"


def test_save_and_subscribe_after_a_lapse_says_it_needs_the_sign_in_and_keeps_the_marker(
    client_in_workspace, connected
):
    from django.contrib.messages import get_messages

    integration = connected()
    _lapse_by_test_now(client_in_workspace, integration)
    saved = client_in_workspace.post(
        reverse("integrations:integration-smartrecruiters:webhook-setup", args=[integration.pk]),
        {"webhook_api": "webhooks-api"},
    )
    assert saved.status_code == 302
    shown = [str(m) for m in get_messages(saved.wsgi_request)]
    assert "Webhook subscription updated." not in shown, shown
    assert any(
        "optional OAuth sign-in no longer works" in m and "Re-authorize with SmartRecruiters" in m
        for m in shown
    ), shown
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "needs_sign_in", state
    assert not integration.activity.filter(kind="smartrecruiters.subscription_failed").exists()


def test_save_and_subscribe_on_a_consent_only_integration_says_the_webhooks_need_the_sign_in(
    client_in_workspace, sr_sim
):
    from django.contrib.messages import get_messages

    from .test_removal_reconsent import _consent_again

    integration = sr_sim()
    _consent_again(client_in_workspace, integration)
    saved = client_in_workspace.post(
        reverse("integrations:integration-smartrecruiters:webhook-setup", args=[integration.pk]),
        {"webhook_api": "webhooks-api"},
    )
    shown = [str(m) for m in get_messages(saved.wsgi_request)]
    assert "Webhook subscription updated." not in shown, shown
    assert any("need the optional OAuth sign-in" in m for m in shown), shown
    integration.refresh_from_db()
    assert integration.provider_settings.get("subscription", {}).get("status") != "retrying"
    assert not integration.activity.filter(kind="smartrecruiters.subscription_failed").exists()


def test_a_subscription_call_smartrecruiters_refuses_for_authorization_needs_the_sign_in_not_a_retry(
    connected, monkeypatch
):
    """A 401 on the Webhooks API (the sign-in died between two calls): no backoff loop until the
    retry horizon, the state says the sign-in is needed."""
    from integrations.base import ATSAuthError
    from integrations.providers.smartrecruiters import setup
    from integrations.providers.smartrecruiters.client import SmartRecruitersClient
    from integrations.registry import get_provider

    integration = connected()

    def refused(self, *args, **kwargs):
        raise ATSAuthError("SmartRecruiters answered 401: invalid token.", status_code=401)

    monkeypatch.setattr(SmartRecruitersClient, "subscriptions", refused)
    monkeypatch.setattr(SmartRecruitersClient, "subscribe", refused)
    integration.provider_settings["subscription"] = {}
    integration.save(update_fields=["provider_settings"])
    setup.webhooks_subscribe(integration, get_provider("smartrecruiters").client(integration))
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "needs_sign_in", state
    assert "Re-authorize with SmartRecruiters" in state["error"]
    assert not integration.activity.filter(kind="smartrecruiters.subscription_failed").exists()


def test_the_scorecard_page_after_a_lapse_explains_the_fields_need_the_sign_in(
    client_in_workspace, connected
):
    integration = connected()
    _lapse_by_test_now(client_in_workspace, integration)
    page = client_in_workspace.get(
        reverse("integrations:integration-smartrecruiters:scorecard", args=[integration.pk])
    )
    assert page.status_code == 200, page.status_code
    html = " ".join(page.content.decode().split())
    assert "not authorized yet" not in html
    assert "The scorecard fields need the optional OAuth sign-in" in html
    assert "the app was revoked" in html, "why it lapsed"
    assert "Re-authorize with SmartRecruiters" in html
    assert reverse("integrations:action", args=[integration.pk, "reauthorize"]) in html
    assert "Results go out with the company credentials without it" in html


def test_the_scorecard_page_of_an_oauth_only_integration_does_not_promise_results_without_the_sign_in(
    client_in_workspace, workspace
):
    from tests.factories import IntegrationFactory

    integration = IntegrationFactory(
        workspace=workspace, provider="smartrecruiters", auth_kind="oauth2", credentials={}
    )
    page = client_in_workspace.get(
        reverse("integrations:integration-smartrecruiters:scorecard", args=[integration.pk])
    )
    html = " ".join(page.content.decode().split())
    assert "The scorecard fields need the optional OAuth sign-in" in html
    assert "Results go out with the company credentials" not in html
    assert "results need the sign-in too" in html


def test_a_test_now_lapse_logs_no_status_line_for_a_status_that_did_not_change(
    client_in_workspace, connected
):
    """Connected stays connected: the lapse is the warning and the health card's reason, not a
    "Status connected → connected" line."""
    integration = connected()
    status_lines = integration.activity.filter(kind="status.changed").count()
    _lapse_by_test_now(client_in_workspace, integration)
    assert "optional OAuth sign-in no longer works" in integration.status_reason
    assert integration.activity.filter(kind="status.changed").count() == status_lines
    assert integration.activity.filter(kind="smartrecruiters.oauth_lapsed").count() == 1


def test_checks_of_a_consent_only_integration_say_once_that_webhooks_need_the_sign_in(
    client_in_workspace, sr_sim
):
    from .test_removal_reconsent import _consent_again

    integration = sr_sim()
    _consent_again(client_in_workspace, integration)
    for _ in range(2):
        checked = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "test"]))
        assert checked.status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.activity.filter(kind="smartrecruiters.webhooks_need_oauth").count() == 1
