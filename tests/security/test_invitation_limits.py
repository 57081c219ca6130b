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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("budget", ["workspace", "sender", "recipient"])
def test_concurrent_invitations_cannot_race_past_a_budget(settings, monkeypatch, budget):
    """Requests arriving together must not all read the count before any of them writes: each
    budget (per workspace, per sender across workspaces, per recipient across workspaces) holds
    exactly, however many invitations are posted at once."""
    import threading

    from django.db import connection

    from jobcannon.workspaces import services
    from jobcannon.workspaces.services import InvitationRateLimited, invitation_create, workspace_create
    from tests.factories import UserFactory

    limit, attempts = 3, 6
    settings.INVITATION_RATE_LIMITS = {
        "workspace": (100, 3600),
        "sender": (100, 3600),
        "recipient": (100, 3600),
    }
    settings.INVITATION_RATE_LIMITS[budget] = (limit, 3600)
    sender = UserFactory()
    shared = workspace_create(owner=sender, name="Shared")

    def call(n: int) -> dict:
        if budget == "workspace":
            return {"workspace": shared, "email": f"colleague{n}@example.com", "invited_by": sender}
        if budget == "sender":
            own = workspace_create(owner=sender, name=f"Company {n}")
            return {"workspace": own, "email": f"colleague{n}@example.com", "invited_by": sender}
        inviter = UserFactory()
        own = workspace_create(owner=inviter, name=f"Company {n}")
        return {"workspace": own, "email": "much.invited@example.com", "invited_by": inviter}

    calls = [call(n) for n in range(attempts)]
    # Every request has passed its check before any of them writes, unless the check and the
    # write are one atomic step (then the first holds the others back and the wait times out).
    barrier = threading.Barrier(attempts)
    check = services.invitation_rate_limit_check

    def check_then_wait(**kwargs) -> None:
        check(**kwargs)
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(services, "invitation_rate_limit_check", check_then_wait)
    outcomes: list[str] = []

    def invite(kwargs: dict) -> None:
        try:
            invitation_create(role="member", **kwargs)
            outcomes.append("sent")
        except InvitationRateLimited:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=invite, args=(kwargs,)) for kwargs in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["refused"] * (attempts - limit) + ["sent"] * limit, outcomes
    assert Invitation.objects.count() == limit


@pytest.mark.parametrize(
    "name",
    [
        "Your account is locked: verify it at https://evil.example/login today or lose all access",
        "Acme\r\nBcc: everyone@example.com",
        "Acme\u202e moc.elpmaxe-live \u2028 pay now",
    ],
    ids=["long-lure", "header-injection", "bidi-and-line-separator"],
)
def test_the_invitation_subject_is_our_sentence_with_a_short_single_line_workspace_name(client, name):
    from jobcannon.workspaces.services import workspace_create
    from tests.factories import UserFactory

    owner = UserFactory()
    workspace = workspace_create(owner=owner, name=name)
    client.force_login(owner)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    assert invite(client, "new.colleague@example.com").status_code == 302

    mail = SentEmail.objects.get(to="new.colleague@example.com")
    prefix, suffix = "You are invited to the workspace “", "” on JobCannon"
    assert mail.subject.startswith(prefix) and mail.subject.endswith(suffix)
    shown = mail.subject.removeprefix(prefix).removesuffix(suffix)
    assert len(shown) <= 40 and shown.isprintable() and "\u202e" not in shown
    assert "evil.example" not in mail.subject and "\n" not in mail.subject and "\r" not in mail.subject
    assert "/invitations/" in mail.body_text  # the invitation itself went out
