"""The reconciler and replay: drift between JobCannon and the ATS is repaired or reported, and a
replay never duplicates a write the ATS already has."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import AssessmentRun
from integrations.models import IntegrationActivity, WritebackMessage, WritebackStatus
from integrations.services.reconciler import writeback_reconcile
from integrations.services.writeback import (
    WritebackNotReplayable,
    writeback_deliver,
    writeback_enqueue,
    writeback_replay,
)
from tests.factories import AssessmentRunFactory
from tests.integrations.reliability import faultsim
from tests.integrations.reliability.fakeats import Fault

pytestmark = pytest.mark.django_db


def scored_run(integration, **kwargs):
    return AssessmentRunFactory(
        workspace=integration.workspace,
        integration=integration,
        provider="faultsim",
        status="scored",
        **kwargs,
    )


def halted(integration, fake_ats, settings, *, applied: bool) -> WritebackMessage:
    settings.OUTBOUND_TIMEOUT_SECONDS = (1, 0.3)
    fake_ats.timeout_sleep = 0.6
    fake_ats.inject(Fault("/results", kind="timeout_after_apply" if applied else "timeout_before_apply"))
    (message,) = writeback_enqueue(run=scored_run(integration), event="completed")
    writeback_deliver(message_id=message.pk)
    settings.OUTBOUND_TIMEOUT_SECONDS = (2, 5)  # later calls must not time out on a busy machine
    message.refresh_from_db()
    assert message.status == WritebackStatus.HALTED
    return message


def reconcile(minutes=5):
    return writeback_reconcile(now=timezone.now() + timedelta(minutes=minutes))


def test_halted_write_found_in_the_ats_is_confirmed_without_resending(make_faultsim, fake_ats, settings):
    message = halted(make_faultsim(), fake_ats, settings, applied=True)
    report = reconcile()
    message.refresh_from_db()
    assert report.confirmed == 1 and message.status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}
    assert AssessmentRun.objects.get(pk=message.run_id).status == "delivered"


def test_halted_write_missing_from_the_ats_is_sent_again_once(make_faultsim, fake_ats, settings):
    message = halted(make_faultsim(), fake_ats, settings, applied=False)
    assert reconcile().resent == 1
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}


def test_halted_write_is_left_alone_until_the_ats_had_time_to_settle(make_faultsim, fake_ats, settings):
    message = halted(make_faultsim(), fake_ats, settings, applied=True)
    assert writeback_reconcile().confirmed == 0
    message.refresh_from_db()
    assert message.status == WritebackStatus.HALTED


def test_unreadable_ats_that_dedupes_on_the_key_gets_the_write_again(make_faultsim, fake_ats, settings):
    integration = make_faultsim(provider_settings={"readable": False})
    message = halted(integration, fake_ats, settings, applied=True)
    assert reconcile().resent == 1
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.DELIVERED
    assert list(fake_ats.results) == [message.idempotency_key], "the ATS stored it once (deduped on the key)"


def test_unreadable_ats_without_idempotency_keeps_the_write_halted_for_a_human(
    make_faultsim, fake_ats, settings, monkeypatch
):
    monkeypatch.setattr(faultsim.FaultSimClient, "idempotency_header", "")
    integration = make_faultsim(provider_settings={"readable": False})
    message = halted(integration, fake_ats, settings, applied=True)
    first, second = reconcile(), reconcile(minutes=10)
    message.refresh_from_db()
    assert message.status == WritebackStatus.HALTED
    assert first.halted_unresolved == second.halted_unresolved == 1
    alerts = IntegrationActivity.objects.filter(integration=integration, kind="writeback.halted")
    assert alerts.count() == 1, "reported once, not on every run"
    assert "cannot be read back" in alerts.get().message
    with pytest.raises(WritebackNotReplayable):
        writeback_replay(message=message)
    assert writeback_replay(message=message, force=True).status == WritebackStatus.PENDING


def test_write_the_ats_lost_after_accepting_it_is_found_and_sent_again(make_faultsim, fake_ats):
    integration = make_faultsim(provider_settings={"readable": True})
    (message,) = writeback_enqueue(run=scored_run(integration), event="completed")
    fake_ats.inject(Fault("/results/", method="GET", status=404))  # the immediate read-back lags
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.DELIVERED
    fake_ats.results.clear()  # and then the ATS loses it
    report = reconcile(minutes=11)
    assert report.resent == 1
    assert IntegrationActivity.objects.filter(integration=integration, kind="writeback.drift").exists()
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED


def test_delivered_write_is_confirmed_on_a_later_read_back(make_faultsim, fake_ats):
    integration = make_faultsim()
    (message,) = writeback_enqueue(run=scored_run(integration), event="completed")
    fake_ats.inject(Fault("/results/", method="GET", status=404))
    writeback_deliver(message_id=message.pk)
    assert reconcile(minutes=11).confirmed == 1
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}


def test_scored_run_never_queued_for_its_ats_is_queued_by_the_reconciler(make_faultsim, fake_ats):
    integration = make_faultsim()
    run = scored_run(integration, scored_at=timezone.now() - timedelta(minutes=30))
    fresh = scored_run(integration, scored_at=timezone.now())
    report = writeback_reconcile()
    assert report.drift_queued == 1
    assert not WritebackMessage.objects.filter(run=fresh).exists(), "a just-scored run is not drift yet"
    message = WritebackMessage.objects.get(run=run)
    writeback_deliver(message_id=message.pk)
    run.refresh_from_db()
    assert run.status == "delivered"
    assert IntegrationActivity.objects.filter(integration=integration, kind="writeback.drift").exists()


def test_run_whose_write_was_confirmed_but_not_marked_is_marked_delivered(make_faultsim, fake_ats):
    integration = make_faultsim()
    run = scored_run(integration, scored_at=timezone.now() - timedelta(minutes=30))
    (message,) = writeback_enqueue(run=run, event="completed")
    writeback_deliver(message_id=message.pk)
    AssessmentRun.objects.filter(pk=run.pk).update(status="scored")  # the hook did not run
    assert writeback_reconcile().runs_marked_delivered == 1
    run.refresh_from_db()
    assert run.status == "delivered"


def test_replay_of_a_dead_letter_sends_it_again_in_a_new_retry_window(make_faultsim, fake_ats):
    fake_ats.inject(Fault("/results", status=422, body={"message": "field missing"}))
    (message,) = writeback_enqueue(run=scored_run(make_faultsim()), event="completed")
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.DEAD
    window = message.retry_window_started_at
    replayed = writeback_replay(message=message)
    assert replayed.status == WritebackStatus.PENDING and replayed.replay_count == 1
    assert replayed.retry_window_started_at > window
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED


def test_replay_of_a_halted_write_the_ats_has_confirms_it_without_sending(make_faultsim, fake_ats, settings):
    message = halted(make_faultsim(), fake_ats, settings, applied=True)
    assert writeback_replay(message=message).status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key == {message.idempotency_key: 1}


def test_replay_of_a_delivered_write_sends_it_again_under_the_same_key(make_faultsim, fake_ats):
    (message,) = writeback_enqueue(run=scored_run(make_faultsim()), event="completed")
    writeback_deliver(message_id=message.pk)
    assert writeback_replay(message=message).status == WritebackStatus.PENDING
    writeback_deliver(message_id=message.pk)
    assert fake_ats.posts_by_key == {message.idempotency_key: 2}, "same key: an ATS that dedupes ignores it"
    assert list(fake_ats.results) == [message.idempotency_key]


def test_a_write_being_delivered_cannot_be_replayed(make_faultsim, fake_ats):
    (message,) = writeback_enqueue(run=scored_run(make_faultsim()), event="completed")
    WritebackMessage.objects.filter(pk=message.pk).update(status=WritebackStatus.DELIVERING)
    with pytest.raises(WritebackNotReplayable):
        writeback_replay(message=message, force=True)
