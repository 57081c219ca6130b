"""Workspace invitations (issue 21): the link is emailed once and only its hash is stored; it
works once, for INVITATION_MAX_AGE_DAYS; an admin can resend it (new link, the old one dead) or
revoke it from the team page; a link that no longer works gets a page saying why."""

import datetime as dt
import hashlib
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobcannon.audit.models import AuditEvent
from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

TEAM = "/workspace/team/"


def links_to(address: str) -> list[str]:
    """The invitation links emailed to this address, oldest first (paths)."""
    bodies = (
        SentEmail.objects.filter(to=address).order_by("created_at", "id").values_list("body_text", flat=True)
    )
    return [urlsplit(m).path for body in bodies for m in re.findall(r"http\S+/invitations/[^/\s]+/", body)]


def invite(client, email: str = "colleague@example.com", role: str = "member") -> str:
    response = client.post(TEAM, {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[-500:]
    return links_to(email)[-1]


def signed_in_as(email: str) -> Client:
    client = Client()
    client.force_login(UserFactory(email=email))
    return client


def expire(email: str, days_ago: int = 1) -> None:
    Invitation.objects.filter(email=email).update(expires_at=timezone.now() - dt.timedelta(days=days_ago))


def page_of(response) -> str:
    return response.content.decode()


# --- Stored as a hash, emailed once -------------------------------------------------------------


def test_only_the_hash_of_the_emailed_token_is_stored_and_the_link_works(client_in_workspace, workspace):
    link = invite(client_in_workspace)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes
    invitation = Invitation.objects.get(email="colleague@example.com")
    assert invitation.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM workspaces_invitation")
        assert token not in repr(cursor.fetchall())
    # The team page does not show it again.
    assert token not in page_of(client_in_workspace.get(TEAM))

    colleague = signed_in_as("colleague@example.com")
    assert "Join " + workspace.name in page_of(colleague.get(link))
    assert colleague.post(link).status_code == 302
    assert Membership.objects.filter(user__email="colleague@example.com", workspace=workspace).exists()


def test_a_link_with_an_altered_token_is_refused_readably(client_in_workspace):
    link = invite(client_in_workspace)
    altered = link[:-3] + ("A/" if link[-2] != "A" else "B/")
    colleague = signed_in_as("colleague@example.com")
    for response in (colleague.get(altered), colleague.post(altered), Client().get(altered)):
        assert response.status_code == 404
        assert "This invitation link is not valid" in page_of(response)
    assert not Membership.objects.filter(user__email="colleague@example.com").exists()


# --- Expiry -------------------------------------------------------------------------------------


def test_an_invitation_expires_after_the_configured_number_of_days(client_in_workspace, settings):
    settings.INVITATION_MAX_AGE_DAYS = 3
    before = timezone.now()
    invite(client_in_workspace)
    invitation = Invitation.objects.get(email="colleague@example.com")
    assert before + dt.timedelta(days=3) <= invitation.expires_at <= timezone.now() + dt.timedelta(days=3)
    mail = SentEmail.objects.get(to="colleague@example.com")
    assert f"until {invitation.expires_at:%Y-%m-%d %H:%M} UTC" in mail.body_text


def test_an_expired_link_says_so_and_whom_to_ask_and_cannot_be_accepted(client_in_workspace, user, workspace):
    link = invite(client_in_workspace)
    expire("colleague@example.com")
    colleague = signed_in_as("colleague@example.com")
    for response in (colleague.get(link), colleague.post(link)):
        assert response.status_code == 410
        page = page_of(response)
        assert f"This invitation to {workspace.name} expired on" in page
        assert f"Ask {user.email} to send you a new one" in page
    assert not Membership.objects.filter(user__email="colleague@example.com").exists()


def test_a_dead_link_is_explained_without_signing_in_while_an_open_one_asks_to_sign_in(client_in_workspace):
    open_link = invite(client_in_workspace, "open@example.com")
    expired_link = invite(client_in_workspace, "late@example.com")
    expire("late@example.com")
    anonymous = Client()
    explained = anonymous.get(expired_link)
    assert explained.status_code == 410 and "expired on" in page_of(explained)
    asked = anonymous.get(open_link)
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("account_login"))
    assert anonymous.post(open_link).status_code == 302  # to sign in; nothing accepted
    assert Invitation.objects.get(email="open@example.com").accepted_at is None


def test_inviting_an_address_again_after_its_invitation_expired_sends_a_working_link(client_in_workspace):
    old = invite(client_in_workspace)
    expire("colleague@example.com")
    new = invite(client_in_workspace)
    colleague = signed_in_as("colleague@example.com")
    assert colleague.get(old).status_code == 410
    assert colleague.post(new).status_code == 302


def test_an_open_invitation_is_not_sent_twice_but_resent(client_in_workspace):
    invite(client_in_workspace)
    response = client_in_workspace.post(TEAM, {"email": "colleague@example.com", "role": "member"})
    assert response.status_code == 400 and "already has an open invitation" in page_of(response)
    assert "Resend" in page_of(response)
    assert len(links_to("colleague@example.com")) == 1


# --- Single use ---------------------------------------------------------------------------------


def test_a_used_link_says_it_was_accepted_and_leads_its_member_to_the_workspace(
    client_in_workspace, workspace
):
    link = invite(client_in_workspace)
    colleague = signed_in_as("colleague@example.com")
    assert colleague.post(link).status_code == 302
    for response in (colleague.get(link), colleague.post(link)):
        assert response.status_code == 410
        page = page_of(response)
        assert f"This invitation to {workspace.name} was already accepted" in page
        assert f"You are a member of {workspace.name}" in page
        assert f'name="workspace_id" value="{workspace.pk}"' in page
    assert Membership.objects.filter(user__email="colleague@example.com").count() == 1


def test_two_tabs_accepting_at_once_join_once(client_in_workspace, workspace, monkeypatch):
    """The second tab posts while the first one's acceptance is under way (after it found the
    invitation open, before it is done): one joins, the other is told it was already accepted."""
    link = invite(client_in_workspace, role="admin")
    first_tab = signed_in_as("colleague@example.com")
    second_tab = Client()
    second_tab.force_login(get_user_model().objects.get(email="colleague@example.com"))
    manager = Membership.objects
    real_get_or_create = manager.get_or_create
    second: dict = {}

    def get_or_create_while_the_other_tab_posts(**kwargs):
        if not second:
            second["posting"] = True
            second["response"] = second_tab.post(link)
        return real_get_or_create(**kwargs)

    monkeypatch.setattr(manager, "get_or_create", get_or_create_while_the_other_tab_posts)
    first = first_tab.post(link)

    outcomes = sorted([first.status_code, second["response"].status_code])
    assert outcomes == [302, 410], outcomes
    refused = first if first.status_code == 410 else second["response"]
    assert "already accepted" in page_of(refused)
    assert Membership.objects.filter(user__email="colleague@example.com", workspace=workspace).count() == 1
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1


# --- Resend and revoke from the team page -------------------------------------------------------


def test_resending_sends_a_new_link_and_the_old_one_stops_working(
    client_in_workspace, user, workspace, settings
):
    settings.INVITATION_MAX_AGE_DAYS = 7
    old = invite(client_in_workspace)
    expire("colleague@example.com")  # the usual reason to resend; an open one can be resent too
    invitation = Invitation.objects.get(email="colleague@example.com")
    response = client_in_workspace.post(reverse("workspaces:invitation-resend", args=[invitation.pk]))
    assert response.status_code == 302
    assert "the previous link no longer works" in page_of(client_in_workspace.get(TEAM))
    new = links_to("colleague@example.com")[-1]
    assert new != old

    colleague = signed_in_as("colleague@example.com")
    replaced = colleague.get(old)
    assert replaced.status_code == 410 and "expired on" in page_of(replaced)
    current = Invitation.objects.get(email="colleague@example.com", revoked_at__isnull=True)
    assert current.expires_at > timezone.now() + dt.timedelta(days=6)
    assert colleague.post(new).status_code == 302
    event = AuditEvent.objects.get(action="invitation.resent")
    assert (event.workspace, event.actor) == (workspace, user)


def test_resending_an_open_invitation_kills_its_previous_link_with_a_pointer_to_the_new_email(
    client_in_workspace, workspace
):
    old = invite(client_in_workspace)
    invitation = Invitation.objects.get(email="colleague@example.com")
    client_in_workspace.post(reverse("workspaces:invitation-resend", args=[invitation.pk]))
    colleague = signed_in_as("colleague@example.com")
    for response in (colleague.get(old), colleague.post(old)):
        assert response.status_code == 410
        assert "was replaced by a newer one" in page_of(response)
    assert not Membership.objects.filter(user__email="colleague@example.com").exists()
    assert colleague.post(links_to("colleague@example.com")[-1]).status_code == 302


def test_revoking_stops_the_link_at_once_and_is_audited(client_in_workspace, user, workspace):
    link = invite(client_in_workspace)
    invitation = Invitation.objects.get(email="colleague@example.com")
    team = page_of(client_in_workspace.get(TEAM))
    assert reverse("workspaces:invitation-revoke", args=[invitation.pk]) in team
    response = client_in_workspace.post(reverse("workspaces:invitation-revoke", args=[invitation.pk]))
    assert response.status_code == 302
    team = page_of(client_in_workspace.get(TEAM))
    assert "The invitation of colleague@example.com was revoked." in team
    assert "Open invitations" not in team

    colleague = signed_in_as("colleague@example.com")
    for response in (colleague.get(link), colleague.post(link)):
        assert response.status_code == 410
        assert f"This invitation to {workspace.name} was withdrawn" in page_of(response)
    assert not Membership.objects.filter(user__email="colleague@example.com").exists()
    event = AuditEvent.objects.get(action="invitation.revoked")
    assert (event.workspace, event.actor, event.target_id) == (workspace, user, str(invitation.pk))


def test_the_team_page_shows_expiry_and_actions_to_admins_only(client, client_in_workspace, workspace):
    invite(client_in_workspace, "open@example.com")
    invite(client_in_workspace, "late@example.com")
    expire("late@example.com")
    page = page_of(client_in_workspace.get(TEAM))
    assert page.count('<span class="badge expired">expired</span>') == 1
    assert page.count(">Resend<") == 2 and page.count(">Revoke<") == 2
    assert 'Resend<span class="sr-only"> the invitation to late@example.com</span>' in page

    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    page = page_of(client.get(TEAM))
    assert "open@example.com" in page and ">Resend<" not in page and ">Revoke<" not in page


def test_members_cannot_resend_or_revoke(client, client_in_workspace, workspace):
    link = invite(client_in_workspace)
    invitation = Invitation.objects.get(email="colleague@example.com")
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    for name in ("workspaces:invitation-resend", "workspaces:invitation-revoke"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 403
    assert links_to("colleague@example.com") == [link]
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_another_workspaces_invitation_cannot_be_resent_or_revoked(client, client_in_workspace):
    link = invite(client_in_workspace)
    invitation = Invitation.objects.get(email="colleague@example.com")
    outsider = MembershipFactory(workspace=WorkspaceFactory(), role=Role.OWNER).user
    client.force_login(outsider)
    for name in ("workspaces:invitation-resend", "workspaces:invitation-revoke"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
    assert links_to("colleague@example.com") == [link]
    assert signed_in_as("colleague@example.com").post(link).status_code == 302


def test_an_accepted_invitation_cannot_be_revoked_or_resent(client_in_workspace, workspace):
    link = invite(client_in_workspace)
    invitation = Invitation.objects.get(email="colleague@example.com")
    assert signed_in_as("colleague@example.com").post(link).status_code == 302
    for name in ("workspaces:invitation-resend", "workspaces:invitation-revoke"):
        response = client_in_workspace.post(reverse(name, args=[invitation.pk]), follow=True)
        assert response.status_code == 200
        page = page_of(response)
        assert "already a member" in page or "already accepted or revoked" in page
    assert len(links_to("colleague@example.com")) == 1
    assert Membership.objects.filter(user__email="colleague@example.com", workspace=workspace).exists()


# --- The mail server fails ----------------------------------------------------------------------


def test_a_mail_server_failure_keeps_the_invitation_and_says_to_resend(client_in_workspace, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    response = client_in_workspace.post(TEAM, {"email": "colleague@example.com", "role": "member"})
    assert response.status_code == 302, "saved and redirected, not a 500"
    page = page_of(client_in_workspace.get(TEAM))
    assert "could not send the email" in page and "Resend" in page
    invitation = Invitation.objects.get(email="colleague@example.com")

    response = client_in_workspace.post(reverse("workspaces:invitation-resend", args=[invitation.pk]))
    assert response.status_code == 302
    assert "could not send the email" in page_of(client_in_workspace.get(TEAM))

    settings.EMAIL_BACKEND = "jobcannon.core.mail.DatabaseEmailBackend"  # the server is back
    pending = Invitation.objects.get(email="colleague@example.com", revoked_at__isnull=True)
    client_in_workspace.post(reverse("workspaces:invitation-resend", args=[pending.pk]))
    assert (
        signed_in_as("colleague@example.com").post(links_to("colleague@example.com")[-1]).status_code == 302
    )
