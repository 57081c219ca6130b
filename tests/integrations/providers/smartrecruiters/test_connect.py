"""Connecting through the built-in simulator: OAuth consent and token exchange, scopes granted vs
requested, the redirect URI check, regions and hosts, the webhook subscription flows."""

import inspect
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.base import ATSRateLimited
from integrations.models import Integration, IntegrationActivity, IntegrationStatus, Token
from integrations.providers.smartrecruiters import constants, reference
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.integrations import integration_credentials_check
from integrations.services.oauth import redirect_uri_for
from tests.factories import IntegrationFactory

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db


def test_connecting_activates_a_subscription_with_the_handshake_and_stores_the_secret_key(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    ours = integration.secrets_for_verification()[0]
    response = connect_via_simulator(client_in_workspace, integration)
    assert response.status_code == 302, response.content[:500]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    token = Token.objects.get(integration=integration)
    assert not token.missing_scopes() and token.refresh_token
    lifetime = token.refresh_expires_at - timezone.now()
    assert timedelta(days=27) < lifetime <= timedelta(days=28), "SR refresh tokens last 28 days"
    state = integration.provider_settings["subscription"]
    assert state["status"] == "active" and state["api"] == "webhooks-api"
    sr_sub = sim.get("subscription", state["id"])
    assert sr_sub["status"] == "active", "SR activated it after we echoed X-Hook-Secret"
    assert sr_sub["callbackUrl"].endswith(f"/webhooks/smartrecruiters/{integration.public_id}/")
    assert integration.webhook_secrets[0]["secret"] == sr_sub["keys"][0]["key"], (
        "SR's key verifies deliveries"
    )
    assert ours in integration.secrets_for_verification(), "our own secret keeps verifying the seed scheme"
    company = sim.get("company", integration.demo["company_id"])
    assert company["partner"]["base_url"] == "http://testserver/partners/smartrecruiters/"
    assert company["partner"]["client_id"] == integration.credentials["partner_client_id"]


def test_reconnecting_keeps_the_active_subscription(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    first = integration.provider_settings["subscription"]["id"]
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["subscription"]["id"] == first
    assert len(sim.items("subscription")) == 1


def test_consent_page_rejects_a_redirect_uri_that_differs_by_a_trailing_slash(client_in_workspace, sr_sim):
    integration = sr_sim()
    company = sim.get("company", integration.demo["company_id"])
    sim.put("company", company["id"], {**company, "redirect_uri": redirect_uri_for("smartrecruiters") + "/"})
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    page = client_in_workspace.get(start["Location"])
    assert page.status_code == 400
    text = page.content.decode()
    assert constants.REDIRECT_URI_ERROR in text
    assert redirect_uri_for("smartrecruiters") + "/" in text and "trailing slash" in text


def test_oauth_redirect_uri_error_is_explained_with_the_exact_uri_to_register(client_in_workspace, sr_sim):
    from urllib.parse import parse_qs, urlsplit

    integration = sr_sim()
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client_in_workspace.get(
        "/smartrecruiters/oauth-callback",
        {"state": state, "error": "invalid_request", "error_description": "Invalid OAuth redirect URI"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Invalid OAuth redirect URI" in text
    assert f"must be exactly {redirect_uri_for('smartrecruiters')} (it has no trailing slash)" in text


def test_sr_scopes_are_requested_and_the_page_shows_requested_vs_granted(client_in_workspace, sr_sim):
    integration = sr_sim()
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    scope = parse_qs(urlsplit(start["Location"]).query)["scope"][0].split()
    # SRD /docs/authentication-access-scopes spellings; webhooks_manage for the subscription.
    assert scope == [
        "candidates_read",
        "candidates_manage",
        "jobs_read",
        "configuration_read",
        "company_read",  # SRO Configuration_getCompanyInformation: oauth [company_read, configuration_read]
        "webhooks_manage",
    ]
    granted = [s for s in constants.SCOPES if s != "webhooks_manage"]
    connect_via_simulator(client_in_workspace, integration, granted=granted)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert Token.objects.get(integration=integration).missing_scopes() == ["webhooks_manage"]
    assert IntegrationActivity.objects.filter(
        integration=integration, kind="smartrecruiters.scope_missing"
    ).exists()
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="sr-scope-warning"' in page and "did not grant webhooks_manage" in page
    table = page[page.index('id="sr-scopes"') :]
    row = table[table.index("<code>webhooks_manage</code>") :].split("</tr>")[0]
    assert "yes" in row and "not granted" in row
    ok_row = table[table.index("<code>candidates_read</code>") :].split("</tr>")[0]
    assert "granted" in ok_row and "not granted" not in ok_row
    # Without webhooks_manage SR refuses the subscription: an explained state, not a failed connect.
    state = integration.provider_settings["subscription"]
    assert state["status"] == "refused" and "webhooks_manage" in state["error"]


def test_seed_colon_scopes_are_accepted_as_aliases_and_requested_under_the_real_names():
    provider = get_provider("smartrecruiters")
    integration = IntegrationFactory.build(
        provider="smartrecruiters",
        environment="production",
        provider_settings={
            "oauth_scopes": ["candidates:read", "candidates:write", "assessments:write", "webhooks_manage"]
        },
    )
    assert provider.oauth_config(integration).scopes == (
        "candidates_read",
        "candidates_manage",
        "webhooks_manage",
        "jobs_read",
        "company_read",  # the connection check's GET /configuration/company (SRO: with configuration_read)
        "configuration_read",
    )


def test_a_seed_scope_list_still_requests_what_the_webhooks_api_needs_and_subscribes(
    client_in_workspace, sr_sim
):
    """Seed 001's colon list maps to neither webhooks_manage nor jobs_read, nor company_read (the
    connection check's GET /configuration/company needs it with configuration_read, SRO): all are
    requested anyway, so SR grants them, the connection check passes and the Webhooks API
    subscription is accepted."""
    integration = sr_sim(provider_settings={"oauth_scopes": list(constants.SEED_SCOPES)})
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    requested = parse_qs(urlsplit(start["Location"]).query)["scope"][0].split()
    assert {"webhooks_manage", "jobs_read", "candidates_read"} <= set(requested)
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert not Token.objects.get(integration=integration).missing_scopes()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "active", state.get("error")


def test_a_colon_scope_sent_as_is_is_refused_by_the_sandbox_like_sr(client_in_workspace, sr_sim):
    integration = sr_sim()
    start = client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    url = start["Location"].replace("scope=candidates_read", "scope=candidates%3Aread")
    answer = client_in_workspace.get(url)
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer["Location"]).query)["error"] == ["invalid_scope"]


def test_subscription_requests_event_names_and_records_the_versions_sr_reports(
    client_in_workspace, sr_sim, monkeypatch
):
    """SRO SubscriptionRequest.events is an array of event names; each event's version is SR's
    (read-only) and none of ours is published (application.created's v201910 is only SR's
    signature test vector): every row shows [I]."""
    from integrations.providers.smartrecruiters.client import SmartRecruitersClient

    sent: list[dict] = []
    real_request = SmartRecruitersClient.request

    def spy(self, method, path, **kwargs):
        if method == "POST" and path == constants.VENDOR_SUBSCRIPTIONS_PATH:
            sent.append(kwargs["json"])
        return real_request(self, method, path, **kwargs)

    monkeypatch.setattr(SmartRecruitersClient, "request", spy)
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert sent == [
        {
            "callbackUrl": f"http://testserver/webhooks/smartrecruiters/{integration.public_id}/",
            "events": list(constants.SUBSCRIBED_EVENTS),
        }
    ]
    state = integration.provider_settings["subscription"]
    sub = sim.get("subscription", state["id"])
    assert sub["events"] == list(constants.SUBSCRIBED_EVENTS) and set(sub["events"]) <= constants.KNOWN_EVENTS
    assert state["versions"]["application.created"] == "v201910"
    assert set(state["versions"]) == set(constants.SUBSCRIBED_EVENTS)
    # For an event no source publishes a version for, the sandbox reports its placeholder [I] (SR
    # reports one for every event); the page still marks it "[I] not published".
    assert state["versions"]["candidate.updated"] == constants.SANDBOX_UNPUBLISHED_EVENT_VERSION
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    table = page[page.index('id="sr-events"') :].split("</table>")[0]
    created = table[table.index("<code>application.created</code>") :].split("</tr>")[0]
    assert "[I] not published" in created and "test vector" in created
    for name in ("application.status.updated", "candidate.updated", "candidate.deleted"):
        row = table[table.index(f"<code>{name}</code>") :].split("</tr>")[0]
        assert "[I] not published" in row


def test_the_sandbox_refuses_events_sent_as_objects_or_unknown_names_like_sr(client_in_workspace, sr_sim):
    from integrations.base import ATSError
    from integrations.registry import get_provider

    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    client = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk))
    url = "https://example.com/hook"
    with pytest.raises(ATSError) as objects:
        client.request(
            "POST",
            constants.VENDOR_SUBSCRIPTIONS_PATH,
            json={"callbackUrl": url, "events": [{"name": "application.created", "version": "v201910"}]},
        )
    assert objects.value.status_code == 400
    with pytest.raises(ATSError) as unknown:
        client.subscribe(callback_url=url, events=["candidate.assessment.completed"])
    assert unknown.value.status_code == 422 and "candidate.assessment.completed" in unknown.value.message
    # Knit's map of SR's callbacks lists interview events; SR's own EventName enum does not.
    for name in ("interview.created", "interview.updated", "interview.canceled"):
        with pytest.raises(ATSError) as interview:
            client.subscribe(callback_url=url, events=[name])
        assert interview.value.status_code == 422 and name in interview.value.message
    assert isinstance(client.request("GET", constants.VENDOR_SUBSCRIPTIONS_PATH).json(), list)


