"""Issue 21: a reconnect link stays single-use and revocable when one browser (one session)
starts the OAuth authorization twice, e.g. a double click or a second tab. The session keeps only
the latest start; the link is recorded on each start's OAuthState row and claimed from there."""

from urllib.parse import urlsplit

import pytest

from integrations.models import IntegrationStatus, ReconnectLink, Token
from integrations.services.reconnect import reconnect_link_create, reconnect_links_revoke
from tests.integrations.console.test_reconnect import _consent, _oauth_integration

pytestmark = pytest.mark.django_db


def _two_starts(client, workspace):
    integration = _oauth_integration(workspace)
    url = urlsplit(reconnect_link_create(integration=integration)).path
    start_a, start_b = client.post(url), client.post(url)
    assert start_a.status_code == start_b.status_code == 302
    return integration, url, start_a, start_b


def test_two_starts_in_one_browser_then_revoked_save_no_tokens_and_say_the_link_was_revoked(
    consolesim, simulators, client, workspace
):
    integration, url, start_a, _ = _two_starts(client, workspace)
    back_a = _consent(client, start_a)  # the first start, which the session no longer remembers
    reconnect_links_revoke(integration=integration)

    refused = client.get(back_a)

    assert refused.status_code == 410
    assert "This reconnect link was revoked" in refused.content.decode()
    assert not Token.objects.filter(integration=integration).exists()
    integration.refresh_from_db()
    assert integration.status != IntegrationStatus.CONNECTED


def test_two_starts_in_one_browser_give_one_reauthorization(consolesim, simulators, client, workspace):
    integration, url, start_a, start_b = _two_starts(client, workspace)
    back_a, back_b = _consent(client, start_a), _consent(client, start_b)

    done = client.get(back_a)
    assert done.status_code == 200 and "is reconnected" in done.content.decode()
    assert ReconnectLink.objects.get(integration=integration).used_at is not None
    token = Token.objects.get(integration=integration).access_token

    second = client.get(back_b)
    assert second.status_code == 410 and "already used" in second.content.decode()
    assert Token.objects.get(integration=integration).access_token == token  # B's code never exchanged
    assert client.get(url).status_code == 410


def test_the_later_start_wins_when_it_returns_first_and_the_earlier_one_is_refused(
    consolesim, simulators, client, workspace
):
    integration, _, start_a, start_b = _two_starts(client, workspace)
    back_a, back_b = _consent(client, start_a), _consent(client, start_b)

    assert "is reconnected" in client.get(back_b).content.decode()
    refused = client.get(back_a)
    assert refused.status_code == 410 and "already used" in refused.content.decode()


def test_a_failed_return_releases_the_link_for_the_other_start(consolesim, simulators, client, workspace):
    integration, _, start_a, start_b = _two_starts(client, workspace)
    consent = client.get(start_a["Location"])
    query = consent.content.decode().split('name="q" value="')[1].split('"')[0].replace("&amp;", "&")
    denied = client.post("/sim/consolesim/authorize", {"q": query, "decision": "deny"})
    assert client.get(denied["Location"]).status_code == 400

    done = client.get(_consent(client, start_b))
    assert done.status_code == 200 and "is reconnected" in done.content.decode()
    assert ReconnectLink.objects.get(integration=integration).used_at is not None
