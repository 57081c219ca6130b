"""Connecting Lever against the built-in simulator: API key (both schemes), the seed 004
"Invalid API key or insufficient scopes" error, key expiry, webhook registration, sandbox vs
production."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import IntegrationActivity, IntegrationStatus
from integrations.providers.lever import constants
from integrations.providers.lever import simulator_state as sim
from integrations.providers.lever.provider import LeverProvider
from integrations.providers.lever.setup import lever_api_key_expiry_check
from integrations.services.integrations import integration_connect_api_key, integration_credentials_check

from .helpers import lever_integration, sim_integration

pytestmark = pytest.mark.django_db


def test_valid_key_connects_registers_webhooks_and_creates_the_feedback_template(simulators, workspace):
    integration = sim_integration(workspace=workspace)
    assert integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    hooks = sim.rows("webhook")
    url = f"http://testserver/webhooks/lever/{integration.public_id}/"
    assert all(h["url"] == url for h in hooks)
    # One webhook per event, Lever's names only (LD "Create a Webhook"): never seed 004's body.
    assert [h["event"] for h in hooks] == [
        "applicationCreated",
        "candidateStageChange",
        "candidateHired",
        "candidateArchiveChange",
        "candidateDeleted",
    ]
    assert not any("triggers" in h for h in hooks)
    assert [t["text"] for t in sim.rows("feedback_template")] == [constants.FEEDBACK_TEMPLATE_NAME]
    # Each Lever webhook has its own signature token, and every one is among the secrets
    # webhooks verify against.
    tokens = [h["configuration"]["signatureToken"] for h in hooks]
    assert len(set(tokens)) == len(hooks) and all(tokens)
    assert set(tokens) <= set(integration.secrets_for_verification())
    assert [tuple(w["events"]) for w in integration.provider_settings["webhooks"]] == [
        (e,) for e in constants.REGISTERED_EVENTS
    ]


def test_reconnecting_does_not_register_webhooks_twice(simulators, workspace):
    integration = sim_integration(workspace=workspace)
    integration_credentials_check(integration=integration)
    integration_credentials_check(integration=integration)
    assert len(sim.rows("webhook")) == len(constants.REGISTERED_EVENTS)
    assert len(sim.rows("feedback_template")) == 1


def test_real_lever_basic_auth_is_tried_first_and_remembered(simulators, workspace):
    integration = sim_integration(workspace=workspace)
    integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.provider_settings["api_key_scheme"] == "basic"


def test_seed_bearer_scheme_is_used_when_basic_is_refused(mocked_responses, workspace):
    integration = lever_integration(workspace=workspace, status=IntegrationStatus.PENDING)
    api = constants.API_BASE_SANDBOX

    def opportunities(request):
        ok = request.headers.get("Authorization", "").startswith("Bearer ")
        return (
            (200, {}, '{"data": [], "hasNext": false}')
            if ok
            else (401, {}, '{"code": "Unauthorized", "message": "no"}')
        )

    mocked_responses.add_callback(
        "GET", re.compile(re.escape(api) + "/opportunities.*"), callback=opportunities
    )
    mocked_responses.get(api + "/feedback_templates", json={"data": [], "hasNext": False})
    check = LeverProvider().validate_credentials(integration)
    assert check.ok
    integration.refresh_from_db()
    assert integration.provider_settings["api_key_scheme"] == "bearer"


def test_registration_sends_only_levers_documented_body_one_event_each(mocked_responses, workspace):
    """LD "Create a Webhook": POST /webhooks {"url", "event"}; a Lever that refuses anything else
    (seed 004's {"url", "triggers"} gets a 400) is never sent it."""
    import json

    from integrations.providers.lever.setup import lever_webhooks_register

    integration = lever_integration(workspace=workspace)
    api = constants.API_BASE_SANDBOX
    mocked_responses.get(api + "/webhooks", json={"data": [], "hasNext": False})
    bodies = []

    def create(request):
        body = json.loads(request.body)
        bodies.append(body)
        if "triggers" in body or body.get("event") not in constants.LEVER_WEBHOOK_EVENTS:
            return 400, {}, '{"code": "BadRequest", "message": "event is required"}'
        inner = {
            "id": f"wh-{len(bodies)}",
            "url": body["url"],
            "event": body["event"],
            "configuration": {"signatureToken": f"token-{body['event']}"},
        }
        return 201, {}, json.dumps({"data": inner})

    mocked_responses.add_callback("POST", api + "/webhooks", callback=create)
    hooks = lever_webhooks_register(integration=integration, client=LeverProvider().client(integration))
    assert bodies == [{"url": setup_url(integration), "event": e} for e in constants.REGISTERED_EVENTS]
    assert [h.events for h in hooks] == [(e,) for e in constants.REGISTERED_EVENTS]
    integration.refresh_from_db()
    assert {f"token-{e}" for e in constants.REGISTERED_EVENTS} <= set(integration.secrets_for_verification())


def setup_url(integration) -> str:
    from integrations.providers.lever.setup import webhook_absolute_url

    return webhook_absolute_url(integration)


def test_sandbox_refuses_seed_004s_triggers_body_and_unknown_events_as_lever_does(simulators, client):
    sim.ensure_seeded()
    key = sim.api_key_register()
    url = reverse("integrations:sim-lever:api-webhooks")
    headers = {"Authorization": f"Bearer {key}"}

    def post(body):
        import json

        return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)

    hook = "https://example.com/hook"
    for refused in (
        {"url": hook, "triggers": ["application.created", "opportunity.created"]},
        {"url": hook},
        {"url": hook, "event": "application.created"},
        {"url": hook, "event": "candidateDeleted", "configuration": {"conditions": {"origins": ["applied"]}}},
    ):
        response = post(refused)
        assert response.status_code == 400, refused
        assert response.json()["code"] == "BadRequest"
    assert sim.rows("webhook") == []
    created = post({"url": hook, "event": "applicationCreated"})
    assert created.status_code == 201
    assert created.json()["data"]["event"] == "applicationCreated"
    assert len(created.json()["data"]["configuration"]["signatureToken"]) == 48