def test_a_refused_subscription_is_explained_and_the_connect_goes_on(client_in_workspace, sr_sim):
    # SR refuses the subscription with 422 (SRO: bad callback URL or unknown event). Our own
    # event names never cause it any more (selectors.webhook_events sends only SR's), so SR's
    # answer is queued in the sandbox.
    integration = sr_sim()
    _fail_subscription_with(422)
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    state = integration.provider_settings["subscription"]
    assert state["status"] == "refused"
    assert "HTTP 422" in state["error"]
    assert integration.provider_settings["partner_registered"] is True, "the rest of the connect happened"
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="sr-subscription-error"' in page and "every event name is one the Webhooks API lists" in page
    assert IntegrationActivity.objects.filter(
        integration=integration, kind="smartrecruiters.subscription_refused"
    ).exists()


def test_older_event_settings_with_versions_are_read_as_names():
    from integrations.providers.smartrecruiters import selectors

    integration = IntegrationFactory.build(
        provider="smartrecruiters",
        provider_settings={"webhook_events": [{"name": "job.created", "version": "1.0.0"}, "job.updated"]},
    )
    assert selectors.webhook_events(integration) == ["job.created", "job.updated"]


def test_the_seed_subscription_path_is_answered_404_like_sr_and_explained(client_in_workspace, sr_sim):
    """webhook_api="seed" is an alias only: SR publishes no POST /v1/webhooks/subscriptions, so the
    sandbox answers 404 as SR would; the subscription is refused with the way back, nothing retries."""
    from django_q.models import Schedule

    integration = sr_sim(provider_settings={"webhook_api": "seed"})
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert not sim.items("subscription"), "the sandbox created nothing for the seed path"
    state = integration.provider_settings["subscription"]
    assert state["api"] == "seed" and state["status"] == "refused"
    assert "HTTP 404" in state["error"] and "SmartRecruiters Webhooks API" in state["error"]
    assert not Schedule.objects.filter(name__startswith="smartrecruiters-subscription").exists()


