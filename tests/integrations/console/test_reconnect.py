import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.services import reconnect
from integrations.services.reconnect import reconnect_link_create
from tests.factories import AssessmentRunFactory, IntegrationFactory
from tests.integrations.console import sandbox
from tests.integrations.console.helpers import deliver_writebacks, sim_integration

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return urlsplit(url).path


def failed_writeback(integration) -> WritebackMessage:
    """A completed run whose write-back met a 401: the integration needs re-authorization."""
    from integrations.services.writeback import writeback_deliver

    run = AssessmentRunFactory(
        workspace=integration.workspace, integration=integration, provider=integration.provider,
        external_application_id="app-777", status="scored",
    )  # fmt: skip
    message = WritebackMessage.objects.create(
        integration=integration, run=run, kind="result", event="completed", idempotency_key=f"k-{run.pk}"
    )
    sandbox.api_key_revoke(integration.credential("api_key"))
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.NEEDS_REAUTH
    assert integration.status == IntegrationStatus.NEEDS_REAUTH
    return message


def test_reconnect_link_lets_someone_without_an_account_save_a_new_key_and_resumes_writebacks(
    consolesim, simulators, client, workspace
):
    integration = sim_integration(workspace=workspace)
    message = failed_writeback(integration)
    url = path_of(reconnect_link_create(integration=integration))

    page = client.get(url)
    assert page.status_code == 200 and "Reconnect Console Sim ATS" in page.content.decode()
    response = client.post(url, {"api_key": sandbox.api_key_register()})
    assert response.status_code == 200 and "is reconnected" in response.content.decode()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING  # resumed after re-authorization
    deliver_writebacks(integration)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED
    assert sandbox.results()[-1]["application"] == "app-777"


