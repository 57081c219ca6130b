"""provider_settings["oauth_scopes"] and ["webhook_events"] are held to SR's published names
(vendor/: SRO securitySchemes.oauth + SRD's access-scopes page; SRO's EventName enum): refused with
the names when saved, and never sent to SR when they were stored some other way (by hand, or an
older version), where SR would refuse the whole authorization (invalid_scope) or subscription (422)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Integration
from integrations.providers.smartrecruiters import constants, selectors, services
from integrations.registry import get_provider
from jobcannon.core.exceptions import ValidationFailed
from tests.factories import IntegrationFactory

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db


def _sr(**settings) -> Integration:
    return IntegrationFactory(
        provider="smartrecruiters", auth_kind="oauth2", region="us", provider_settings=settings
    )


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        (
            {"oauth_scopes": ["candidates_read", "candidate_read_all"]},
            "OAuth scopes SmartRecruiters does not publish: candidate_read_all",
        ),
        (
            {"oauth_scopes": "candidates_read"},
            'provider_settings["oauth_scopes"] must be a list of names, not str',
        ),
        (
            {"webhook_events": ["candidate.updated", "candidate.assessment.completed", "interview.created"]},
            "webhook events SmartRecruiters does not publish: candidate.assessment.completed, interview.created",
        ),
    ],
)
def test_saving_names_sr_does_not_publish_is_refused_with_the_names(changes, named):
    integration = _sr()
    with pytest.raises(ValidationFailed) as refused:
        services.settings_update(integration=integration, changes=changes)
    assert named in refused.value.message
    integration.refresh_from_db()
    assert not set(changes) & set(integration.provider_settings), "nothing was saved"


def test_srs_names_and_the_seed_aliases_are_saved():
    integration = _sr()
    services.settings_update(
        integration=integration,
        changes={
            "oauth_scopes": ["candidates:read", "interviews_read", "webhooks_manage"],
            "webhook_events": [{"name": "job.created", "version": "1.0.0"}, "candidate.updated"],
        },
    )
    integration.refresh_from_db()
    assert integration.provider_settings["oauth_scopes"] == [
        "candidates:read",
        "interviews_read",
        "webhooks_manage",
    ]
    assert selectors.webhook_events(integration) == ["job.created", "candidate.updated"]


def test_a_stored_scope_sr_does_not_publish_is_never_requested():
    integration = IntegrationFactory.build(
        provider="smartrecruiters",
        environment="production",
        provider_settings={"oauth_scopes": ["candidates:read", "candidates_write", "configuration_read"]},
    )
    scopes = get_provider("smartrecruiters").oauth_config(integration).scopes
    assert scopes == ("candidates_read", "configuration_read", "webhooks_manage", "jobs_read", "company_read")
    assert selectors.settings_problems(integration.provider_settings) == [
        'provider_settings["oauth_scopes"] names OAuth scopes SmartRecruiters does not publish: candidates_write. '
        "Use names from its published scopes (SRO securitySchemes.oauth); JobCannon does not send these."
    ]


def test_a_stored_event_sr_does_not_list_is_not_subscribed_and_the_subscription_is_accepted(
    client_in_workspace, sr_sim
):
    # Stored without settings_update (integration_create, as an older version or a hand edit).
    integration = sr_sim(
        provider_settings={"webhook_events": ["candidate.assessment.completed", "candidate.updated"]}
    )
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    state = integration.provider_settings["subscription"]
    assert state["status"] == "active", state.get("error")
    assert state["events"] == ["candidate.updated"], (
        "SR would refuse the whole subscription for the seed's name"
    )


def test_an_override_with_no_name_sr_lists_falls_back_to_the_default_events():
    integration = IntegrationFactory.build(
        provider="smartrecruiters", provider_settings={"webhook_events": ["candidate.assessment.completed"]}
    )
    assert selectors.webhook_events(integration) == list(constants.SUBSCRIBED_EVENTS)


def test_names_stored_some_other_way_are_a_health_warning_on_the_integration_page(
    client_in_workspace, sr_sim
):
    # Stored without settings_update (integration_create, as an older version or a hand edit):
    # never sent, so the customer is told which names and why.
    integration = sr_sim(
        provider_settings={
            "oauth_scopes": ["candidates_read", "made_up_scope"],
            "webhook_events": ["candidate.assessment.completed", "candidate.updated"],
        }
    )
    connect_via_simulator(client_in_workspace, integration)

    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()

    scopes = page[page.index('id="warning-smartrecruiters_settings_oauth_scopes"') :].split("</p>")[0]
    assert "made_up_scope" in scopes and "does not publish" in scopes and "does not send" in scopes
    events = page[page.index('id="warning-smartrecruiters_settings_webhook_events"') :].split("</p>")[0]
    assert "candidate.assessment.completed" in events and "candidate.updated" not in events