def test_the_webhooks_api_is_the_default_and_the_seed_path_is_marked_unverified(client_in_workspace, sr_sim):
    from integrations.providers.smartrecruiters import selectors
    from integrations.providers.smartrecruiters.forms import WebhookApiForm

    integration = sr_sim()
    assert selectors.webhook_api(integration) == constants.WEBHOOK_API_VENDOR
    labels = dict(WebhookApiForm().fields["webhook_api"].choices)
    assert "unverified" in labels[constants.WEBHOOK_API_SEED]


# --- a temporary subscription failure is retried, a refusal is not ---------------------------------


def _run_schedule(schedule):
    """Run a ONCE schedule as django-q2's scheduler does: its func with its args evaluated."""
    import ast

    from django.utils.module_loading import import_string

    args = ast.literal_eval(schedule.args)
    import_string(schedule.func)(*(args if isinstance(args, tuple) else (args,)))


def _fail_subscription_with(status):
    from integrations.simulator_faults import sim_fault_inject

    sim_fault_inject(
        provider="smartrecruiters",
        faults=[str(status)],
        path_prefix="/sim/smartrecruiters/api/webhooks-api/v201907/subscriptions",
    )


@pytest.mark.parametrize("status", [503, 429, 500])
def test_a_temporary_subscription_failure_is_retried_with_backoff_until_it_subscribes(
    client_in_workspace, sr_sim, status
):
    from django_q.models import Schedule

    integration = sr_sim()
    _fail_subscription_with(status)
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "retrying", state
    assert f"HTTP {status}" in state["error"] and "tries again" in state["error"]
    assert "callback URL" not in state["error"], "no refusal advice for a temporary error"
    schedule = Schedule.objects.get(name=f"smartrecruiters-subscription:{integration.pk}")
    assert schedule.func == "integrations.services.queue.provider_step_retry_task"
    assert schedule.next_run > timezone.now()
    assert IntegrationActivity.objects.filter(
        integration=integration, kind="smartrecruiters.subscription_failed", level="warning"
    ).exists()
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "tries again" in page

    _run_schedule(schedule)  # what the worker runs at next_run
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "active", state.get("error")
    assert sim.get("subscription", state["id"])["status"] == "active"


