"""Migration 0010: Knit integrations saved with the unified update while the old setup form
pre-selected it go back to the passthrough, each with a line in its activity log; a mode the customer
chose on the setup page (result_mode_confirmed_at) stays."""

import importlib
import json
import re

import pytest
from django.apps import apps as django_apps

from integrations.models import IntegrationActivity, WritebackMessage, WritebackStatus
from integrations.providers.knit import constants
from integrations.providers.knit.services import knit_settings_update
from integrations.services.writeback import writeback_deliver

from .helpers import knit_integration, scored_run

migration = importlib.import_module(
    "integrations.migrations.0010_knit_unconfirmed_assessment_update_to_passthrough"
)
PASSTHROUGH_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_PASSTHROUGH}"))
UPDATE_URL = re.compile(re.escape(f"{constants.API_BASE}/{constants.PATH_ASSESSMENT_UPDATE}"))


def migrate() -> int:
    return migration.unconfirmed_update_to_passthrough(django_apps, None)


@pytest.mark.django_db
def test_an_unconfirmed_unified_update_is_moved_to_the_passthrough_and_delivers_through_it(mocked_responses):
    legacy = knit_integration(
        provider_settings={"result_mode": "assessment_update", "default_instrument": "disc"}
    )
    unified = mocked_responses.post(UPDATE_URL, json={"success": True, "data": {}})
    passthrough = mocked_responses.post(
        PASSTHROUGH_URL,
        json={"success": True, "data": {"response": {"body": '{"success":true}', "headers": {}}}},
    )

    assert migrate() == 1

    legacy.refresh_from_db()
    assert legacy.provider_settings["result_mode"] == "passthrough"
    assert legacy.provider_settings["default_instrument"] == "disc"  # the rest is kept
    line = IntegrationActivity.objects.get(integration=legacy, kind="knit.result_mode_migrated")
    assert line.level == "warning" and "How results reach Ashby" in line.message
    assert line.data == {
        "from": "assessment_update",
        "to": "passthrough",
        "reason": "not confirmed by the customer",
    }

    # What Ashby observes: the next result goes through Knit's passthrough, as Ashby's own body.
    message = WritebackMessage.objects.create(
        integration=legacy,
        run=scored_run(legacy),
        kind=constants.KIND_ASSESSMENT_UPDATE,
        event="completed",
        idempotency_key="migrated-1",
    )
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.DELIVERED, message.last_error
    assert not unified.calls
    assert json.loads(passthrough.calls[0].request.body)["path"] == "/assessment.update"


@pytest.mark.django_db
def test_a_confirmed_unified_update_and_other_modes_are_left_alone():
    chosen = knit_integration(provider_settings={"result_mode": "passthrough"})
    knit_settings_update(
        integration=chosen, default_instrument="big5", package_map={}, result_mode="assessment_update"
    )
    passthrough = knit_integration(provider_settings={"result_mode": "passthrough"})
    unset = knit_integration(provider_settings={})

    assert migrate() == 0

    for integration, mode in ((chosen, "assessment_update"), (passthrough, "passthrough"), (unset, None)):
        integration.refresh_from_db()
        assert integration.provider_settings.get("result_mode") == mode
    assert chosen.provider_settings[constants.RESULT_MODE_CONFIRMED_AT]
    assert not IntegrationActivity.objects.filter(kind="knit.result_mode_migrated").exists()


@pytest.mark.django_db
def test_reversing_restores_only_what_the_migration_moved():
    legacy = knit_integration(provider_settings={"result_mode": "assessment_update"})
    resaved = knit_integration(provider_settings={"result_mode": "assessment_update"})
    migrate()
    # After the move, the customer saves the setup page (the passthrough): that is their choice now.
    knit_settings_update(
        integration=resaved, default_instrument="big5", package_map={}, result_mode="passthrough"
    )

    migration.restore_saved_mode(django_apps, None)

    legacy.refresh_from_db()
    resaved.refresh_from_db()
    assert legacy.provider_settings == {"result_mode": "assessment_update"}
    assert resaved.provider_settings["result_mode"] == "passthrough"
