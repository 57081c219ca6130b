"""What "Webhooks registered" asks the admin to paste into an ATS whose webhooks are set up by
hand: the URL and JobCannon's signing secret only where that ATS signs with our secret
(`takes_our_webhook_secret`); Lever issues its own signature tokens, so nothing of ours but the
URL goes into Lever."""

import pytest

from integrations.models import IntegrationStatus
from integrations.services.checklist import integration_checklist
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def _webhooks_item(integration):
    return {item.key: item for item in integration_checklist(integration=integration).items}["webhooks"]


def test_an_ats_that_signs_with_our_secret_is_given_the_url_and_the_secret():
    integration = IntegrationFactory(provider="fake", status=IntegrationStatus.CONNECTED)
    item = _webhooks_item(integration)
    assert item.state == "waiting"
    assert "Paste the webhook URL and the webhook secret into Fake ATS" in item.detail


def test_lever_set_up_by_hand_is_given_only_the_url_and_told_where_its_tokens_go():
    integration = IntegrationFactory(
        provider="lever",
        status=IntegrationStatus.CONNECTED,
        provider_settings={"webhook_setup": "manual"},
    )
    item = _webhooks_item(integration)
    assert item.state == "waiting"
    assert "Paste the webhook URL into Lever" in item.detail
    assert "secret" not in item.detail.lower()
    assert "signs its deliveries with a key of its own" in item.detail
