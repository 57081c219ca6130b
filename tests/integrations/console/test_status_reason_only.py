"""A new reason for an unchanged status (a connected integration's reason refreshed, another
refusal of a needs-reauth one) is not a status change: no "X → X" line, no new changed-at, no mail."""

import pytest

from integrations.models import ActivityLevel, IntegrationActivity, IntegrationStatus
from integrations.services.status import integration_set_status
from tests.factories import IntegrationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "level"),
    [(IntegrationStatus.PENDING, ActivityLevel.INFO), (IntegrationStatus.NEEDS_REAUTH, ActivityLevel.ERROR)],
)
def test_a_new_reason_for_the_same_status_is_logged_as_a_reason_not_a_change(
    workspace, status, level, django_capture_on_commit_callbacks, mailoutbox
):
    MembershipFactory(workspace=workspace, role="admin")
    integration = IntegrationFactory(workspace=workspace, status=status, status_reason="First reason.")
    changed_at = integration.status_changed_at

    with django_capture_on_commit_callbacks(execute=True):
        integration_set_status(integration=integration, status=status, reason="Second reason.")

    integration.refresh_from_db()
    assert integration.status_reason == "Second reason."
    assert integration.status_changed_at == changed_at
    assert not IntegrationActivity.objects.filter(integration=integration, kind="status.changed").exists()
    line = IntegrationActivity.objects.get(integration=integration, kind="status.reason")
    assert line.message == f"{status}: Second reason." and line.level == level
    assert mailoutbox == []


def test_a_real_change_is_still_logged_and_mailed(workspace, django_capture_on_commit_callbacks, mailoutbox):
    MembershipFactory(workspace=workspace, role="admin")
    integration = IntegrationFactory(workspace=workspace, status=IntegrationStatus.CONNECTED)
    with django_capture_on_commit_callbacks(execute=True):
        integration_set_status(
            integration=integration, status=IntegrationStatus.NEEDS_REAUTH, reason="Refused."
        )
    assert IntegrationActivity.objects.filter(integration=integration, kind="status.changed").count() == 1
    assert len(mailoutbox) == 1
