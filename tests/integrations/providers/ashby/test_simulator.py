"""The built-in Ashby simulator behaves like Ashby on the wire: auth rules and error envelopes,
the rate limit, signed webhooks; and demo_setup wires a sandbox without any HTTP."""

import base64
import json
import uuid
from pathlib import Path

import pytest
import responses as responses_lib
from django.core.management import call_command
from django.urls import reverse

from integrations.base import hmac_sha256_hex
from integrations.models import Environment
from integrations.providers.ashby import constants
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby.services import partner_key_matches
from integrations.registry import get_provider
from integrations.services.integrations import integration_create

from .helpers import sim_assessment, sim_permission_errors

SPEC_USED = Path(__file__).parents[3] / "fixtures" / "ashby" / "openapi" / "ashby-api-used-openapi.yml"


def call(client, endpoint, body=None, *, key=None, bearer=None, raw=None):
    headers = {}
    if key is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return client.post(
        f"/sim/ashby/{endpoint}",
        data=raw if raw is not None else json.dumps(body or {}),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def account(db):
    sim.account_ensure("acct-test", "Test workspace")
    return "acct-test"


@pytest.mark.django_db
def test_missing_key_401_wrong_key_403_and_request_id_header(client, account):
    missing = call(client, "apiKey.info")
    assert missing.status_code == 401 and missing.json()["success"] is False
    assert missing[constants.REQUEST_ID_HEADER]
    wrong = call(client, "apiKey.info", key="nope")
    assert wrong.status_code == 403 and wrong.json()["errorInfo"]["code"] == "invalid_api_key"
    key = sim.api_key_create(account, title="Robin's key")
    ok = call(client, "apiKey.info", key=key)
    # The spec's apiKey.info results: title, createdAt, and scopes in its `jobs:read` form.
    assert ok.status_code == 200 and ok.json() == {
        "success": True,
        "results": {
            "title": "Robin's key",
            "createdAt": ok.json()["results"]["createdAt"],
            "scopes": ok.json()["results"]["scopes"],
        },
    }
    assert "apiKeys:read" in ok.json()["results"]["scopes"]


@pytest.mark.django_db
def test_key_without_module_permission_gets_the_published_403(client, account):
    """The spec's shared error schema: `errors` items are strings (what the sandbox sends)."""
    key = sim.api_key_create(account, permissions=["candidatesRead"])
    response = call(
        client, "assessment.update", {"assessment_id": str(uuid.uuid4()), "timestamp": 1}, key=key
    )
    assert response.status_code == 403
    assert response.json()["errors"] == ["missing_endpoint_permission"]
    assert "candidatesWrite" in response.json()["errorInfo"]["message"]


@pytest.mark.django_db
def test_an_account_set_to_object_errors_gets_the_3p_shape(client, account):
    """[3P] (simstudioai/sim): `{message, parameter}` objects, sent when the account asks for them."""
    sim_permission_errors(account, "3p")
    key = sim.api_key_create(account, permissions=["candidatesRead"])
    response = call(
        client, "assessment.update", {"assessment_id": str(uuid.uuid4()), "timestamp": 1}, key=key
    )
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"message": "missing_endpoint_permission", "parameter": "candidatesWrite"}
    ]


@pytest.mark.parametrize(
    ("endpoint", "body", "permission"),
    [
        ("apiKey.info", {}, "apiKeysRead"),
        (
            "webhook.create",
            # The spec's own examples (webhook.create response): requestUrl, secretToken.
            {
                "webhookType": "applicationSubmit",
                "requestUrl": "https://example.com/webhook",
                "secretToken": "0c2f9463f87641919f8106a2c49d7a57",
            },
            "apiKeysWrite",
        ),
        ("webhook.delete", {"webhookId": "e9ed20fd-d45f-4aad-8a00-a19bfba0083e"}, "apiKeysWrite"),
    ],
)
@pytest.mark.django_db
def test_api_key_and_webhook_endpoints_need_the_api_keys_permissions(
    client, account, endpoint, body, permission
):
    """Ashby's OpenAPI: apiKey.info "Requires the apiKeysRead permission", webhook.create and
    webhook.delete "Requires the apiKeysWrite" one; a key with only the candidate permissions
    gets Ashby's 403."""
    key = sim.api_key_create(account, permissions=["candidatesRead", "candidatesWrite"])
    response = call(client, endpoint, body, key=key)
    assert response.status_code == 403
    assert response.json()["errorInfo"]["code"] == "missing_endpoint_permission"
    assert response.json()["errors"] == ["missing_endpoint_permission"]
    assert permission in response.json()["errorInfo"]["message"]