# -- seed 004 Common Errors: "Invalid API key or insufficient scopes" ---------------------------


def test_unknown_api_key_is_refused_with_the_seeds_fix(simulators, client_in_workspace, workspace):
    integration = sim_integration(workspace=workspace)
    assert not integration_connect_api_key(integration=integration, api_key="lvr_sim_not_a_real_key")
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING
    assert integration.status_reason.startswith("Invalid API key or insufficient scopes")
    assert "tokens in Lever last 1 year" in integration.status_reason
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="lever-credential-problem"' in page
    assert "Regenerate the API key in Lever settings if expired" in page
    assert "Ensure scopes include `applications:write` and `feedback:write`" in page


def test_expired_api_key_is_refused_as_expired(simulators, workspace):
    integration = sim_integration(workspace=workspace, age_days=366)
    assert not integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert "expired or revoked" in integration.status_reason


def test_key_without_feedback_write_ends_in_a_page_naming_the_missing_scope(
    simulators, client_in_workspace, workspace
):
    integration = sim_integration(
        workspace=workspace, scopes=("applications:read", "applications:write", "opportunities:read")
    )
    assert not integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status != IntegrationStatus.CONNECTED
    assert "`feedback:write`" in integration.status_reason
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert '<code id="lever-missing-scope">feedback:write</code>' in page
    assert "Ensure scopes include" in page


def test_key_without_opportunities_read_names_that_scope(simulators, workspace):
    integration = sim_integration(
        workspace=workspace, scopes=("applications:read", "applications:write", "feedback:write")
    )
    assert not integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert "`opportunities:read`" in integration.status_reason


# -- key age -------------------------------------------------------------------------------------


def test_new_key_is_dated_today_and_a_replaced_key_resets_the_date(simulators, workspace):
    integration = sim_integration(workspace=workspace)
    integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    first = integration.provider_settings["api_key_created_at"]
    assert first[:10] == timezone.now().date().isoformat()
    integration.provider_settings = {
        **integration.provider_settings,
        "api_key_created_at": "2025-01-01T00:00:00+00:00",
    }
    integration.save()
    integration_connect_api_key(integration=integration, api_key=sim.api_key_register())
    integration.refresh_from_db()
    assert integration.provider_settings["api_key_created_at"][:10] == timezone.now().date().isoformat()


def test_key_expiring_within_30_days_is_warned_on_the_page_and_in_activity_once(
    client_in_workspace, workspace
):
    created = timezone.now() - dt.timedelta(days=350)
    integration = lever_integration(
        workspace=workspace, provider_settings={"api_key_created_at": created.isoformat()}
    )
    assert lever_api_key_expiry_check(integration=integration) == "30d"
    assert lever_api_key_expiry_check(integration=integration) == "30d"
    lines = IntegrationActivity.objects.filter(integration=integration, kind="lever.api_key_expiring")
    assert lines.count() == 1
    assert "14 days left" in lines[0].message and "keys last 1 year" in lines[0].message
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="lever-key-expiry"' in page and "Lever keys last 1 year" in page


def test_key_expiry_warns_again_at_7_days_and_when_expired(workspace):
    integration = lever_integration(
        workspace=workspace,
        provider_settings={
            "api_key_created_at": (timezone.now() - dt.timedelta(days=360)).isoformat(),
            "api_key_expiry_warned": "30d",
        },
    )
    assert lever_api_key_expiry_check(integration=integration) == "7d"
    assert (
        lever_api_key_expiry_check(integration=integration, now=timezone.now() + dt.timedelta(days=10))
        == "expired"
    )
    kinds = IntegrationActivity.objects.filter(integration=integration, kind="lever.api_key_expiring")
    assert [a.data["threshold"] for a in kinds.order_by("id")] == ["7d", "expired"]


