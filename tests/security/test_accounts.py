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


# --- Issue 21: passwords of at least 12 characters, sessions that end when idle -----------------


def test_signup_refuses_a_password_shorter_than_twelve_characters(client):
    from django.contrib.auth import get_user_model

    response = client.post(
        "/accounts/signup/",
        {"email": "short.pw@example.com", "password1": "Zq8#vLm2pX", "password2": "Zq8#vLm2pX"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not get_user_model().objects.filter(email="short.pw@example.com").exists()


def test_the_demo_users_password_satisfies_the_validators():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from integrations.management.commands.demo_seed import DEMO_EMAIL, DEMO_PASSWORD

    demo = get_user_model()(username="demo", email=DEMO_EMAIL)
    validate_password(DEMO_PASSWORD, user=demo)  # raises ValidationError if not


def _idle_for(client, seconds: int) -> None:
    import time

    from jobcannon.audit.middleware import LAST_ACTIVITY_KEY

    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds
    session.save()


def test_a_request_within_the_idle_timeout_keeps_the_session_and_pushes_its_expiry(client, settings):
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_IDLE_TIMEOUT_SECONDS <= 8 * 3600, "an idle session must not live for days"
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_IDLE_TIMEOUT_SECONDS
    client.force_login(MembershipFactory(role=Role.ADMIN).user)
    _idle_for(client, settings.SESSION_IDLE_TIMEOUT_SECONDS - 30)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(seconds=30))
    assert client.get("/workspace/security/").status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_a_session_idle_past_the_timeout_is_signed_out(client, settings):
    client.force_login(MembershipFactory(role=Role.ADMIN).user)
    _idle_for(client, settings.SESSION_IDLE_TIMEOUT_SECONDS + 1)
    response = client.get("/workspace/security/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


SHORT = "Zq8#vLm2pX"  # 10 characters, otherwise strong
TOO_SHORT = "at least 12 characters"


def _password_unchanged(user, password: str = "correct-horse-battery") -> bool:
    user.refresh_from_db()
    return user.check_password(password) and not user.check_password(SHORT)


def test_changing_the_password_refuses_one_shorter_than_twelve_characters(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "correct-horse-battery", "password1": SHORT, "password2": SHORT},
    )
    assert response.status_code == 200 and TOO_SHORT in response.content.decode()
    assert _password_unchanged(user)


def test_setting_a_first_password_refuses_one_shorter_than_twelve_characters(client):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    response = client.post("/accounts/password/set/", {"password1": SHORT, "password2": SHORT})
    assert response.status_code == 200 and TOO_SHORT in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_password_reset_link_refuses_one_shorter_than_twelve_characters(client):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = UserFactory()
    key = default_token_generator.make_token(user)
    opened = client.get(f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{key}/")
    assert opened.status_code == 302  # allauth keeps the key in the session, out of the URL
    form_url = opened["Location"]
    assert key not in form_url
    response = client.post(form_url, {"password1": SHORT, "password2": SHORT})
    assert response.status_code == 200 and TOO_SHORT in response.content.decode()
    assert _password_unchanged(user)
    done = client.post(
        form_url, {"password1": "a much longer passphrase", "password2": "a much longer passphrase"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a much longer passphrase")


def test_staff_setting_a_users_password_in_the_admin_is_held_to_twelve_characters(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory()
    client.force_login(staff)
    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": SHORT, "password2": SHORT, "usable_password": "true"},
    )
    assert response.status_code == 200 and TOO_SHORT in response.content.decode()
    assert _password_unchanged(user)


def test_a_second_page_view_within_a_minute_writes_no_session(client):
    """The idle timeout's last-activity mark is rewritten at most once a minute: a page view
    within that minute writes nothing to the session table (37d1225; before it, every page view
    did: tests/security/FINDINGS.md row 12)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(MembershipFactory(role=Role.ADMIN).user)
    assert client.get("/workspace/security/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/workspace/security/").status_code == 200
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert not writes
