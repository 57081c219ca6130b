"""The integration page's requested-vs-granted table (#sr-scopes) says what was asked of
SmartRecruiters. A company connected by consent alone was never asked for any OAuth scope: the
company credentials come with SR's consent (SRD /docs/integration-workflow) and the customer
scopes are asked only at the optional OAuth sign-in, so the table must not say "yes" before it."""

import pytest
from django.urls import reverse

from integrations.providers.smartrecruiters import constants, selectors

from .helpers import connect_via_simulator
from .test_checklist_advice import consent_only, scope_rows  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

AT_SIGN_IN = "asked only at the optional OAuth sign-in"


def _rows(client, integration) -> dict[str, str]:
    return scope_rows(client.get(reverse("integrations:detail", args=[integration.pk])).content.decode())


def test_a_consent_only_company_shows_no_scope_as_requested(client_in_workspace, consent_only):  # noqa: F811
    rows = _rows(client_in_workspace, consent_only)
    customer_scopes = selectors.requested_scopes(consent_only)
    assert len(customer_scopes) == 6
    for scope in customer_scopes:
        requested = rows[scope].split(" ")[0]
        assert requested != "yes", rows
        if scope in constants.COMPANY_TOKEN_SCOPES:
            assert rows[scope].startswith("at consent"), rows
        else:
            assert rows[scope].startswith(AT_SIGN_IN), rows
    assert "needs the optional OAuth sign-in" in rows[constants.SCOPE_WEBHOOKS_MANAGE]


def test_an_integration_before_any_authorization_shows_the_scopes_as_asked_at_sign_in(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    rows = _rows(client_in_workspace, integration)
    for scope in selectors.requested_scopes(integration):
        assert rows[scope].startswith(AT_SIGN_IN) and "not authorized yet" in rows[scope], rows


def test_after_the_oauth_sign_in_the_requested_scopes_say_yes(client_in_workspace, sr_sim):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    rows = _rows(client_in_workspace, integration)
    for scope in selectors.requested_scopes(integration):
        assert rows[scope] == "yes granted", rows