def test_fresh_key_gets_no_warning(client_in_workspace, workspace):
    integration = lever_integration(
        workspace=workspace, provider_settings={"api_key_created_at": timezone.now().isoformat()}
    )
    assert lever_api_key_expiry_check(integration=integration) == ""
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="lever-key-expiry"' not in page


def test_key_creation_date_can_be_set_on_the_settings_page(simulators, client_in_workspace, workspace):
    integration = sim_integration(workspace=workspace)
    old = (timezone.now() - dt.timedelta(days=340)).date()
    response = client_in_workspace.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {"api_key_created": old.isoformat(), "writeback_mode": "feedback", "tolerance_minutes": "5"},
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.provider_settings["api_key_created_at"][:10] == old.isoformat()
    assert IntegrationActivity.objects.filter(integration=integration, kind="lever.api_key_expiring").exists()


def test_scheduled_expiry_check_is_declared():
    from integrations.providers.lever import tasks

    assert tasks.SCHEDULES == [("integrations.providers.lever.tasks.lever_api_key_expiry_check_task", 1440)]


# -- sandbox vs production, OAuth config -----------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "region", "base"),
    [
        ("sandbox", "", constants.API_BASE_SANDBOX),
        ("production", "us", constants.API_BASE_US),
        ("production", "", constants.API_BASE_US),
        ("production", "eu", constants.API_BASE_EU),
    ],
)
def test_each_environment_has_its_own_api(environment, region, base):
    integration = lever_integration(environment=environment, region=region)
    assert LeverProvider().api_base_url(integration) == base


def test_production_never_uses_the_simulator_even_if_asked(workspace):
    integration = lever_integration(
        workspace=workspace, environment="production", provider_settings={"use_simulator": True}
    )
    assert LeverProvider().api_base_url(integration) == constants.API_BASE_US
    assert LeverProvider().oauth_config(integration).authorize_url == constants.AUTHORIZE_URL


def test_oauth_asks_lever_for_the_audience_and_offline_access():
    production = LeverProvider().oauth_config(lever_integration(environment="production", region="us"))
    assert production.authorize_url == "https://auth.lever.co/authorize"
    assert production.extra_authorize_params == {"audience": "https://api.lever.co/v1/"}
    assert "offline_access" in production.scopes and "feedback:write:admin" in production.scopes
    sandbox = LeverProvider().oauth_config(lever_integration())
    assert sandbox.authorize_url.startswith("https://sandbox-lever.auth0.com/")


def test_future_key_date_is_refused_and_nothing_is_saved(simulators, client_in_workspace, workspace):
    integration = sim_integration(workspace=workspace)
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    response = client_in_workspace.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {"api_key_created": tomorrow, "writeback_mode": "note"},
    )
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    integration.refresh_from_db()
    assert "writeback_mode" not in integration.provider_settings


def test_pasted_signature_tokens_let_a_late_lever_retry_verify(simulators, client_in_workspace, workspace):
    """Lever retries keep the original triggeredAt: an hour-old retry verifies once the token is
    pasted (several tokens, one per Lever webhook, can be pasted at once), with no window to widen."""
    from .helpers import fixture_payload, post, sign_real

    integration = sim_integration(workspace=workspace, provider_settings={"timestamp_tolerance_seconds": 300})
    late = sign_real(fixture_payload("candidateStageChange"), "token-from-lever-settings", age_seconds=3600)
    assert post(client_in_workspace, integration, late).status_code == 401
    response = client_in_workspace.post(
        reverse("integrations:integration-lever:settings", args=[integration.pk]),
        {"writeback_mode": "feedback", "signature_token": "token-for-stage-change token-from-lever-settings"},
    )
    assert response.status_code == 302
    assert post(client_in_workspace, integration, late).status_code == 200
    integration.refresh_from_db()
    secrets = integration.secrets_for_verification()
    assert "token-from-lever-settings" in secrets and "token-for-stage-change" in secrets
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secrets FROM integrations_integration WHERE id = %s", [integration.pk])
        assert "token-from-lever-settings" not in str(cursor.fetchone()[0]), "stored encrypted"


def test_integration_page_of_an_oauth_connection_shows_the_lever_panel(client_in_workspace, workspace):
    integration = lever_integration(
        workspace=workspace,
        auth_kind="oauth2",
        provider_settings={"webhooks": [{"id": "wh-1", "events": ["candidateStageChange"], "signed": True}]},
    )
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="lever-panel"' in page and "candidateStageChange" in page
    assert 'id="lever-key-expiry"' not in page and 'id="lever-credential-problem"' not in page
