"""Token refresh: one service, single-flight under a row lock, rotated refresh tokens stored
atomically; proactive refresh ahead of expiry, a daily keep-alive, tokens without an expiry
flagged, warnings before a credential breaks. The fake ATS rotates refresh tokens (each works
once), so a second refresh with the same token would end in invalid_grant."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import IntegrationActivity, IntegrationStatus, Token
from integrations.registry import provider_for
from integrations.services.oauth import token_get_access, token_refresh
from integrations.services.tokens import token_keepalive, token_refresh_expiring, token_warnings
from tests.integrations.reliability.conftest import run_in_threads
from tests.integrations.reliability.fakeats import Fault


@pytest.fixture
def oauth(make_faultsim, fake_ats):
    def make(*, expires_in: timedelta | None = timedelta(hours=1), refreshed_ago=None, **token_fields):
        """A token of one hour's lifetime with `expires_in` left (unless refreshed_ago says otherwise)."""
        integration = make_faultsim(
            auth_kind="oauth2", credentials={"client_id": "cid", "client_secret": "cs"}
        )
        now = timezone.now()
        if refreshed_ago is None:
            refreshed_ago = timedelta(hours=1) - (expires_in or timedelta(hours=1))
        Token.objects.create(
            integration=integration,
            access_token="at-0",
            refresh_token="rt-0",
            access_expires_at=None if expires_in is None else now + expires_in,
            access_lifetime=None if expires_in is None else int((expires_in + refreshed_ago).total_seconds()),
            refreshed_at=now - refreshed_ago,
            scopes_requested=["results:write"],
            scopes_granted=["results:write"],
            **token_fields,
        )
        fake_ats.require_token = True
        return integration

    return make


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_api_calls_on_an_expired_token_cause_one_refresh(oauth, fake_ats):
    integration = oauth(expires_in=-timedelta(minutes=1))
    fake_ats.token_delay = 0.2  # the token endpoint is slow: every caller is waiting on the lock

    def call(i):
        return provider_for(integration).client(integration).ping()["ok"]

    results, errors = run_in_threads(50, call)
    assert not errors, errors[:3]
    assert results == [True] * 50, "every call went out with the refreshed token"
    assert fake_ats.token_calls == 1
    token = Token.objects.get(integration=integration)
    assert (token.access_token, token.refresh_token, token.refresh_count) == ("at-1", "rt-1", 1)
    assert fake_ats.refresh_token == "rt-1", "the rotated refresh token we stored is the one the ATS holds"


@pytest.mark.django_db(transaction=True)
def test_twenty_calls_refused_with_401_at_once_cause_one_refresh(oauth, fake_ats):
    integration = oauth()  # not expired, but the ATS revoked it (at-0 is not a valid token there)

    def call(i):
        return provider_for(integration).client(integration).ping()["ok"]

    results, errors = run_in_threads(20, call)
    assert not errors, errors[:3]
    assert results == [True] * 20
    assert fake_ats.token_calls == 1
    assert Token.objects.get(integration=integration).refresh_token == "rt-1"


@pytest.mark.django_db
def test_token_is_refreshed_fifteen_minutes_ahead_of_expiry(oauth, fake_ats):
    soon, later = oauth(expires_in=timedelta(minutes=14)), oauth(expires_in=timedelta(minutes=16))
    fake_ats.valid_access_tokens.add("at-0")
    assert token_get_access(integration=later) == "at-0"
    assert token_get_access(integration=soon) == "at-1"
    assert fake_ats.token_calls == 1


@pytest.mark.django_db
def test_short_lived_tokens_are_refreshed_in_their_last_third_not_on_every_call(oauth, fake_ats):
    integration = oauth(expires_in=timedelta(minutes=5), refreshed_ago=timedelta(minutes=1))  # 6 min lifetime
    assert token_get_access(integration=integration) == "at-0"
    # four minutes later: one left
    Token.objects.filter(integration=integration).update(
        access_expires_at=timezone.now() + timedelta(minutes=1)
    )
    assert token_get_access(integration=integration) == "at-1"


@pytest.mark.django_db
def test_token_without_expiry_is_flagged_and_refreshed_on_the_default_lifetime(oauth, fake_ats):
    integration = oauth(expires_in=None, refreshed_ago=timedelta(minutes=30))
    token = Token.objects.get(integration=integration)
    assert token_get_access(integration=integration) == "at-0"
    assert "token.no_expiry" in dict(token_warnings(token=token)), "flagged"
    Token.objects.filter(integration=integration).update(refreshed_at=timezone.now() - timedelta(minutes=50))
    assert token_get_access(integration=integration) == "at-1", "refreshed 15 min before the assumed hour"