@pytest.mark.parametrize("webhook_type", ["candidate.created", "assessment.completed", "ping", "jobCreate"])
@pytest.mark.django_db
def test_webhook_create_refuses_types_outside_the_published_enum(client, account, webhook_type):
    key = sim.api_key_create(account)
    body = {"webhookType": webhook_type, "requestUrl": "https://example.com/webhook", "secretToken": "tok"}
    response = call(client, "webhook.create", body, key=key)
    assert response.status_code == 200 and response.json()["success"] is False
    assert response.json()["errorInfo"]["code"] == "invalid_input"
    assert not sim.list_for("webhook", account)


@pytest.mark.django_db
def test_webhook_create_accepts_every_type_of_the_published_enum(client, account):
    import yaml

    spec = yaml.safe_load(SPEC_USED.read_text())
    enum = spec["paths"]["/webhook.create"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"
    ]["webhookType"]["enum"]
    assert set(enum) == constants.WEBHOOK_TYPES
    key = sim.api_key_create(account)
    with responses_lib.RequestsMock() as mock:
        mock.post("https://example.com/webhook", json={})
        for webhook_type in enum:
            body = {
                "webhookType": webhook_type,
                "requestUrl": "https://example.com/webhook",
                "secretToken": "t",
            }
            assert call(client, "webhook.create", body, key=key).json()["success"] is True, webhook_type
    assert len(sim.list_for("webhook", account)) == len(enum)


@pytest.mark.django_db
def test_create_note_keeps_the_published_html_elements_and_strips_the_rest(client, account):
    key = sim.api_key_create(account)
    candidate = sim.candidate_create(
        account,
        first_name="Robin",
        last_name="Sample",
        email="robin@example.com",
        job_name="Backend Engineer",
    )
    html = '<p><b>Bold</b> <i>i</i> <u>u</u> <a href="https://example.com/r">link</a></p><ul><li>x</li></ul><h3>Title</h3><code>c</code><pre>p</pre>'
    body = {"candidateId": candidate.key, "note": {"type": "text/html", "value": html}}
    assert call(client, "candidate.createNote", body, key=key).json()["success"] is True
    # The spec's own example: a plain string note.
    example = {"candidateId": candidate.key, "note": "Strong candidate, very interested in the company"}
    assert call(client, "candidate.createNote", example, key=key).json()["success"] is True
    html_note, text_note = sim.list_for("note", account)
    assert html_note.data["stripped_tags"] == ["h3", "p"]
    assert "<p>" not in html_note.data["content"] and "Title" in html_note.data["content"]
    assert "<b>Bold</b>" in html_note.data["content"] and "<pre>p</pre>" in html_note.data["content"]
    assert text_note.data["content"] == "Strong candidate, very interested in the company"


@pytest.mark.django_db
def test_ids_the_spec_types_as_uuid_are_refused_otherwise(client, account):
    key = sim.api_key_create(account)
    status = {"identifier": "status", "label": "Status", "type": "string", "value": "Started"}
    update = call(
        client,
        "assessment.update",
        {"assessment_id": "asm-1", "timestamp": 1, "assessment_status": status},
        key=key,
    )
    assert update.json()["errorInfo"]["code"] == "invalid_input"
    note = call(client, "candidate.createNote", {"candidateId": "cand-1", "note": "x"}, key=key)
    assert note.json()["errorInfo"]["code"] == "invalid_input"


@pytest.mark.django_db
def test_validation_errors_are_http_200_with_success_false(client, account):
    key = sim.api_key_create(account)
    response = call(client, "assessment.update", {"assessment_id": str(uuid.uuid4())}, key=key)
    assert response.status_code == 200 and response.json()["success"] is False
    assert response.json()["errorInfo"]["code"] == "invalid_input"
    assert call(client, "assessment.update", raw=b"{nope", key=key).json()["errorInfo"]["message"] == (
        "Request payload is malformed"
    )
    unknown = call(
        client,
        "assessment.update",
        {
            "assessment_id": str(uuid.uuid4()),
            "timestamp": 1,
            "assessment_status": {"identifier": "s", "label": "S", "type": "string", "value": "Started"},
        },
        key=key,
    )
    assert unknown.json()["errorInfo"]["code"] == "assessment_not_found"


@pytest.mark.django_db
def test_result_requires_a_url_profile_blob(client, account):
    key = sim.api_key_create(account)
    sim_assessment(account, "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001")
    body = {
        "assessment_id": "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001",
        "timestamp": 5,
        "assessment_status": {
            "identifier": "status",
            "label": "Status",
            "type": "string",
            "value": "Completed",
        },
        "assessment_result": {"identifier": "score", "label": "Score", "type": "numeric_score", "value": 9},
    }
    assert call(client, "assessment.update", body, key=key).json()["success"] is False
    body["assessment_profile_url"] = {
        "identifier": "report",
        "label": "Report",
        "type": "url",
        "value": "https://example.com/r",
    }
    assert call(client, "assessment.update", body, key=key).json()["success"] is True