@pytest.mark.parametrize("status", [400, 403, 422])
def test_a_refused_subscription_is_not_retried(client_in_workspace, sr_sim, status):
    from django_q.models import Schedule

    integration = sr_sim()
    _fail_subscription_with(status)
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "refused" and f"HTTP {status}" in state["error"]
    assert not Schedule.objects.filter(name=f"smartrecruiters-subscription:{integration.pk}").exists()


def test_a_subscription_still_failing_after_the_retry_horizon_is_failed(client_in_workspace, sr_sim):
    from integrations.providers.smartrecruiters import services, tasks

    integration = sr_sim()
    _fail_subscription_with(503)
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    long_ago = (timezone.now() - timedelta(hours=73)).isoformat()
    services.subscription_set(integration=integration, **{**state, "first_failed_at": long_ago})
    _fail_subscription_with(503)
    tasks.subscription_retry_task(integration.pk)
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "failed" and "gave up after 2 attempts" in state["error"]
    assert not state.get("next_attempt_at")


def test_an_eu_company_connects_through_the_one_published_api_host(client_in_workspace, sr_sim):
    """SR publishes one API host (SRD; SRO's servers): the sandbox serves one API path for every
    company, the region is only a label of the company, and no per-region path exists."""
    integration = sr_sim(region="eu")
    provider = get_provider("smartrecruiters")
    assert provider.api_base_url(integration) == "http://testserver/sim/smartrecruiters/api"
    assert sim.get("company", integration.demo["company_id"])["region"] == "eu", "kept as a label"
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    token = Token.objects.get(integration=integration).access_token
    auth = {"Authorization": f"Bearer {token}"}
    assert client_in_workspace.get("/sim/smartrecruiters/api/jobs", headers=auth).status_code == 200
    for invented in ("eu", "us"):
        assert (
            client_in_workspace.get(f"/sim/smartrecruiters/api/{invented}/jobs", headers=auth).status_code
            == 404
        )