@pytest.mark.django_db
def test_failed_proactive_refresh_keeps_the_working_token_and_does_not_hammer_the_endpoint(oauth, fake_ats):
    integration = oauth(expires_in=timedelta(minutes=10))
    fake_ats.inject(Fault("/oauth/token", status=503))
    assert token_get_access(integration=integration) == "at-0"
    assert token_get_access(integration=integration) == "at-0", "within the cooldown: no second attempt"
    assert fake_ats.token_calls == 0  # the 503 was injected before the token handler counted
    token = Token.objects.get(integration=integration)
    assert token.refresh_failures == 1 and token.last_refresh_error
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, "a transient failure is not a re-auth"
    assert IntegrationActivity.objects.filter(integration=integration, kind="token.refresh_failed").exists()


@pytest.mark.django_db
def test_refresh_without_scope_in_the_response_keeps_the_granted_scopes(oauth, fake_ats):
    integration = oauth()
    Token.objects.filter(integration=integration).update(scopes_granted=["results:write"])
    token_refresh(integration_id=integration.pk, force=True)
    assert Token.objects.get(integration=integration).scopes_granted == ["results:write"]


@pytest.mark.django_db
def test_refresh_sweep_refreshes_what_expires_soon_and_leaves_the_rest(oauth, fake_ats):
    soon = oauth(expires_in=timedelta(minutes=20))
    fresh = oauth(expires_in=timedelta(hours=2))
    disconnected = oauth(expires_in=timedelta(minutes=5))
    disconnected.status = IntegrationStatus.DISCONNECTED
    disconnected.save()
    assert token_refresh_expiring() == 1
    assert Token.objects.get(integration=soon).access_token == "at-1"
    assert Token.objects.get(integration=fresh).access_token == "at-0"
    assert Token.objects.get(integration=disconnected).access_token == "at-0"


@pytest.mark.django_db
def test_daily_keepalive_refreshes_idle_tokens_and_warns_once_when_refresh_keeps_failing(oauth, fake_ats):
    idle = oauth(refreshed_ago=timedelta(hours=21))
    failing = oauth(
        refreshed_ago=timedelta(hours=1), refresh_failures=3, last_refresh_error="token endpoint 503"
    )
    report = token_keepalive()
    assert report.refreshed == 1 and Token.objects.get(integration=idle).access_token == "at-1"
    assert report.warned == ["token.refresh_failing"]
    token_keepalive()
    warnings = IntegrationActivity.objects.filter(integration=failing, kind="token.refresh_failing")
    assert warnings.count() == 1, "once a day, not on every run"
    assert "re-authorize" in warnings.get().message


@pytest.mark.django_db
def test_a_refused_refresh_during_test_credentials_now_changes_the_status_once(
    oauth, fake_ats, django_capture_on_commit_callbacks, mailoutbox
):
    """The refresh marks the integration needs-reauth through the token's own copy of it; the
    check then records the same failure on the caller's stale copy. One change, one email."""
    from integrations.services.integrations import integration_credentials_check
    from tests.factories import MembershipFactory

    integration = oauth(expires_in=-timedelta(minutes=1))
    MembershipFactory(workspace=integration.workspace, role="admin")
    integration.status = IntegrationStatus.CONNECTED
    integration.save(update_fields=["status"])
    fake_ats.refresh_token = "rt-the-ats-revoked-ours"  # ours (rt-0) ends in invalid_grant
    with django_capture_on_commit_callbacks(execute=True):
        assert not integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.NEEDS_REAUTH
    changes = IntegrationActivity.objects.filter(integration=integration, kind="status.changed")
    assert [c.message.split(":")[0] for c in changes] == ["Status connected → needs_reauth"]
    assert len([m for m in mailoutbox if "needs re-authorization" in m.subject]) == 1
    assert fake_ats.token_calls == 1, "a refused refresh token is not offered to the ATS twice"


@pytest.mark.django_db
def test_keepalive_goes_on_when_a_provider_forgets_a_token_the_ats_refused(oauth, fake_ats, monkeypatch):
    """A provider whose traffic does not rest on the sign-in forgets a refused token
    (ATSProvider.oauth_refresh_refused, SmartRecruiters): the daily run must not crash on the
    missing row, and the integrations after it still get their refresh."""
    from integrations.models import Integration
    from tests.integrations.reliability.faultsim import FaultSimProvider

    def forget(self, integration, error):
        Token.objects.filter(integration=integration).delete()
        return True

    monkeypatch.setattr(FaultSimProvider, "oauth_refresh_refused", forget)
    refused = oauth(refreshed_ago=timedelta(hours=30))
    Token.objects.filter(integration=refused).update(refresh_token="rt-the-ats-no-longer-knows")
    later = oauth(refreshed_ago=timedelta(hours=30))
    Integration.objects.filter(pk__in=[refused.pk, later.pk]).update(status=IntegrationStatus.CONNECTED)

    report = token_keepalive()

    assert not Token.objects.filter(integration=refused).exists()
    assert report.failed == 1 and report.refreshed == 1
    assert Token.objects.get(integration=later).access_token.startswith("at-")
    assert Token.objects.get(integration=later).access_token != "at-0"