@pytest.mark.django_db
def test_out_of_order_update_is_recorded_but_does_not_change_status(client, account):
    key = sim.api_key_create(account)
    sim_assessment(account, "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001")
    status = {"identifier": "status", "label": "Status", "type": "string"}
    call(
        client,
        "assessment.update",
        {
            "assessment_id": "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001",
            "timestamp": 10,
            "assessment_status": {**status, "value": "Started"},
        },
        key=key,
    )
    call(
        client,
        "assessment.update",
        {
            "assessment_id": "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001",
            "timestamp": 5,
            "assessment_status": {**status, "value": "Invited"},
        },
        key=key,
    )
    data = sim.get("assessment", "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001").data
    assert data["status"] == "Started" and [u["in_order"] for u in data["updates"]] == [True, False]


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(client, account):
    key = sim.api_key_create(account)
    # Lowered limits for the test (seed 000's are 1000 in a second and 100/s sustained).
    sim.SimulatorObject.objects.create(
        provider="ashby", kind="ratelimit", key=sim.digest(key), data={"limits": {"second": 2, "minute": 2}}
    )
    responses = [call(client, "apiKey.info", key=key) for _ in range(5)]
    assert responses[0].status_code == 200
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    assert limited[0]["Retry-After"] == "1"
    assert limited[0].json()["errorInfo"]["code"] == "rate_limit_exceeded"


def test_default_rate_limit_is_seed_000s():
    provider = get_provider("ashby")
    assert (provider.rate_limit.per_second, provider.rate_limit.burst) == (100, 1000)


@pytest.mark.parametrize(
    ("header", "expected_prefix"),
    [(constants.SIGNATURE_HEADER, "sha256="), (constants.SEED_SIGNATURE_HEADER, "")],
)
@pytest.mark.django_db
def test_webhooks_are_signed_as_ashby_signs_them(account, header, expected_prefix):
    sim.account_update(account, signature_header=header)
    sim.put(
        "webhook",
        "wh-1",
        {
            "account": account,
            "webhookType": "applicationSubmit",
            "enabled": True,
            "requestUrl": "https://hooks.example.com/in",
            "secretToken": "tok",
        },
    )
    with responses_lib.RequestsMock() as mock:
        mock.post("https://hooks.example.com/in", json={})
        sim.candidate_create(
            account,
            first_name="Robin",
            last_name="Sample",
            email="robin@example.com",
            job_name="Backend Engineer",
        )
        request = mock.calls[0].request
    assert request.headers[header] == expected_prefix + hmac_sha256_hex("tok", request.body)
    payload = json.loads(request.body)
    assert payload["action"] == "applicationSubmit" and payload["webhookActionId"]
    candidate = payload["data"]["application"]["candidate"]
    assert candidate["primaryEmailAddress"]["value"] == "robin@example.com"
    assert sim.get("webhook", "wh-1").data["deliveries"][0]["status"] == 200


@pytest.mark.django_db
def test_consent_page_refuses_unknown_client_without_redirecting(client):
    response = client.get(
        "/sim/ashby/oauth/authorize",
        {"client_id": "nope", "response_type": "code", "redirect_uri": "https://evil.example.com/cb"},
    )
    assert response.status_code == 400 and b"Unknown client_id" in response.content


