import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Membership, Role
from jobcannon.workspaces.services import invitation_create
from tests.factories import IntegrationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_user_without_workspace_is_asked_to_create_one(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("workspaces:create")


def test_creating_a_workspace_makes_the_creator_owner(client, user):
    client.force_login(user)
    response = client.post(reverse("workspaces:create"), {"name": "Example Robotics", "data_region": "eu"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER and membership.workspace.slug == "example-robotics"
    assert membership.workspace.retention_days == 90


def test_workspace_form_errors_are_shown(client, user):
    client.force_login(user)
    response = client.post(reverse("workspaces:create"), {"name": "", "data_region": "mars"})
    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_another_workspaces_integration_answers_404(client_in_workspace, other_workspace):
    foreign = IntegrationFactory(workspace=other_workspace)
    for name in ("integrations:detail",):
        assert client_in_workspace.get(reverse(name, args=[foreign.pk])).status_code == 404
    response = client_in_workspace.post(reverse("integrations:action", args=[foreign.pk, "rotate-secret"]))
    assert response.status_code == 404


def test_own_integration_detail_shows_webhook_url_but_never_secrets(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace, credentials={"api_key": "sk-very-secret-123"})
    response = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk]))
    assert response.status_code == 200
    assert str(integration.public_id).encode() in response.content
    assert b"sk-very-secret-123" not in response.content and b"whsec_test_secret" not in response.content


def test_rotating_the_webhook_secret_shows_the_new_one_once_and_keeps_the_old_valid(
    client_in_workspace, workspace
):
    integration = IntegrationFactory(workspace=workspace)
    client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "rotate-secret"]))
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    integration.refresh_from_db()
    new, old = integration.secrets_for_verification()
    assert old == "whsec_test_secret" and new in page
    again = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert new not in again


def test_members_cannot_change_integrations(client, workspace):
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    integration = IntegrationFactory(workspace=workspace)
    response = client.post(reverse("integrations:action", args=[integration.pk, "rotate-secret"]))
    assert response.status_code == 403


def test_invited_colleague_joins_with_the_invited_role(client, client_in_workspace, workspace):
    response = client_in_workspace.post(
        reverse("workspaces:team"), {"email": "colleague@example.com", "role": "admin"}
    )
    assert response.status_code == 302
    mail = SentEmail.objects.get(to="colleague@example.com")
    link = re.search(r"http\S+/invitations/[^/\s]+/", mail.body_text).group()
    colleague = UserFactory(email="colleague@example.com")
    client.force_login(colleague)
    response = client.post(urlsplit(link).path)
    assert response.status_code == 302
    assert Membership.objects.get(user=colleague, workspace=workspace).role == Role.ADMIN
    # single use
    again = client.post(urlsplit(link).path)
    assert again.status_code == 410 and "already accepted" in again.content.decode()


def test_invitation_for_someone_else_is_refused_clearly(client, workspace, user):
    _, token = invitation_create(
        workspace=workspace, email="someone@example.com", role="member", invited_by=user
    )
    stranger = UserFactory()
    client.force_login(stranger)
    response = client.post(reverse("workspaces:invitation", args=[token]))
    assert response.status_code == 400
    assert b"someone@example.com" in response.content
    assert not Membership.objects.filter(user=stranger).exists()


def test_switching_to_a_workspace_you_are_not_in_is_404(client_in_workspace, other_workspace):
    response = client_in_workspace.post(reverse("workspaces:switch"), {"workspace_id": other_workspace.pk})
    assert response.status_code == 404


def test_demo_seed_is_idempotent_and_prints_the_contract(capsys):
    import json

    from django.core.management import call_command

    call_command("demo_seed", "--json")
    first = json.loads(capsys.readouterr().out)
    call_command("demo_seed", "--json")
    second = json.loads(capsys.readouterr().out)
    assert first["login"] == {"email": "demo@example.com", "password": "jobcannon-demo"}
    assert first["workspace"] == second["workspace"]
    for key, entry in second["integrations"].items():
        assert entry["webhook_url"].startswith(f"/webhooks/{key}/")
        assert entry["webhook_secret"] == first["integrations"][key]["webhook_secret"]
    assert client_login_works()


def client_login_works() -> bool:
    from django.test import Client

    return Client().login(username="demo", password="jobcannon-demo")


def test_unknown_page_is_a_readable_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"does not exist" in response.content


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
