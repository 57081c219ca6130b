"""Secrets never shown: not in the admin, not in the console's webhook log (headers), not in
error pages, and not at rest in plain text."""

import pytest
from django.db import connection

from integrations.models import Token, WebhookEvent
from tests.factories import IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db
SECRET = "sk_live_MUSTNOTLEAK_0123456789"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_pages_never_show_credentials_or_tokens(staff_client):
    integration = IntegrationFactory(credentials={"api_key": SECRET})
    token = Token.objects.create(integration=integration, access_token=SECRET, refresh_token=SECRET)
    pages = [
        "/admin/integrations/integration/",
        f"/admin/integrations/integration/{integration.pk}/change/",
        "/admin/integrations/token/",
        f"/admin/integrations/token/{token.pk}/change/",
    ]
    for path in pages:
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert SECRET not in response.content.decode(), path
        assert "whsec_test_secret" not in response.content.decode(), path


def test_credential_headers_of_webhooks_are_not_stored_or_shown(client, client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    client.post(
        f"/webhooks/fake/{integration.public_id}/",
        data=b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": SECRET, "Cookie": f"s={SECRET}"},
    )
    event = WebhookEvent.objects.get(integration=integration)
    assert SECRET not in str(event.headers)
    page = client_in_workspace.get(f"/integrations/{integration.pk}/logs/webhooks/{event.pk}/")
    assert page.status_code == 200
    assert SECRET not in page.content.decode()


def test_secrets_are_ciphertext_in_the_database():
    integration = IntegrationFactory(credentials={"api_key": SECRET})
    Token.objects.create(integration=integration, access_token=SECRET)
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials, webhook_secrets FROM integrations_integration")
        rows = cursor.fetchall()
        cursor.execute("SELECT access_token FROM integrations_token")
        rows += cursor.fetchall()
    dump = repr(rows)
    assert SECRET not in dump and "whsec_test_secret" not in dump
    assert "fernet:" in dump


def test_error_pages_show_no_secret_or_traceback(client, settings):
    settings.DEBUG = False
    response = client.get("/integrations/999999/", headers={"Authorization": f"Bearer {SECRET}"})
    assert response.status_code in (302, 404)
    assert SECRET not in response.content.decode() and "Traceback" not in response.content.decode()
