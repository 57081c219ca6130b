"""Accounts: MFA required for staff and available to everyone, the admin signs in through
allauth (with the second factor), and failed logins are throttled."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from jobcannon.workspaces.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


def test_staff_without_a_second_factor_is_sent_to_set_one_up(client, mfa_required):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/?next=%2Fadmin%2F")
    # The way out is open (allauth first asks for the password again: a fresh sign-in).
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200 or setup["Location"].startswith("/accounts/reauthenticate/")
    api = client.post("/admin/", headers={"accept": "application/json"})
    assert api.status_code == 403 and b"mfa_required" in api.content


def test_staff_with_a_second_factor_gets_in(client, mfa_required):
    staff = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_workspace_admins_may_but_need_not_use_two_factor(client, mfa_required):
    admin = MembershipFactory(role=Role.ADMIN).user
    client.force_login(admin)
    assert client.get("/workspace/security/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200


def test_the_admin_login_form_is_replaced_by_allauth_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_failed_logins_are_throttled(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    user = UserFactory()
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    # Now even the right password is refused for a while: guessing costs time.
    response = client.post("/accounts/login/", {"login": user.email, "password": "correct-horse-battery"})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
