"""Candidate invitations a person sends from the recruiter pages are emails from our domain with
the sender's own text in them: bounded per workspace, per person and per recipient like
workspace invitations, and refused with a message that says why (issue 21). Runs an ATS orders
are never refused by these budgets."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentConfig, AssessmentRun
from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.INVITATION_RATE_LIMITS = {
        "workspace": (3, 3600),
        "sender": (5, 3600),
        "recipient": (2, 24 * 3600),
    }


@pytest.fixture
def member_client(client, workspace):
    """A plain member of the workspace (not an admin): anyone who may send a run."""
    client.force_login(MembershipFactory(workspace=workspace, role=Role.MEMBER).user)
    return client


def send(client, email: str, **extra):
    data = {"instrument": "big5", "email": email, "first_name": "Ada", "last_name": "L", **extra}
    return client.post(reverse("assessments:create"), data)


def resend(client, run):
    return client.post(reverse("assessments:resend", args=[run.pk]), follow=True)


def emails_to(address: str) -> int:
    return SentEmail.objects.filter(to=address).count()


def test_a_member_cannot_send_more_invitations_than_the_workspace_budget(member_client, limits):
    for n in range(3):
        assert send(member_client, f"candidate{n}@example.com").status_code == 302

    refused = send(member_client, "one.too.many@example.com", first_name="Win a prize at evil.example")

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "This workspace has sent 3 assessment invitations recently" in page and "try again in" in page
    assert not AssessmentRun.objects.filter(candidate_email="one.too.many@example.com").exists()
    assert emails_to("one.too.many@example.com") == 0
    assert SentEmail.objects.count() == 3


def test_one_address_is_not_flooded_from_many_workspaces(client, limits):
    target = "flood.target@example.com"
    for _ in range(2):
        client.force_login(MembershipFactory(role=Role.MEMBER).user)
        assert send(client, target).status_code == 302
    client.force_login(MembershipFactory(role=Role.MEMBER).user)

    refused = send(client, target.upper())

    assert refused.status_code == 400
    assert f"{target.upper()} has received 2 assessment invitations recently" in refused.content.decode()
    assert AssessmentRun.objects.filter(candidate_email__iexact=target).count() == 2
    assert emails_to(target) == 2


def test_one_person_cannot_multiply_the_budget_by_creating_workspaces(client_in_workspace, user, limits):
    from jobcannon.workspaces.services import workspace_create

    for n in range(3):
        assert send(client_in_workspace, f"first{n}@example.com").status_code == 302
    second = workspace_create(owner=user, name="Second Company")
    session = client_in_workspace.session
    session["workspace_id"] = second.pk
    session.save()
    for n in range(2):
        assert send(client_in_workspace, f"second{n}@example.com").status_code == 302

    refused = send(client_in_workspace, "third@example.com")

    assert refused.status_code == 400
    assert "You have sent 5 assessment invitations recently" in refused.content.decode()
    assert not AssessmentRun.objects.filter(candidate_email="third@example.com").exists()
    assert AssessmentRun.objects.filter(workspace=second).count() == 2


def test_a_colleagues_sends_count_against_the_workspace_not_against_my_own_budget(
    client, workspace, settings
):
    settings.INVITATION_RATE_LIMITS = {
        "workspace": (10, 3600),
        "sender": (2, 3600),
        "recipient": (5, 24 * 3600),
    }
    colleague, me = (MembershipFactory(workspace=workspace, role=Role.MEMBER).user for _ in range(2))
    client.force_login(colleague)
    for n in range(2):
        assert send(client, f"theirs{n}@example.com").status_code == 302
    assert "You have sent 2" in send(client, "theirs2@example.com").content.decode()

    client.force_login(me)
    assert send(client, "mine0@example.com").status_code == 302
    assert send(client, "mine1@example.com").status_code == 302
    refused = send(client, "mine2@example.com")

    assert refused.status_code == 400 and "You have sent 2" in refused.content.decode()
    senders = dict(AssessmentRun.objects.values_list("candidate_email", "invited_by"))
    assert senders == {
        "theirs0@example.com": colleague.pk,
        "theirs1@example.com": colleague.pk,
        "mine0@example.com": me.pk,
        "mine1@example.com": me.pk,
    }


def test_resending_sends_one_email_per_window_however_often_it_is_posted(member_client, limits):
    assert send(member_client, "ada@example.com").status_code == 302
    run = AssessmentRun.objects.get(candidate_email="ada@example.com")

    pages = [resend(member_client, run).content.decode() for _ in range(20)]

    assert emails_to("ada@example.com") == 1
    assert "it can be sent again in" in pages[-1]
    # Once the first email has left every budget window, the link can go out again, once.
    AssessmentRun.objects.filter(pk=run.pk).update(invited_at=timezone.now() - dt.timedelta(hours=25))
    assert "Invitation sent again" in resend(member_client, run).content.decode()
    assert "it can be sent again in" in resend(member_client, run).content.decode()
    assert emails_to("ada@example.com") == 2


def test_a_resend_counts_against_the_workspace_budget(member_client, limits):
    assert send(member_client, "ada@example.com").status_code == 302
    run = AssessmentRun.objects.get()
    AssessmentRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25), invited_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert "Invitation sent again" in resend(member_client, run).content.decode()
    for n in range(2):
        assert send(member_client, f"candidate{n}@example.com").status_code == 302

    refused = send(member_client, "one.too.many@example.com")

    assert refused.status_code == 400 and "This workspace has sent 3" in refused.content.decode()


def test_a_person_resending_a_run_an_ats_ordered_counts_against_the_budgets(member_client, workspace, limits):
    """The ATS's own email is not counted; sending it again from our pages is a person's send."""
    from assessments.models import RunStatus
    from tests.factories import AssessmentRunFactory, IntegrationFactory

    long_ago = timezone.now() - dt.timedelta(hours=25)
    ordered = AssessmentRunFactory(
        workspace=workspace,
        integration=IntegrationFactory(workspace=workspace),
        provider="fake",
        candidate_email="ats.candidate@example.com",
        status=RunStatus.INVITED,
        invited_at=long_ago,
    )
    assert "Invitation sent again" in resend(member_client, ordered).content.decode()
    for n in range(2):
        assert send(member_client, f"candidate{n}@example.com").status_code == 302

    refused = send(member_client, "one.too.many@example.com")

    assert refused.status_code == 400 and "This workspace has sent 3" in refused.content.decode()
    assert emails_to("one.too.many@example.com") == 0


def test_a_failed_email_does_not_block_sending_it_again(member_client, limits, monkeypatch):
    from assessments.services import runs

    def refuse(**kwargs):
        raise OSError("mail server unreachable")

    monkeypatch.setattr(runs, "run_email_send", refuse)
    assert send(member_client, "ada@example.com").status_code == 302
    run = AssessmentRun.objects.get()
    assert "could not be sent" in resend(member_client, run).content.decode()
    monkeypatch.undo()

    assert "Invitation sent again" in resend(member_client, run).content.decode()
    assert emails_to("ada@example.com") == 1


def test_a_name_spread_over_lines_is_refused(member_client):
    response = send(member_client, "ada@example.com", first_name="Ada,\n\nClaim your prize at evil.example\n")

    assert response.status_code == 400 and "one line of plain text" in response.content.decode()
    assert not AssessmentRun.objects.exists() and not SentEmail.objects.exists()


@pytest.mark.parametrize(
    "brand",
    [
        "Your account is locked: verify it at https://evil.example/login today or lose all access",
        "Acme\r\nBcc: everyone@example.com",
        "Acme\u202e moc.elpmaxe-live \u2028 pay now",
    ],
    ids=["long-lure", "header-injection", "bidi-and-line-separator"],
)
@pytest.mark.parametrize("template", ["default", "branded"])
def test_the_subject_shows_a_short_single_line_brand_name(member_client, workspace, brand, template):
    AssessmentConfig.objects.create(
        workspace=workspace, offered_instruments=["big5"], email_template=template, brand_name=brand
    )
    assert send(member_client, "ada@example.com").status_code == 302

    subject = SentEmail.objects.get(to="ada@example.com").subject
    ours = "Big Five personality assessment"
    assert ours in subject  # our sentence, with the brand name as a short excerpt
    assert len(subject.replace(ours, "")) <= 40 + len("Your  for ")
    assert subject.isprintable() and "\u202e" not in subject and "evil.example" not in subject


# --- what an ATS orders is not a person's send -----------------------------------------------------


def test_runs_an_ats_orders_are_not_refused_when_the_people_budgets_are_spent(
    member_client, workspace, limits
):
    from integrations.providers.ashby.services import partner_key_issue
    from tests.integrations.providers.ashby.helpers import ashby_integration, partner_post, start_body

    target = "robin.sample@example.com"
    for n in range(2):
        assert send(member_client, f"candidate{n}@example.com").status_code == 302
    assert send(member_client, target).status_code == 302
    assert send(member_client, "refused@example.com").status_code == 400  # the workspace budget
    integration = ashby_integration(workspace=workspace)
    key = partner_key_issue(integration=integration)

    # Ashby's partner API: the same workspace, an address whose budget is spent too.
    for application in ("app-1", "app-2", "app-3"):
        response = partner_post(
            member_client,
            integration,
            "assessment-start",
            start_body(email=target, application=application),
            key,
        )
        assert response.status_code == 200, response.content

    assert AssessmentRun.objects.filter(integration=integration, candidate_email=target).count() == 3
    assert emails_to(target) == 1 + 3


def test_runs_a_webhook_orders_are_not_refused_when_the_people_budgets_are_spent(
    client, member_client, workspace, limits, mocked_responses
):
    from integrations.models import WebhookEvent, WebhookStatus
    from integrations.services.webhooks import webhook_event_process
    from tests.integrations.providers.knit.test_contract import TestKnitProviderContract

    target = "alex.chen@example.com"
    for n in range(2):
        assert send(member_client, f"candidate{n}@example.com").status_code == 302
    assert send(member_client, target).status_code == 302
    assert send(member_client, "refused@example.com").status_code == 400
    contract = TestKnitProviderContract()
    integration = contract.make_integration(workspace=workspace)
    contract.prepare_processing(mocked_responses, integration, "record.new")
    body, headers = contract.signed(contract.fixture_body("record.new"), contract.test_secret)

    assert contract.post_webhook(client, integration, body, headers).status_code < 300
    event = WebhookEvent.objects.get(integration=integration)
    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    assert AssessmentRun.objects.filter(integration=integration, candidate_email=target).count() == 1
    assert emails_to(target) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_cannot_race_past_the_workspace_budget(settings, monkeypatch):
    """Sends posted together must not all read the count before any of them writes its run."""
    import threading

    from django.db import connection

    from assessments.services import invitations
    from assessments.services.runs import CandidateInfo
    from jobcannon.core.budgets import RateLimited
    from jobcannon.workspaces.services import workspace_create
    from tests.factories import UserFactory

    limit, attempts = 3, 6
    settings.INVITATION_RATE_LIMITS = {
        "workspace": (limit, 3600),
        "sender": (100, 3600),
        "recipient": (100, 3600),
    }
    sender = UserFactory()
    workspace = workspace_create(owner=sender, name="Shared")
    # Each send passes its check, then waits for the others: unless check and insert are one
    # atomic step (the first holds the others back and the wait times out).
    barrier = threading.Barrier(attempts)
    check = invitations.candidate_invitation_rate_limit_check

    def check_then_wait(**kwargs) -> None:
        check(**kwargs)
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(invitations, "candidate_invitation_rate_limit_check", check_then_wait)
    outcomes: list[str] = []

    def send_one(n: int) -> None:
        try:
            invitations.assessment_run_send(
                workspace=workspace,
                sender=sender,
                instrument="big5",
                candidate=CandidateInfo(email=f"candidate{n}@example.com"),
            )
            outcomes.append("sent")
        except RateLimited:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send_one, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["refused"] * (attempts - limit) + ["sent"] * limit, outcomes
    assert AssessmentRun.objects.count() == limit
