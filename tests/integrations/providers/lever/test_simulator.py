"""The built-in Lever sandbox behaves like Lever on the wire, and OAuth against it round-trips
through the generic OAuth service (audience, offline_access, rotating refresh tokens)."""

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from integrations.base import InboundRequest
from integrations.models import IntegrationActivity, IntegrationStatus, Token
from integrations.providers.lever import constants, mappers, webhooks
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever.client import LeverClient
from integrations.providers.lever.provider import LeverProvider
from integrations.providers.lever.simulator_webhooks import webhook_groups_set
from integrations.services.oauth import token_refresh

from .helpers import lever_integration, lever_oauth_integration, sim_integration, sim_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(db):
    sim.ensure_seeded()
    return sim.api_key_register()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_api_accepts_basic_with_the_key_as_username_and_bearer(client, key):
    url = reverse("integrations:sim-lever:api-stages")
    basic = base64.b64encode(f"{key}:".encode()).decode()
    assert client.get(url, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get(url, headers=bearer(key)).status_code == 200


def test_api_refuses_unknown_keys_with_levers_error_body(client, key):
    response = client.get(reverse("integrations:sim-lever:api-stages"), headers=bearer("nope"))
    assert response.status_code == 401
    assert response.json() == {"code": "Unauthorized", "message": "Invalid API key or insufficient scopes"}


def test_paging_follows_has_next_and_next(simulators, workspace):
    integration = sim_integration(workspace=workspace)
    client = LeverClient(integration, LeverProvider())
    first = client.request("GET", "/stages", operation="stages.list", params={"limit": 3}).json()
    assert len(first["data"]) == 3 and first["hasNext"] and first["next"]
    stages = list(client.iter_list("/stages", operation="stages.list", params={"limit": 3}))
    assert [s["text"] for s in stages] == list(sim.STAGES)


def test_api_answers_429_over_the_rate_limit(client, key):
    sim.rate_limit_set(per_second=0.001, burst=3)
    url = reverse("integrations:sim-lever:api-stages")
    statuses = [client.get(url, headers=bearer(key)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(url, headers=bearer(key)).json()["code"] == "TooManyRequests"


def test_default_rate_limit_is_levers_documented_burst_of_20(client, key, monkeypatch):
    """LD "Rate Limits": 10 requests/second steady, bursts up to 20 (seed 004's 100 is not Lever's)."""
    monkeypatch.setattr(sim, "_clock", lambda: 1000.0)  # no refill while we count
    url = reverse("integrations:sim-lever:api-users")
    statuses = [client.get(url, headers=bearer(key)).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    body = client.get(url, headers=bearer(key)).json()
    assert body["code"] == "TooManyRequests" and "10 requests/second (bursts up to 20)" in body["message"]
    monkeypatch.setattr(sim, "_clock", lambda: 1000.1)  # a tenth of a second refills one request
    assert client.get(url, headers=bearer(key)).status_code == 200


def test_provider_paces_itself_to_levers_documented_limit():
    from integrations.base import RateLimit
    from integrations.services.ratelimit import rate_limit_for

    provider = LeverProvider()
    assert provider.rate_limit == RateLimit(per_second=10, burst=20)
    assert rate_limit_for(provider=provider, integration=lever_integration()).burst == 20


def test_feedback_template_needs_exactly_one_score_system_field(client, key):
    url = reverse("integrations:sim-lever:api-feedback-templates")
    body = mappers.feedback_template_body()
    body["fields"] = [f for f in body["fields"] if f["type"] != "score-system"]
    response = client.post(url, data=json.dumps(body), content_type="application/json", headers=bearer(key))
    assert (
        response.status_code == 400 and "exactly one field of type score-system" in response.json()["message"]
    )
    ok = client.post(
        url,
        data=json.dumps(mappers.feedback_template_body()),
        content_type="application/json",
        headers=bearer(key),
    )
    assert ok.status_code == 201 and mappers.template_ref(ok.json()["data"]) is not None


def test_feedback_needs_perform_as(client, key):
    opp = sim_opportunity()
    response = client.post(
        reverse("integrations:sim-lever:api-feedback", args=[opp["id"]]),
        data="{}",
        content_type="application/json",
        headers=bearer(key),
    )
    assert response.status_code == 400 and "perform_as" in response.json()["message"]


def test_stage_change_webhook_is_signed_the_way_lever_documents(client, key, settings):
    sent = []
    sim.put(
        "webhook",
        "wh-1",
        {
            "id": "wh-1",
            "url": "http://127.0.0.1:9/hook",
            "event": "candidateStageChange",
            "configuration": {"signatureToken": "wh-1-signature-token"},
        },
    )
    webhook_groups_set(["candidateStageChange"])  # a Super Admin switched its group on
    import responses

    with responses.RequestsMock() as rsps:
        rsps.add_callback(
            "POST", "http://127.0.0.1:9/hook", callback=lambda r: sent.append(r) or (200, {}, "{}")
        )
        opp = sim_opportunity()
        client.post(
            reverse("integrations:sim-lever:opportunity", args=[opp["id"]]),
            {"action": "advance", "stage": sim.stage_id_by_name("Offer")},
        )
    [request] = sent
    body = json.loads(request.body)
    assert body["event"] == "candidateStageChange" and body["data"]["toStageId"] == sim.stage_id_by_name(
        "Offer"
    )
    assert len(body["token"]) == 48 and request.headers["User-Agent"] == "Lever-Webhooks"
    inbound = InboundRequest(body=request.body, headers={}, query={})
    assert webhooks.verify(inbound, ["wh-1-signature-token"]).ok, "signed with its webhook's own token"
    assert not webhooks.verify(inbound, [sim.signature_token_new()]).ok


def test_simulator_pages_show_candidates_and_feedback(client, key):
    opp = sim_opportunity(name="Robin Page")
    assert "Robin Page" in client.get(reverse("integrations:sim-lever:home")).content.decode()
    page = client.get(reverse("integrations:sim-lever:opportunity", args=[opp["id"]])).content.decode()
    assert "New applicant" in page and 'id="sim-no-feedback"' in page


def test_add_candidate_form_explains_missing_fields(client, db):
    response = client.post(reverse("integrations:sim-lever:home"), {"name": "", "email": "x"})
    assert (
        response.status_code == 400
        and "Enter a name, an email address and a posting." in response.content.decode()
    )


def test_credentials_page_creates_a_key_with_chosen_scopes(client, db):
    response = client.post(
        reverse("integrations:sim-lever:credentials"), {"scopes": ["opportunities:read"], "age_days": "3"}
    )
    assert response.status_code == 200
    [row] = sim.rows("api_key")
    assert row["scopes"] == ["opportunities:read"]


# -- OAuth at the simulated auth.lever.co -----------------------------------------------------


def oauth_to_consent(client, integration) -> tuple[str, dict[str, list[str]]]:
    response = client.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://testserver/sim/lever/oauth/authorize?")
    return location, parse_qs(urlsplit(location).query)


def test_oauth_round_trip_with_audience_offline_access_and_rotating_refresh(
    simulators, client_in_workspace, workspace
):
    integration = lever_oauth_integration(workspace=workspace)
    location, query = oauth_to_consent(client_in_workspace, integration)
    assert query["audience"] == [constants.SANDBOX_AUDIENCE]
    assert "offline_access" in query["scope"][0].split()
    consent = client_in_workspace.get(location)
    assert consent.status_code == 200 and "feedback:write:admin" in consent.content.decode()
    form = {k: v[0] for k, v in query.items()} | {"decision": "allow", "granted": query["scope"][0].split()}
    back = client_in_workspace.post(urlsplit(location).path, form)
    assert back["Location"].startswith("http://testserver/lever/oauth-callback?")
    done = client_in_workspace.get(back["Location"].removeprefix("http://testserver"))
    assert done.status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    token = Token.objects.get(integration=integration)
    assert token.refresh_token and not token.missing_scopes()
    first_refresh = token.refresh_token
    refreshed = token_refresh(integration_id=integration.pk, force=True)
    assert refreshed.refresh_token != first_refresh
    assert not sim.get("refresh_token", sim.digest(first_refresh))["active"], "Lever rotates refresh tokens"


def test_oauth_deny_is_explained(simulators, client_in_workspace, workspace):
    integration = lever_oauth_integration(workspace=workspace)
    location, query = oauth_to_consent(client_in_workspace, integration)
    back = client_in_workspace.post(
        urlsplit(location).path, {k: v[0] for k, v in query.items()} | {"decision": "deny"}
    )
    page = client_in_workspace.get(back["Location"].removeprefix("http://testserver"))
    assert page.status_code == 400
    assert "Ask a Lever Super Admin to approve JobCannon" in page.content.decode()


def test_oauth_with_a_scope_left_unticked_names_it(simulators, client_in_workspace, workspace):
    integration = lever_oauth_integration(workspace=workspace)
    location, query = oauth_to_consent(client_in_workspace, integration)
    granted = [s for s in query["scope"][0].split() if not s.startswith("feedback_templates")]
    back = client_in_workspace.post(
        urlsplit(location).path,
        {k: v[0] for k, v in query.items()} | {"decision": "allow", "granted": granted},
    )
    client_in_workspace.get(back["Location"].removeprefix("http://testserver"))
    integration.refresh_from_db()
    assert integration.status != IntegrationStatus.CONNECTED
    assert "`feedback_templates:read:admin`" in integration.status_reason
    assert IntegrationActivity.objects.filter(integration=integration, kind="oauth.scopes_missing").exists()


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*?value="([^"]*)"', html)
    assert found, f"no prefilled {name}"
    return found.group(1)


def test_sandbox_credentials_for_an_oauth_integration_are_an_oauth_client_and_it_stays_oauth(
    simulators, client_in_workspace, workspace
):
    """ "Get sandbox credentials from the simulator" on an integration set up for OAuth: the
    sandbox issues an OAuth client (id and secret, as Lever's partner program would), the
    wizard stays on "Authorize JobCannon", and those credentials go through the consent page to
    a connected integration."""
    integration = lever_integration(
        workspace=workspace,
        auth_kind="oauth2",
        status=IntegrationStatus.PENDING,
        credentials={},
        provider_settings={"use_simulator": True},
    )
    setup = reverse("integrations:setup", args=[integration.pk])
    page = client_in_workspace.post(setup, {"step": "simulator"}).content.decode()
    integration.refresh_from_db()
    assert integration.auth_kind == "oauth2"
    assert "Step 3 · Authorize JobCannon" in page and "Enter the API key" not in page
    client_id, client_secret = _field(page, "client_id"), _field(page, "client_secret")
    assert client_id and client_secret
    assert sim.get("oauth_client", client_id)["secret_digest"] == sim.digest(client_secret)

    started = client_in_workspace.post(
        setup, {"step": "oauth", "client_id": client_id, "client_secret": client_secret}
    )
    location = started["Location"]
    assert location.startswith("http://testserver/sim/lever/oauth/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == [client_id]
    form = {k: v[0] for k, v in query.items()} | {"decision": "allow", "granted": query["scope"][0].split()}
    back = client_in_workspace.post(urlsplit(location).path, form)
    client_in_workspace.get(back["Location"].removeprefix("http://testserver"))
    integration.refresh_from_db()
    assert integration.auth_kind == "oauth2"
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert "api_key" not in (integration.credentials or {})


def test_sandbox_credentials_for_an_api_key_integration_are_a_key_that_connects(
    simulators, client_in_workspace, workspace
):
    integration = lever_integration(
        workspace=workspace,
        status=IntegrationStatus.PENDING,
        credentials={},
        provider_settings={"use_simulator": True},
    )
    setup = reverse("integrations:setup", args=[integration.pk])
    page = client_in_workspace.post(setup, {"step": "simulator"}).content.decode()
    key = _field(page, "api_key")
    assert "Step 3 · Enter the API key" in page and key.startswith("lvr_sim_")
    assert client_in_workspace.post(setup, {"step": "credentials", "api_key": key}).status_code == 302
    integration.refresh_from_db()
    assert integration.auth_kind == "api_key" and integration.status == IntegrationStatus.CONNECTED


def test_authorize_without_audience_is_refused_like_lever(client, db):
    response = client.get(
        reverse("integrations:sim-lever:oauth-authorize"),
        {
            "client_id": "c",
            "redirect_uri": "http://testserver/lever/oauth-callback",
            "response_type": "code",
            "state": "s",
        },
    )
    assert response.status_code == 302 and "error=invalid_request" in response["Location"]
