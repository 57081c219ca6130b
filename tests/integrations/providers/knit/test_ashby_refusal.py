"""Ashby refusing Knit's connection (401/403 through Knit's passthrough), end to end against the built-in
Knit: the result is held with a reason that names the fix inside Knit, the integration stays connected
(re-entering the Knit key would change nothing), and "Test credentials now" sends it once Ashby is
reconnected in Knit."""

import pytest

from assessments.models import AssessmentRun
from integrations.models import IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.providers.knit.simulator import sim_account_update
from integrations.registry import provider_for
from integrations.services.integrations import integration_credentials_check
from integrations.services.writeback import writeback_deliver

from .test_roundtrip import complete, connected, deliver_pending, process_latest, start  # noqa: F401


@pytest.mark.django_db
def test_ashby_refusing_knits_key_holds_results_until_ashby_is_reconnected_in_knit(connected):  # noqa: F811
    integration, account, secret = connected
    assessment_id = start(secret)
    process_latest(integration)
    run = AssessmentRun.objects.get(integration=integration, external_assessment_id=assessment_id)
    # The customer's Ashby key, held by Knit, loses candidatesWrite: Ashby answers 403 through Knit.
    sim_account_update(account["integration_id"], ashby_missing_permission="candidatesWrite")

    complete(run)
    messages = deliver_pending(integration)

    integration.refresh_from_db()
    assert {m.status for m in messages} == {WritebackStatus.RETRYING}
    assert "reconnect Ashby inside Knit" in messages[0].last_error
    assert "candidatesWrite permission Ashby names" in messages[0].last_error
    assert integration.status == IntegrationStatus.CONNECTED
    (warning,) = [w for w in provider_for(integration).health_warnings(integration)]
    assert warning.level == "error" and "2 result write-back(s) are held" in warning.message

    # Reconnected inside Knit; the customer presses "Test credentials now".
    sim_account_update(account["integration_id"], ashby_missing_permission="")
    assert integration_credentials_check(integration=integration).ok is True
    for message in WritebackMessage.objects.filter(integration=integration, status=WritebackStatus.PENDING):
        writeback_deliver(message_id=message.pk)

    statuses = list(WritebackMessage.objects.filter(integration=integration).values_list("status", flat=True))
    assert statuses == [WritebackStatus.DELIVERED, WritebackStatus.DELIVERED]
    assert provider_for(integration).health_warnings(integration) == []