def test_reconnect_link_works_once(consolesim, simulators, client, workspace):
    integration = sim_integration(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    assert client.post(url, {"api_key": sandbox.api_key_register()}).status_code == 200
    again = client.get(url)
    assert again.status_code == 410 and "already used" in again.content.decode()


def test_a_wrong_key_through_the_link_is_explained_and_the_link_stays_usable(
    consolesim, simulators, client, workspace
):
    integration = sim_integration(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    response = client.post(url, {"api_key": "wrong-key"})
    assert response.status_code == 200 and "Invalid API key" in response.content.decode()
    assert 'id="reconnect-error"' in response.content.decode()
    assert client.get(url).status_code == 200


def test_expired_and_tampered_links_are_refused_with_a_reason(monkeypatch, client, workspace):
    integration = IntegrationFactory(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    tampered = client.get(url[:-3] + "xx/")
    assert tampered.status_code == 410 and "not valid" in tampered.content.decode()
    monkeypatch.setattr(reconnect, "MAX_AGE", dt.timedelta(seconds=-1))
    expired = client.get(url)
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_a_link_for_a_disconnected_integration_is_refused(client, workspace):
    integration = IntegrationFactory(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    integration.status = IntegrationStatus.DISCONNECTED
    integration.save()
    assert client.get(url).status_code == 410


def test_oauth_reconnect_link_goes_through_consent_and_ends_on_the_done_page(
    consolesim, simulators, client, workspace
):
    integration = sim_integration(workspace=workspace, auth_kind="oauth2", connect=False)
    client_id, secret = sandbox.oauth_client_register()
    integration.credentials = {"client_id": client_id, "client_secret": secret}
    integration.save()
    url = path_of(reconnect_link_create(integration=integration))
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith(
        "http://testserver/sim/consolesim/authorize"
    )
    consent = client.get(response["Location"])
    query = consent.content.decode().split('name="q" value="')[1].split('"')[0].replace("&amp;", "&")
    callback = client.post("/sim/consolesim/authorize", {"q": query, "decision": "approve"})
    done = client.get(callback["Location"])
    assert done.status_code == 200 and "is reconnected" in done.content.decode()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert client.get(url).status_code == 410


def test_admins_create_a_reconnect_link_from_the_integration_page(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    response = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "reconnect-link"])
    )
    assert response.status_code == 302
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="reconnect-link"' in page and "/reconnect/" in page
    again = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="reconnect-link"' not in again


def test_needs_reauth_emails_the_admins_and_recovery_emails_again(
    consolesim, simulators, workspace, django_capture_on_commit_callbacks, mailoutbox
):
    from jobcannon.workspaces.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(workspace=workspace, role=Role.MEMBER)
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN).user
    integration = sim_integration(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        failed_writeback(integration)
    attention = [m for m in mailoutbox if m.subject.startswith("Action needed")]
    assert len(attention) == 1 and "needs re-authorization" in attention[0].subject
    assert sorted(attention[0].to) == sorted(
        [workspace.memberships.get(role=Role.OWNER).user.email, admin.email]
    )
    assert reverse("integrations:detail", args=[integration.pk]) in attention[0].body
    from integrations.services.integrations import integration_connect_api_key

    with django_capture_on_commit_callbacks(execute=True):
        integration_connect_api_key(integration=integration, api_key=sandbox.api_key_register())
    assert any(m.subject.startswith("Resolved") for m in mailoutbox)


# --- Issue 21: single use without the cache, and revocable ----------------------------------------


def test_a_used_link_stays_used_when_the_cache_is_lost_and_the_integration_fails_again(
    consolesim, simulators, client, workspace
):
    from django.core.cache import cache

    integration = sim_integration(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    assert client.post(url, {"api_key": sandbox.api_key_register()}).status_code == 200
    cache.clear()  # a Redis restart or eviction
    integration.refresh_from_db()
    integration.status = IntegrationStatus.NEEDS_REAUTH  # the new key was revoked again, days later
    integration.save()
    again = client.get(url)
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert client.post(url, {"api_key": sandbox.api_key_register()}).status_code == 410


def test_admins_revoke_open_links_from_the_integration_page_and_it_is_audited(
    client, client_in_workspace, user, workspace
):
    from jobcannon.audit.models import AuditEvent

    integration = IntegrationFactory(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    detail = reverse("integrations:detail", args=[integration.pk])
    assert "1 reconnect link not used yet" in client_in_workspace.get(detail).content.decode()
    response = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "reconnect-revoke"])
    )
    assert response.status_code == 302
    assert "1 open reconnect link(s) revoked" in client_in_workspace.get(detail).content.decode()
    refused = client.get(url)
    assert refused.status_code == 410 and "revoked" in refused.content.decode()
    event = AuditEvent.objects.get(action="reconnect_link.revoked")
    assert (event.workspace, event.actor) == (workspace, user)


def test_staff_revoke_open_links_in_the_admin(client, workspace):
    from tests.factories import UserFactory

    integration = IntegrationFactory(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/integrations/integration/",
        {"action": "revoke_reconnect_links", "_selected_action": [integration.pk]},
    )
    assert response.status_code == 302
    assert client.get(url).status_code == 410


# --- Issue 21: single use under concurrency --------------------------------------------------------


def test_two_tabs_posting_a_key_through_one_link_at_once_save_only_the_first(
    consolesim, simulators, client, workspace, monkeypatch
):
    from django.test import Client

    from integrations import views

    integration = sim_integration(workspace=workspace)
    url = path_of(reconnect_link_create(integration=integration))
    first_key, second_key = sandbox.api_key_register(), sandbox.api_key_register()
    real_connect = views.integration_connect_api_key
    second: dict = {}

    def connect_while_another_tab_posts(**kwargs):
        if not second:  # the first tab is checking its key with the ATS: the second one posts now
            second["response"] = Client().post(url, {"api_key": second_key})
        return real_connect(**kwargs)

    monkeypatch.setattr(views, "integration_connect_api_key", connect_while_another_tab_posts)
    first = client.post(url, {"api_key": first_key})

    assert first.status_code == 200 and "is reconnected" in first.content.decode()
    refused = second["response"]
    assert refused.status_code == 410 and "already used" in refused.content.decode()
    integration.refresh_from_db()
    assert integration.credential("api_key") == first_key


def _oauth_integration(workspace):
    integration = sim_integration(workspace=workspace, auth_kind="oauth2", connect=False)
    client_id, secret = sandbox.oauth_client_register()
    integration.credentials = {"client_id": client_id, "client_secret": secret}
    integration.save()
    return integration


def _consent(client, start):
    """Approve at the simulated ATS; the redirect back to our callback (not followed yet)."""
    consent = client.get(start["Location"])
    query = consent.content.decode().split('name="q" value="')[1].split('"')[0].replace("&amp;", "&")
    return client.post("/sim/consolesim/authorize", {"q": query, "decision": "approve"})["Location"]


def test_an_oauth_reconnect_started_twice_saves_the_tokens_of_the_first_return_only(
    consolesim, simulators, workspace
):
    from django.test import Client

    from integrations.models import Token

    integration = _oauth_integration(workspace)
    url = path_of(reconnect_link_create(integration=integration))
    tab_a, tab_b = Client(), Client()
    back_a, back_b = _consent(tab_a, tab_a.post(url)), _consent(tab_b, tab_b.post(url))

    assert "is reconnected" in tab_a.get(back_a).content.decode()
    token = Token.objects.get(integration=integration).access_token
    refused = tab_b.get(back_b)
    assert refused.status_code == 410 and "already used" in refused.content.decode()
    assert Token.objects.get(integration=integration).access_token == token  # B's code never exchanged


def test_an_oauth_reconnect_whose_link_is_revoked_meanwhile_saves_nothing(
    consolesim, simulators, client, workspace
):
    from integrations.models import Token
    from integrations.services.reconnect import reconnect_links_revoke

    integration = _oauth_integration(workspace)
    url = path_of(reconnect_link_create(integration=integration))
    back = _consent(client, client.post(url))
    reconnect_links_revoke(integration=integration)
    refused = client.get(back)
    assert refused.status_code == 410 and "revoked" in refused.content.decode()
    assert not Token.objects.filter(integration=integration).exists()
    integration.refresh_from_db()
    assert integration.status != IntegrationStatus.CONNECTED


def test_an_oauth_reconnect_the_ats_denies_leaves_the_link_usable(consolesim, simulators, client, workspace):
    integration = _oauth_integration(workspace)
    url = path_of(reconnect_link_create(integration=integration))
    start = client.post(url)
    consent = client.get(start["Location"])
    query = consent.content.decode().split('name="q" value="')[1].split('"')[0].replace("&amp;", "&")
    denied = client.post("/sim/consolesim/authorize", {"q": query, "decision": "deny"})
    assert client.get(denied["Location"]).status_code == 400
    assert client.get(url).status_code == 200  # try again: still open
