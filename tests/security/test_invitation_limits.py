"""Invitations send email from our domain with the workspace's own words in them: bounded per
workspace and per recipient, refused with a form error that says why (issue 21)."""

import pytest
from django.urls import reverse

from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Invitation, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.INVITATION_RATE_LIMITS = {
        "workspace": (5, 3600),
        "sender": (7, 3600),
        "recipient": (2, 24 * 3600),
    }


def invite(client, email: str):
    return client.post(reverse("workspaces:team"), {"email": email, "role": "member"})


def test_a_workspace_cannot_send_more_invitations_than_its_hourly_budget(client_in_workspace, limits):
    for n in range(5):
        assert invite(client_in_workspace, f"colleague{n}@example.com").status_code == 302
    refused = invite(client_in_workspace, "one.too.many@example.com")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "This workspace has sent 5 invitations recently" in page and "try again in" in page
    assert not Invitation.objects.filter(email="one.too.many@example.com").exists()
    assert not SentEmail.objects.filter(to="one.too.many@example.com").exists()


def test_one_address_cannot_be_flooded_from_many_workspaces(client, limits):
    target = "flood.target@example.com"
    for _ in range(2):
        client.force_login(MembershipFactory(role=Role.OWNER).user)
        assert invite(client, target).status_code == 302
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    refused = invite(client, target.upper())
    assert refused.status_code == 400
    assert f"{target} has received 2 invitations recently" in refused.content.decode()
    assert SentEmail.objects.filter(to=target).count() == 2


def test_one_person_cannot_multiply_the_budget_by_creating_workspaces(client_in_workspace, user, limits):
    from jobcannon.workspaces.services import workspace_create

    for n in range(5):
        assert invite(client_in_workspace, f"first{n}@example.com").status_code == 302
    second = workspace_create(owner=user, name="Second Company")
    session = client_in_workspace.session
    session["workspace_id"] = second.pk
    session.save()
    for n in range(2):
        assert invite(client_in_workspace, f"second{n}@example.com").status_code == 302
    refused = invite(client_in_workspace, "third@example.com")
    assert refused.status_code == 400
    assert "You have sent 7 invitations recently" in refused.content.decode()
    assert not Invitation.objects.filter(email="third@example.com").exists()
    assert Invitation.objects.filter(workspace=second).count() == 2


def test_the_default_budget_is_bounded(settings):
    per_workspace, window = settings.INVITATION_RATE_LIMITS["workspace"]
    per_sender, sender_window = settings.INVITATION_RATE_LIMITS["sender"]
    per_recipient, recipient_window = settings.INVITATION_RATE_LIMITS["recipient"]
    assert per_workspace <= 50 and window >= 3600 and per_recipient <= 5 and recipient_window >= 3600
    assert per_workspace <= per_sender <= 100 and sender_window >= 3600
