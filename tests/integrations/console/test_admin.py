import pytest
from django.urls import reverse

from integrations.models import (
    IntegrationStatus,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from tests.factories import AssessmentRunFactory, IntegrationFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def rejected(integration, reason="Signature does not match: wrong secret."):
    return WebhookEvent.objects.create(
        provider=integration.provider, integration=integration, body=b'{"id":"1"}', status=WebhookStatus.REJECTED,
        rejection_reason=reason, headers={"Authorization": "Bearer sk-live-secret", "Content-Type": "application/json"},
    )  # fmt: skip


def test_staff_logs_page_lists_every_workspace_and_finds_a_delivery_by_reason(
    staff_client, django_assert_max_num_queries
):
    first = IntegrationFactory(workspace=WorkspaceFactory(name="Alpha Co"))
    second = IntegrationFactory(workspace=WorkspaceFactory(name="Beta Co"))
    rejected(first)
    WebhookEvent.objects.create(
        provider="fake",
        integration=second,
        body=b"{}",
        verified=True,
        status=WebhookStatus.PROCESSED,
        event_type="candidate.created",
    )
    url = reverse("admin-integration-logs", args=["fake"])
    with django_assert_max_num_queries(16):
        page = staff_client.get(url).content.decode()
    assert "Alpha Co" in page and "Beta Co" in page and 'id="webhook-log"' in page
    found = staff_client.get(url, {"q": "wrong secret"}).content.decode()
    assert "Signature does not match" in found and "<td>candidate.created</td>" not in found
    only_second = staff_client.get(url, {"workspace": second.workspace_id}).content.decode()
    assert "<td>candidate.created</td>" in only_second and "Signature does not match" not in only_second


def test_staff_logs_show_deliveries_first_and_everything_on_request(staff_client):
    from integrations.models import OutboundCall

    integration = IntegrationFactory()
    rejected(integration)
    OutboundCall.objects.create(
        integration=integration, provider="fake", method="POST", path="/results/xyz", status_code=201
    )
    url = reverse("admin-integration-logs", args=["fake"])
    default = staff_client.get(url).content.decode()
    assert "Signature does not match" in default and "/results/xyz" not in default
    everything = staff_client.get(url, {"direction": ""}).content.decode()
    assert "Signature does not match" in everything and "/results/xyz" in everything


def test_staff_reprocess_selected_and_replay_write_backs(staff_client):
    integration = IntegrationFactory()
    dead = WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        body=b"{}",
        verified=True,
        status=WebhookStatus.DEAD,
        error="boom",
    )
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, provider="fake")
    message = WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind="r",
        event="completed",
        idempotency_key="k",
        status=WritebackStatus.HALTED,
    )
    url = reverse("admin-integration-logs", args=["fake"])
    assert staff_client.post(url, {"action": "reprocess", "event": [dead.pk]}).status_code == 302
    dead.refresh_from_db()
    assert dead.status == WebhookStatus.VERIFIED
    # Outcome unknown and the fake ATS cannot be read back: replay refuses and says why...
    refused = staff_client.post(url, {"action": "replay", "writeback": [message.pk]}, follow=True)
    assert "cannot be read back" in refused.content.decode()
    message.refresh_from_db()
    assert message.status == WritebackStatus.HALTED
    # ...until staff choose "send anyway".
    staff_client.post(url, {"action": "replay", "writeback": [message.pk], "force": "1"})
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING
    timeline = staff_client.get(reverse("admin:integrations-run-timeline", args=[run.pk]))
    assert timeline.status_code == 200 and "Write-back queued" in timeline.content.decode()


def test_non_staff_users_cannot_reach_the_staff_pages(client, user):
    client.force_login(user)
    for url in (
        reverse("admin-integration-logs", args=["fake"]),
        reverse("admin:integrations_webhookevent_changelist"),
        reverse("admin:integrations-run-timeline", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_never_displays_secrets_and_shows_raw_bodies_read_only(staff_client):
    integration = IntegrationFactory(credentials={"api_key": "sk-very-secret-1"})
    Token.objects.create(integration=integration, access_token="at-secret-2", refresh_token="rt-secret-3")
    event = rejected(integration)
    pages = [
        staff_client.get(reverse("admin:integrations_integration_change", args=[integration.pk])),
        staff_client.get(reverse("admin:integrations_token_changelist")),
        staff_client.get(reverse("admin:integrations_webhookevent_change", args=[event.pk])),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        for secret in (
            "sk-very-secret-1",
            "at-secret-2",
            "rt-secret-3",
            "whsec_test_secret",
            "sk-live-secret",
        ):
            assert secret not in body
    event_page = pages[2].content.decode()
    assert "{&quot;id&quot;:&quot;1&quot;}" in event_page and "[redacted]" in event_page
    assert 'name="_save"' not in event_page  # read-only


@pytest.mark.parametrize(
    "name",
    [
        "integrations_integration",
        "integrations_token",
        "integrations_webhookevent",
        "integrations_outboundcall",
        "integrations_integrationactivity",
        "integrations_writebackmessage",
        "integrations_oauthstate",
        "simulator_plugins_simulatorobject",
    ],
)
def test_every_changelist_renders_for_staff(staff_client, name, django_assert_max_num_queries):
    integration = IntegrationFactory()
    rejected(integration)
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, provider="fake")
    WritebackMessage.objects.create(
        integration=integration,
        run=run,
        kind="r",
        event="completed",
        idempotency_key="k",
        status=WritebackStatus.DEAD,
    )
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_admin_actions_disconnect_and_create_a_reconnect_link(staff_client):
    integration = IntegrationFactory()
    url = reverse("admin:integrations_integration_changelist")
    staff_client.post(url, {"action": "create_reconnect_link", "_selected_action": [integration.pk]})
    page = staff_client.get(url).content.decode()
    assert "/reconnect/" in page
    staff_client.post(url, {"action": "disconnect", "_selected_action": [integration.pk]})
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert integration.status_reason == "Disconnected by JobCannon staff."  # not "by a workspace admin"
