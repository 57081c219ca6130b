"""The checklist's "How to fix" is about what happened: a setup-guide Common Error is shown for a
failed item only when the failure's recorded cause matches it; an unexplained failure or a
waiting item gets none. And a provider may judge a built-in item itself (its check replaces it)."""

import pytest

from integrations.base import ChecklistCheck
from integrations.models import IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.services.checklist import integration_checklist
from tests.factories import AssessmentRunFactory
from tests.integrations.console.helpers import sim_integration

pytestmark = pytest.mark.django_db


def items(integration):
    return {i.key: i for i in integration_checklist(integration=integration).items}


def _dead_writeback(integration, error):
    run = AssessmentRunFactory(
        workspace=integration.workspace, integration=integration, provider=integration.provider
    )
    WritebackMessage.objects.create(
        integration=integration, run=run, kind="result", event="completed", idempotency_key="k1",
        status=WritebackStatus.DEAD, last_error=error,
    )  # fmt: skip


def test_a_failure_whose_cause_matches_no_common_error_gets_no_guide_fix(consolesim, workspace):
    integration = sim_integration(workspace=workspace, connect=False)
    _dead_writeback(integration, "The ATS answered something JobCannon cannot read.")
    item = items(integration)["writeback"]
    assert item.state == "fail"
    assert item.fixes == ()  # not the guide's "Invalid API key" entry, filed under write-backs


def test_a_failure_whose_cause_matches_keeps_its_fix(consolesim, workspace):
    integration = sim_integration(workspace=workspace, connect=False)
    _dead_writeback(integration, "Invalid API key: the ATS refused it (401).")
    titles = [f.title for f in items(integration)["writeback"].fixes]
    assert titles[0] == "Invalid API key or insufficient scopes" and "401 Unauthorized" in titles


def test_saved_but_never_checked_credentials_are_waiting_with_no_fix(consolesim, workspace):
    integration = sim_integration(workspace=workspace, connect=False)
    integration.credentials = {"api_key": "saved-not-checked"}
    integration.save()
    item = items(integration)["credentials"]
    assert item.state == "waiting" and item.fixes == ()
    assert item.action == "test"  # the way forward: check them now


def test_a_provider_check_with_a_built_in_key_replaces_that_item(consolesim, workspace, monkeypatch):
    integration = sim_integration(workspace=workspace, connect=False)
    integration.status = IntegrationStatus.CONNECTED
    integration.save()
    assert items(integration)["webhooks"].state == "fail"  # connected, nothing registered
    own = ChecklistCheck(
        key="webhooks", title="Webhooks registered (optional)", ok=None, detail="Optional here."
    )
    monkeypatch.setattr(type(consolesim), "checklist_checks", lambda self, integration: [own])

    checklist = integration_checklist(integration=integration)
    keys = [i.key for i in checklist.items]
    assert keys.count("webhooks") == 1 and keys.index("webhooks") == 2  # in place, not appended
    webhooks = items(integration)["webhooks"]
    assert (webhooks.state, webhooks.title, webhooks.detail) == ("waiting", own.title, "Optional here.")
