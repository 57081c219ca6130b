"""Staff edit an integration's provider_settings as raw JSON in the Django admin: the provider's
own checks (ATSProvider.settings_problems) hold there too, so staff cannot store a name the
customer's settings form would refuse (SmartRecruiters: an OAuth scope or webhook event SR does
not publish), which JobCannon would then silently never send."""

import json

import pytest
from django.urls import reverse

from integrations.models import Integration
from tests.factories import IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _change_form_data(staff_client, url: str) -> dict[str, str]:
    """What the change page's form would post unchanged."""
    form = staff_client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else field.prepare_value(value)
    return data


def _sr_integration() -> Integration:
    return IntegrationFactory(
        provider="smartrecruiters",
        auth_kind="oauth2",
        provider_settings={"oauth_scopes": ["candidates_read"], "company_id": "acme"},
    )


def test_saving_an_invented_oauth_scope_shows_the_form_error_and_saves_nothing(staff_client):
    integration = _sr_integration()
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    data = _change_form_data(staff_client, url)
    data["provider_settings"] = json.dumps({"oauth_scopes": ["candidates_read", "made_up_scope"]})

    answer = staff_client.post(url, data)

    assert answer.status_code == 200  # the form again, not the redirect of a save
    errors = answer.context["adminform"].form.errors["provider_settings"]
    assert any("made_up_scope" in e and "does not publish" in e for e in errors)
    assert "made_up_scope" in answer.content.decode()
    integration.refresh_from_db()
    assert integration.provider_settings == {"oauth_scopes": ["candidates_read"], "company_id": "acme"}


def test_saving_an_invented_webhook_event_is_refused_too(staff_client):
    integration = _sr_integration()
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    data = _change_form_data(staff_client, url)
    data["provider_settings"] = json.dumps({"webhook_events": ["candidate.assessment.completed"]})

    answer = staff_client.post(url, data)

    assert answer.status_code == 200
    assert "candidate.assessment.completed" in " ".join(
        answer.context["adminform"].form.errors["provider_settings"]
    )
    integration.refresh_from_db()
    assert "webhook_events" not in integration.provider_settings


def test_published_names_are_saved_from_the_admin(staff_client):
    integration = _sr_integration()
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    data = _change_form_data(staff_client, url)
    data["provider_settings"] = json.dumps({"oauth_scopes": ["candidates_read", "webhooks_manage"]})

    answer = staff_client.post(url, data)

    assert answer.status_code == 302, answer.context and answer.context["adminform"].form.errors
    integration.refresh_from_db()
    assert integration.provider_settings["oauth_scopes"] == ["candidates_read", "webhooks_manage"]
