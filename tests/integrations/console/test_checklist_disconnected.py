"""A disconnected integration's checklist names who disconnected it (as recorded by
integration_disconnect) and takes the steps to resume from the provider."""

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import IntegrationStatus
from tests.factories import IntegrationFactory, UserFactory
from tests.fakes.ats_provider.provider import FakeProvider

pytestmark = pytest.mark.django_db


def checklist_page(client, integration) -> str:
    response = client.get(reverse("integrations:checklist", args=[integration.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_staff_disconnect_is_named_on_the_checklist(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    staff.post(
        "/admin/integrations/integration/", {"action": "disconnect", "_selected_action": [integration.pk]}
    )
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED

    page = checklist_page(client_in_workspace, integration)
    assert "Disconnected by JobCannon staff." in page
    assert "A workspace admin disconnected it." not in page
    assert "Reconnect to resume." in page


def test_a_workspace_admins_disconnect_is_named_on_the_checklist(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "disconnect"]))
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED

    page = checklist_page(client_in_workspace, integration)
    assert "Disconnected by a workspace admin." in page
    assert "JobCannon staff" not in page


def test_a_disconnect_without_a_recorded_reason_keeps_the_generic_cause(client_in_workspace, workspace):
    integration = IntegrationFactory(
        workspace=workspace, status=IntegrationStatus.DISCONNECTED, status_reason=""
    )
    assert "A workspace admin disconnected it." in checklist_page(client_in_workspace, integration)


def test_the_steps_to_resume_come_from_the_provider(client_in_workspace, workspace, monkeypatch):
    integration = IntegrationFactory(
        workspace=workspace,
        status=IntegrationStatus.DISCONNECTED,
        status_reason="Disconnected in the ATS: it removed JobCannon.",
    )
    monkeypatch.setattr(
        FakeProvider,
        "disconnected_fix_steps",
        lambda self, integration: ("Add JobCannon again in the ATS's marketplace.", "Reconnect here."),
    )
    page = checklist_page(client_in_workspace, integration)
    assert "Disconnected in the ATS: it removed JobCannon." in page
    assert "Add JobCannon again in the ATS&#x27;s marketplace." in page and "Reconnect here." in page
    assert "Reconnect to resume." not in page


def banner(page: str, integration) -> str:
    start = page.index(f'id="banner-{integration.pk}"')
    return page[start : page.index("</div>", start)]


def test_the_banner_gives_the_ats_side_steps_instead_of_reconnect_where_the_ats_removed_us(
    client_in_workspace, workspace, monkeypatch
):
    integration = IntegrationFactory(
        workspace=workspace,
        status=IntegrationStatus.DISCONNECTED,
        status_reason="Disconnected in the ATS: it removed JobCannon.",
    )
    monkeypatch.setattr(
        FakeProvider,
        "disconnected_fix_steps",
        lambda self, integration: ("Add JobCannon again in the ATS's marketplace.",),
    )
    text = banner(client_in_workspace.get(reverse("integrations:list")).content.decode(), integration)
    assert "is disconnected." in text and "it removed JobCannon." in text
    assert "Add JobCannon again in the ATS&#x27;s marketplace." in text
    assert ">Reconnect</a>" not in text


def test_the_banner_offers_reconnect_after_an_ordinary_disconnect(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "disconnect"]))
    text = banner(client_in_workspace.get(reverse("integrations:list")).content.decode(), integration)
    assert "Disconnected by a workspace admin." in text
    assert ">Reconnect</a>" in text


def test_the_needs_reauth_banner_offers_a_credentials_check_beside_reconnect(client_in_workspace, workspace):
    """New credentials saved while the ATS could not check them (or a permission fixed in the ATS)
    need only a check: the banner offers it, not only a new authorization."""
    integration = IntegrationFactory(
        workspace=workspace,
        status=IntegrationStatus.NEEDS_REAUTH,
        status_reason="New credentials saved but not checked: the ATS answered 503 (a failure on its side).",
    )
    text = banner(client_in_workspace.get(reverse("integrations:list")).content.decode(), integration)
    assert ">Reconnect</a>" in text
    assert reverse("integrations:action", args=[integration.pk, "test"]) in text
    assert "Test credentials now" in text
