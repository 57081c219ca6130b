"""An OAuth authorization (the callback, and a reconnect link that runs one) whose check the
ATS could not answer: the tokens are new credentials the ATS never judged, so no page calls them
authorized and checked. The flash is the check's own sentence as a warning, a reconnect link stays
open for another try, and the checklist waits for Test now instead of failing. Lever through its
simulator, with validate_credentials answering 503."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from integrations.base import ATSServerError
from integrations.models import IntegrationActivity, IntegrationStatus, ReconnectLink
from integrations.providers.lever.provider import LeverProvider
from integrations.services.reconnect import reconnect_link_create, reconnect_links_open_count
from tests.integrations.providers.lever.helpers import lever_oauth_integration

NOT_CHECKED = (
    "New credentials saved but not checked: Lever answered 503 (a failure on its side). "
    "Try again in a few minutes."
)


@pytest.fixture(autouse=True)
def no_shared_rate_limiter(monkeypatch):
    """As test_credentials_check_transient.py: these tests are about the check, not the limiter."""
    from integrations.services import ratelimit

    monkeypatch.setattr(ratelimit, "rate_limit_acquire", lambda **kwargs: None)


def flashes(page: str) -> list[tuple[str, str]]:
    return [
        (level, re.sub(r"\s+", " ", text).strip())
        for level, text in re.findall(r'<li class="msg-(\w+)">(.*?)</li>', page, re.S)
    ]


def lever_outage(monkeypatch) -> None:
    def down(self, integration):
        raise ATSServerError("Lever failed (503).", status_code=503)

    monkeypatch.setattr(LeverProvider, "validate_credentials", down)


def consent(client: Client, start_location: str) -> str:
    """Approve every requested scope on the simulator's consent page; returns the callback path."""
    query = parse_qs(urlsplit(start_location).query)
    form = {k: v[0] for k, v in query.items()} | {"decision": "allow", "granted": query["scope"][0].split()}
    back = client.post(urlsplit(start_location).path, form)
    return back["Location"].removeprefix("http://testserver")


def reauthorize(client: Client, integration) -> str:
    start = client.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    return consent(client, start["Location"])


@pytest.fixture
def lever_oauth(simulators, client_in_workspace, workspace):
    """A Lever OAuth integration authorized once through the simulator (connected)."""
    integration = lever_oauth_integration(workspace=workspace)
    client_in_workspace.get(reauthorize(client_in_workspace, integration), follow=True)  # reads its flash
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    return integration


def put_in(integration, status: str) -> None:
    if status != IntegrationStatus.CONNECTED:
        integration.status = status
        integration.status_reason = (
            "Lever refused the token." if status == IntegrationStatus.NEEDS_REAUTH else ""
        )
        integration.save(update_fields=["status", "status_reason"])


def credentials_item(client: Client, integration) -> tuple[str, str]:
    page = client.get(reverse("integrations:checklist", args=[integration.pk])).content.decode()
    item = re.search(
        r'<li class="check (\w+)" id="check-credentials".*?</li>\s*(?=<li class="check|</ol>)', page, re.S
    )
    assert item, page
    return item[1], re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item[0])).strip()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "after"),
    [
        # The tokens are new: the connected status belonged to the previous ones.
        (IntegrationStatus.CONNECTED, IntegrationStatus.PENDING),
        # Still needing re-authorization until a check passes, so its recovery mails "Resolved".
        (IntegrationStatus.NEEDS_REAUTH, IntegrationStatus.NEEDS_REAUTH),
        (IntegrationStatus.PENDING, IntegrationStatus.PENDING),
    ],
)
def test_an_oauth_callback_whose_check_cannot_reach_lever_says_saved_but_not_checked_as_a_warning(
    client_in_workspace, lever_oauth, monkeypatch, start, after
):
    put_in(lever_oauth, start)
    callback = reauthorize(client_in_workspace, lever_oauth)
    lever_outage(monkeypatch)

    page = client_in_workspace.get(callback, follow=True).content.decode()

    lever_oauth.refresh_from_db()
    assert lever_oauth.status == after
    assert lever_oauth.status_reason == NOT_CHECKED
    assert lever_oauth.credentials_checked_at is None
    assert flashes(page) == [("warning", NOT_CHECKED)], page
    assert "Lever authorized." not in page
    activity = IntegrationActivity.objects.filter(integration=lever_oauth).latest("id")
    assert activity.kind == "credentials.unchecked"
    # The checklist waits for Test now: nothing failed.
    state, text = credentials_item(client_in_workspace, lever_oauth)
    assert state == "waiting", text
    assert NOT_CHECKED in text
    assert "Test now" in text


@pytest.mark.django_db
def test_an_oauth_callback_whose_check_passes_flashes_success_with_what_is_still_missing(
    client_in_workspace, lever_oauth, monkeypatch
):
    monkeypatch.setattr(
        LeverProvider, "connected_reason", lambda self, integration: "Webhooks are added by hand."
    )
    page = client_in_workspace.get(
        reauthorize(client_in_workspace, lever_oauth), follow=True
    ).content.decode()
    assert flashes(page) == [("success", "Lever authorized. Webhooks are added by hand.")], page


@pytest.mark.django_db
@pytest.mark.parametrize("start", [IntegrationStatus.CONNECTED, IntegrationStatus.NEEDS_REAUTH])
def test_a_reconnect_link_whose_check_cannot_reach_lever_is_spent_and_says_not_checked(
    lever_oauth, monkeypatch, start
):
    put_in(lever_oauth, start)
    url = reconnect_link_create(integration=lever_oauth)
    stranger = Client()  # the ATS admin who got the link: no JobCannon account
    start_page = stranger.post(urlsplit(url).path)
    callback = consent(stranger, start_page["Location"])
    lever_outage(monkeypatch)

    page = stranger.get(callback).content.decode()

    main = page[page.find("<main") : page.find("</main>")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    assert "is reconnected" not in text and "checked the new credentials with a live call" not in text
    assert "saved but not checked" in text.lower()
    assert NOT_CHECKED in text
    warning = re.search(r'<p class="warning-warning"[^>]*>(.*?)</p>', main, re.S)
    assert warning and NOT_CHECKED in warning[1], main
    assert 'class="error"' not in main
    # The tokens are saved: the link is spent, so nobody holding it replaces them once a later
    # check passes; the admin's Test now checks them.
    assert reconnect_links_open_count(integration=lever_oauth) == 0
    assert ReconnectLink.objects.filter(integration=lever_oauth, used_at__isnull=False).exists()
    assert "Test credentials now" in text
    used = IntegrationActivity.objects.get(integration=lever_oauth, kind="reconnect.link_used")
    assert "not checked yet" in used.message and "Re-authorized" not in used.message


@pytest.mark.django_db
def test_a_reconnect_link_whose_check_passes_is_used_and_says_reconnected(lever_oauth):
    put_in(lever_oauth, IntegrationStatus.NEEDS_REAUTH)
    url = reconnect_link_create(integration=lever_oauth)
    stranger = Client()
    callback = consent(stranger, stranger.post(urlsplit(url).path)["Location"])
    page = stranger.get(callback).content.decode()
    assert "Lever is reconnected" in page
    assert reconnect_links_open_count(integration=lever_oauth) == 0
    lever_oauth.refresh_from_db()
    assert lever_oauth.status == IntegrationStatus.CONNECTED
