"""Credentials that work, then a provider setup that did not finish (webhook registration
refused...): the integration waits pending with "Credentials are valid, but setup failed", and the
checklist's "Credentials valid" item must not call the credentials failing."""

import pytest
from django.urls import reverse

from integrations.base import ATSValidationError, CredentialCheck
from integrations.models import IntegrationStatus
from integrations.services.integrations import integration_credentials_check
from tests.factories import IntegrationFactory
from tests.fakes.ats_provider.provider import FakeProvider
from tests.integrations.test_unjudged_levels import credentials_item

pytestmark = pytest.mark.django_db


def test_credentials_that_work_pass_when_the_setup_after_them_failed(
    client_in_workspace, workspace, monkeypatch
):
    integration = IntegrationFactory(workspace=workspace, status=IntegrationStatus.PENDING)
    monkeypatch.setattr(
        FakeProvider, "validate_credentials", lambda self, i: CredentialCheck(ok=True, message="ok")
    )

    def refuse_setup(self, integration):
        raise ATSValidationError("The ATS refused the webhook registration (422).")

    monkeypatch.setattr(FakeProvider, "on_connected", refuse_setup)
    assert not integration_credentials_check(integration=integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PENDING

    page = client_in_workspace.get(reverse("integrations:checklist", args=[integration.pk])).content.decode()
    state, text = credentials_item(page)
    assert state == "ok", (state, text)
    assert "succeeded" in text and "the setup after it did not finish" in text, text
    assert "refused the webhook registration" in text
