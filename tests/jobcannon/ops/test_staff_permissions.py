"""Core staff pages beyond the model admin need their own permission, not only is_staff (issue 21)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from jobcannon.core.models import SentEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff_with(client, *codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename__in=codenames)
    )
    client.force_login(user)
    return client


def test_system_status_page_needs_the_view_system_status_permission(client):
    url = reverse("admin-system-status")
    assert staff_with(client).get(url).status_code == 403
    response = staff_with(client, "view_system_status").get(url)
    assert response.status_code == 200 and "System status" in response.content.decode()


def test_dev_mailbox_needs_the_view_sentemail_permission(client):
    email = SentEmail.objects.create(
        subject="Your assessment", from_email="a@example.com", to="b@example.com"
    )
    for url in (reverse("dev-mailbox"), reverse("dev-mailbox-message", args=[email.pk])):
        assert staff_with(client).get(url).status_code == 403
        assert staff_with(client, "view_sentemail").get(url).status_code == 200


def test_admin_index_links_the_status_page_only_for_staff_who_may_open_it(client):
    url = reverse("admin-system-status")
    assert f'href="{url}"' not in staff_with(client).get(reverse("admin:index")).content.decode()
    page = staff_with(client, "view_system_status").get(reverse("admin:index")).content.decode()
    assert f'href="{url}"' in page


def test_status_page_links_a_providers_logs_only_for_staff_who_may_open_them(client):
    from integrations.models import WebhookEvent, WebhookStatus

    WebhookEvent.objects.create(provider="ashby", body=b"{}", headers={}, status=WebhookStatus.REJECTED)
    logs = "integrations/ashby/logs?status=rejected"
    page = staff_with(client, "view_system_status").get(reverse("admin-system-status")).content.decode()
    assert "ashby" in page and logs not in page, "no link to a page that would answer 403"

    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename="view_system_status"),
        *Permission.objects.filter(
            content_type__app_label="integrations",
            codename__in=["view_webhookevent", "view_outboundcall", "view_integrationactivity"],
        ),
    )
    client.force_login(user)
    page = client.get(reverse("admin-system-status")).content.decode()
    assert logs in page
    assert client.get("/admin/" + logs).status_code == 200