def test_access_token_is_refreshed_before_it_expires_and_the_rotated_refresh_token_is_stored(
    client_in_workspace, sr_sim
):
    """SR refresh tokens are one-time use (help.smartrecruiters.com "Most important facts about
    OAuth in SmartRecruiters"): each refresh answers a new one, which we must keep, and the one
    just spent is refused with invalid_grant."""
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    token = Token.objects.get(integration=integration)
    Token.objects.filter(pk=token.pk).update(access_expires_at=timezone.now() + timedelta(minutes=1))
    company = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk)).company()
    assert company.id == integration.demo["company_id"]
    refreshed = Token.objects.get(pk=token.pk)
    assert refreshed.access_token != token.access_token
    assert refreshed.refresh_token and refreshed.refresh_token != token.refresh_token, "rotated"
    assert refreshed.access_expires_at > timezone.now() + timedelta(minutes=20)
    assert timedelta(days=27) < refreshed.refresh_expires_at - timezone.now() <= timedelta(days=28)

    stored = Integration.objects.get(pk=integration.pk)
    endpoint = reverse("integrations:sim-smartrecruiters:oauth-token")
    spend = {"client_id": stored.credential("client_id"), "client_secret": stored.credential("client_secret")}
    reused = client_in_workspace.post(
        endpoint, {**spend, "grant_type": "refresh_token", "refresh_token": token.refresh_token}
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant", "one-time use"

    # The stored (rotated) token keeps working, and is itself spent by the next refresh.
    Token.objects.filter(pk=token.pk).update(access_expires_at=timezone.now() + timedelta(minutes=1))
    get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk)).company()
    again = Token.objects.get(pk=token.pk)
    assert again.refresh_token not in (token.refresh_token, refreshed.refresh_token)
    assert again.refresh_failures == 0


def test_simulator_answers_429_above_its_rate_limit(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    company = sim.get("company", integration.demo["company_id"])
    sim.put("company", company["id"], {**company, "rate_limit": 1})
    client = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk))
    with pytest.raises(ATSRateLimited) as raised:
        for _ in range(3):
            client.company()
    assert raised.value.status_code == 429


def test_every_environment_and_region_uses_the_published_hosts():
    """SR publishes one API host and one OAuth host (SRD; passport-smartrecruiters): no EU or
    sandbox host, so neither setting may point anywhere else."""
    provider = get_provider("smartrecruiters")
    published = reference.assessment_api()["components"]["securitySchemes"]["oauth"]["flows"][
        "authorizationCode"
    ]
    for environment in ("production", "sandbox"):
        for region in ("us", "eu", ""):
            integration = IntegrationFactory.build(
                provider="smartrecruiters", environment=environment, region=region
            )
            assert provider.api_base_url(integration) == "https://api.smartrecruiters.com"
            config = provider.oauth_config(integration)
            assert config.authorize_url == "https://www.smartrecruiters.com/identity/oauth/allow"
            # SRO securitySchemes.oauth.flows.authorizationCode: code exchange and refresh on the
            # API host, only the allow page on www.
            assert config.token_url == "https://api.smartrecruiters.com/identity/oauth/token"
            assert (config.authorize_url, config.token_url) == (
                published["authorizationUrl"],
                published["tokenUrl"],
            )
            assert provider.client_credentials_token_url(integration) == (
                "https://api.smartrecruiters.com/identity/oauth/token"
            )
    production = IntegrationFactory.build(
        provider="smartrecruiters", environment="production", provider_settings={"use_simulator": True}
    )
    assert provider.api_base_url(production) == "https://api.smartrecruiters.com", "never the simulator"
    assert "eu.smartrecruiters" not in inspect.getsource(constants)
    assert "sandbox.smartrecruiters" not in inspect.getsource(constants)


def test_rate_limit_is_srs_10_per_second_and_8_concurrent_with_1_candidate_list():
    provider = get_provider("smartrecruiters")
    assert (provider.rate_limit.per_second, provider.rate_limit.concurrent) == (10, 8)
    integration = IntegrationFactory.build(provider="smartrecruiters")
    assert provider.concurrency_limits(integration, "GET", "/candidates") == [
        ("all", 8),
        ("candidates.list", 1),
    ]
    assert provider.concurrency_limits(integration, "GET", "/jobs") == [("all", 8)]
