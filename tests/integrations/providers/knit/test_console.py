"""Knit's answers to the customer console hooks (present when the console's base types exist)."""

import pytest

import integrations.base
from integrations.models import WebhookEvent, WebhookStatus
from integrations.providers.knit.services import knit_credentials_save
from integrations.providers.knit.simulator import sim_account_create
from integrations.registry import get_provider
from integrations.services.integrations import integration_create
from integrations.services.webhooks import webhook_event_process

needs_console = pytest.mark.skipif(
    not hasattr(integrations.base, "SetupStep"), reason="console types not present"
)


@pytest.fixture
def connected(simulators, workspace, user):
    account = sim_account_create("Acme")
    integration = integration_create(
        workspace=workspace, provider="knit", auth_kind="api_key", created_by=user
    )
    assert knit_credentials_save(
        integration=integration,
        api_key=account["api_key"],
        integration_id=account["integration_id"],
        use_simulator=True,
    )
    integration.refresh_from_db()
    return integration


@needs_console
@pytest.mark.django_db
def test_wizard_asks_for_key_and_integration_id_and_shows_no_webhook_secret(workspace):
    integration = integration_create(workspace=workspace, provider="knit", auth_kind="api_key")
    provider = get_provider("knit")
    assert [f.name for f in provider.credential_fields(integration)] == ["api_key", "integration_id"]
    shown = {value for step in provider.setup_steps(integration) for value in step.show}
    assert shown == {"webhook_url"}


@needs_console
@pytest.mark.django_db
def test_wizard_says_how_results_reach_ashby_and_that_knits_update_body_is_unpublished(workspace):
    integration = integration_create(workspace=workspace, provider="knit", auth_kind="api_key")
    provider = get_provider("knit")

    [step] = [s for s in provider.setup_steps(integration) if "results reach Ashby" in s.title]

    assert "This integration uses: Knit passthrough to Ashby's assessment.update" in step.body
    assert "not the update's request body" in step.body and "best guess" in step.body
    integration.provider_settings = {"result_mode": "assessment_update"}
    [step] = [s for s in provider.setup_steps(integration) if "results reach Ashby" in s.title]
    assert "This integration uses: Knit's candidate assessment update API" in step.body


@pytest.mark.django_db
def test_test_buttons_send_signed_events_through_the_simulator(connected):
    provider = get_provider("knit")
    assert "answered 200" in provider.send_test_webhook(connected)
    assert "answered 200" in provider.send_test_assessment(connected)
    events = [
        webhook_event_process(event_id=e.pk) for e in WebhookEvent.objects.filter(integration=connected)
    ]
    assert sorted(e.status for e in events) == [WebhookStatus.IGNORED, WebhookStatus.PROCESSED]
    assert connected.runs.count() == 1


@pytest.mark.django_db
def test_test_buttons_need_the_simulator(workspace):
    integration = integration_create(workspace=workspace, provider="knit", auth_kind="api_key")
    with pytest.raises(NotImplementedError):
        get_provider("knit").send_test_assessment(integration)