@pytest.mark.django_db
def test_token_endpoint_rejects_wrong_client_secret_and_reused_codes(client, account):
    client_id, _ = sim.oauth_client_create(account)
    response = client.post(
        "/sim/ashby/oauth/token",
        {"grant_type": "authorization_code", "code": "x", "client_id": client_id, "client_secret": "wrong"},
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.django_db
def test_demo_setup_registers_credentials_without_http(workspace, settings):
    settings.JOBCANNON_BASE_URL = "http://127.0.0.1:8000"
    integration = integration_create(
        workspace=workspace,
        provider="ashby",
        environment=Environment.SANDBOX,
        auth_kind="api_key",
        provider_settings={"use_simulator": True},
    )
    with responses_lib.RequestsMock() as mock:  # any HTTP call would fail: no URL is registered
        extra = get_provider("ashby").demo_setup(integration)
        again = get_provider("ashby").demo_setup(integration)
        assert not mock.calls
    assert extra["partner_base_url"] == f"http://127.0.0.1:8000/partners/ashby/{integration.public_id}"
    assert (
        extra["partner_api_key"].startswith("jcash_") and again["partner_api_key"] == extra["partner_api_key"]
    )
    integration.refresh_from_db()
    assert partner_key_matches(integration, extra["partner_api_key"])
    account = sim.account_for_integration(integration)
    assert account is not None and account.data["partner"]["api_key"] == extra["partner_api_key"]
    assert sim.get("api_key", sim.digest(integration.credential("api_key"))) is not None
    assert sim.get("oauth_client", integration.credential("client_id")) is not None


@pytest.mark.django_db
def test_demo_seed_json_has_the_ashby_keys(capsys, settings):
    settings.JOBCANNON_BASE_URL = "http://127.0.0.1:8000"
    call_command("demo_seed", "--json")
    data = json.loads(capsys.readouterr().out)
    ashby = data["integrations"]["ashby"]
    assert {"webhook_url", "webhook_secret", "partner_base_url", "partner_api_key"} <= set(ashby)
    assert ashby["partner_base_url"].startswith("http://127.0.0.1:8000/partners/ashby/")


@pytest.mark.django_db
def test_demo_seed_webhook_secret_signs_ashby_signature_for_its_webhook_url(capsys, client, settings):
    """What a script does with `demo_seed --json`: sign a delivery as Ashby does (Ashby-Signature:
    sha256=<hex HMAC-SHA256 of the raw body>, developers.ashbyhq.com/docs/authenticating-webhooks)
    with `webhook_secret` and post it to `webhook_url`. The body is the spec's ping example."""
    from integrations.models import WebhookEvent, WebhookStatus

    from .helpers import fixture

    settings.JOBCANNON_BASE_URL = "http://127.0.0.1:8000"
    call_command("demo_seed", "--json")
    ashby = json.loads(capsys.readouterr().out)["integrations"]["ashby"]
    body = fixture("ping")
    signature = "sha256=" + hmac_sha256_hex(ashby["webhook_secret"], body)
    response = client.post(
        ashby["webhook_url"],
        data=body,
        content_type="application/json",
        headers={constants.SIGNATURE_HEADER: signature},
    )
    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get(integration_id=ashby["id"])
    assert event.verified and event.signature_scheme == constants.SCHEME_REAL
    assert event.status == WebhookStatus.VERIFIED and event.event_type == "ping"


@pytest.mark.django_db
def test_sandbox_refuses_assessment_types_that_are_not_uuids(simulators, workspace, monkeypatch):
    """Ashby's partner OpenAPI types assessment_type_id `format: uuid`: the sandbox, like Ashby,
    offers nothing from an assessment.list answering the old instrument keys (big5, disc, eq)."""
    from integrations.providers.ashby import selectors
    from integrations.services.integrations import integration_credentials_check

    integration = integration_create(
        workspace=workspace,
        provider="ashby",
        environment=Environment.SANDBOX,
        auth_kind="api_key",
        provider_settings={"use_simulator": True},
    )
    provider = get_provider("ashby")
    provider.demo_setup(integration)
    integration.refresh_from_db()
    assert integration_credentials_check(integration=integration), integration.status_reason
    monkeypatch.setattr(selectors, "assessment_type_id", lambda *, workspace_id, instrument: instrument)
    answer = provider.send_test_assessment(integration)
    assert answer == (
        "assessment.list answered assessment_type_id 'big5', which is not a UUID "
        "(Ashby's partner API declares format: uuid)."
    )
    assert not sim.list_for("assessment", sim.account_for_integration(integration).key)
    monkeypatch.undo()
    assert provider.send_test_assessment(integration).startswith("JobCannon assessment started")


@pytest.mark.django_db
def test_demo_sandbox_goes_green_through_real_calls(simulators, workspace):
    from integrations.services.integrations import integration_credentials_check

    integration = integration_create(
        workspace=workspace,
        provider="ashby",
        environment=Environment.SANDBOX,
        auth_kind="api_key",
        provider_settings={"use_simulator": True},
    )
    get_provider("ashby").demo_setup(integration)
    integration.refresh_from_db()
    assert integration_credentials_check(integration=integration), integration.status_reason
    assert get_provider("ashby").send_test_assessment(integration).startswith("JobCannon assessment started")
    assert "ping" in get_provider("ashby").send_test_webhook(integration)


@pytest.mark.django_db
def test_simulator_pages_render(client, account):
    assert client.get(reverse("integrations:sim-ashby:home")).status_code == 200
    assert client.get(reverse("integrations:sim-ashby:account", args=[account])).status_code == 200
    assert client.get(reverse("integrations:sim-ashby:account", args=["nope"])).status_code == 404
