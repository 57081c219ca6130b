"""Ashby webhooks keep the synced copy current between runs: the application a stage-change
carries is stored at once (never older over newer), the record is re-read with a targeted
refresh, deletions and merges are applied, and the whole path works against the simulator."""

from __future__ import annotations

import json

import pytest

from integrations.models import IntegrationActivity, WebhookEvent, WebhookStatus
from integrations.providers.ashby import simulator_state as sim
from integrations.providers.ashby import simulator_sync as sim_sync
from integrations.providers.ashby import simulator_sync_data as sim_data
from integrations.services.webhooks import webhook_event_process
from integrations.sync.models import Application, Candidate, DeletionReason, Job, SeenVia
from integrations.sync.records import Applied
from integrations.sync.refresh import sync_record_refresh_task
from integrations.sync.services import sync_integration
from tests.integrations.providers.ashby.helpers import ashby_integration, fixture, post_webhook, sign_real

APP_ID = "c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f"
CANDIDATE_ID = "8f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"
REFRESH = "integrations.sync.refresh.sync_record_refresh_task"


def deliver(client, integration, body: bytes, capture) -> WebhookEvent:
    post_webhook(client, integration, body, sign_real(body))
    event = WebhookEvent.objects.filter(integration=integration).order_by("-pk").first()
    with capture(execute=True):
        webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, event.error
    return event


def subscribe(ashby, *actions: str) -> None:
    """Webhooks of these types in the sandbox account, to this integration's URL, signed with its secret."""
    for action in actions:
        sim.put(
            "webhook",
            f"wh-{action}",
            {
                "account": ashby.account,
                "webhookType": action,
                "requestUrl": f"http://testserver/webhooks/ashby/{ashby.public_id}/",
                "secretToken": "whsec_sync_test_0001",
                "enabled": True,
            },
        )


def refreshes(enqueued) -> list[tuple]:
    return [call[2:] for call in enqueued if call[0] == REFRESH]


@pytest.mark.django_db
def test_stage_change_stores_the_application_and_its_new_candidate_without_re_reading_them(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks)

    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.stage_title == "Assessment" and application.last_seen_via == SeenVia.WEBHOOK
    assert application.candidate_external_id == CANDIDATE_ID
    candidate = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert (candidate.name, candidate.email) == ("Robin Sample", "robin.sample@example.com")
    assert application.candidate == candidate
    assert refreshes(enqueued) == [], "the payload carried both: no read from Ashby"


def redelivered(name: str, n: int, *, candidate: dict | None = None, **application) -> bytes:
    """Fixture `name` as a new Ashby event (its own webhookActionId); application fields set to
    the given values, or removed when None."""
    payload = json.loads(fixture(name))
    payload["webhookActionId"] = f"{payload['webhookActionId'][:-4]}{n:04d}"
    payload["data"]["application"].update(application)
    if candidate is not None:
        payload["data"]["application"]["candidate"] = candidate
    for key in [k for k, v in application.items() if v is None]:
        del payload["data"]["application"][key]
    return json.dumps(payload).encode()


@pytest.mark.django_db
def test_the_payload_never_overwrites_a_candidate_we_hold(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    Candidate.objects.create(
        integration=integration,
        external_id=CANDIDATE_ID,
        name="Robin Sample-Jones",
        profile_url="https://app.ashbyhq.com/candidates/robin",
    )
    body = redelivered("candidateStageChange", 1, candidate={"id": CANDIDATE_ID, "name": "Robin Sample"})
    deliver(client, integration, body, django_capture_on_commit_callbacks)

    candidate = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert candidate.name == "Robin Sample-Jones" and candidate.profile_url.endswith("/robin")
    assert Application.objects.get(integration=integration, external_id=APP_ID).candidate == candidate


@pytest.mark.django_db
def test_an_application_event_of_a_deleted_candidate_does_not_bring_it_back(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("candidateDelete"), django_capture_on_commit_callbacks)
    deliver(client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks)

    candidate = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert candidate.deletion_reason == DeletionReason.DELETED and candidate.name == ""


@pytest.mark.django_db
def test_a_candidate_the_payload_does_not_name_is_read_from_ashby(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    body = redelivered("candidateStageChange", 1, candidate={"id": CANDIDATE_ID})
    deliver(client, integration, body, django_capture_on_commit_callbacks)

    assert refreshes(enqueued) == [("candidates", CANDIDATE_ID)]
    assert not Candidate.objects.filter(integration=integration).exists()


@pytest.mark.django_db
def test_an_application_event_without_updated_at_is_re_read_from_ashby(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    body = redelivered("candidateStageChange", 1, updatedAt=None)
    deliver(client, integration, body, django_capture_on_commit_callbacks)

    assert Application.objects.get(integration=integration, external_id=APP_ID).stage_title == "Assessment"
    assert ("applications", APP_ID) in refreshes(enqueued)


@pytest.mark.django_db
def test_a_burst_of_webhooks_for_one_record_queues_one_refresh_until_it_runs(
    client, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    integration = ashby_integration()
    for n in range(3):
        deliver(
            client,
            integration,
            redelivered("applicationUpdate", n, candidate={"id": CANDIDATE_ID}, updatedAt=None),
            django_capture_on_commit_callbacks,
        )
    assert refreshes(enqueued).count(("applications", APP_ID)) == 1
    assert refreshes(enqueued).count(("candidates", CANDIDATE_ID)) == 1

    # The refresh starts: a webhook after that may carry a change its read missed, so it queues
    # a refresh of its own.
    monkeypatch.setattr("integrations.sync.refresh.sync_record_refresh", lambda **kw: Applied(written=1))
    assert sync_record_refresh_task(integration.pk, "applications", APP_ID) == 1
    deliver(
        client,
        integration,
        redelivered("applicationUpdate", 9, candidate={"id": CANDIDATE_ID}, updatedAt=None),
        django_capture_on_commit_callbacks,
    )
    assert refreshes(enqueued).count(("applications", APP_ID)) == 2
    assert refreshes(enqueued).count(("candidates", CANDIDATE_ID)) == 1, "its refresh is still waiting"


@pytest.mark.django_db
def test_an_older_application_event_does_not_overwrite_a_newer_copy(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("candidateHire"), django_capture_on_commit_callbacks)  # 2026-03-20
    deliver(
        client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks
    )  # 2026-03-04

    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.stage_title == "Hired" and application.status == "Hired"


@pytest.mark.django_db
def test_candidate_delete_removes_personal_data_and_applications(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("applicationSubmit"), django_capture_on_commit_callbacks)
    assert Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID).email  # from the payload

    deliver(client, integration, fixture("candidateDelete"), django_capture_on_commit_callbacks)

    candidate = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert candidate.deletion_reason == DeletionReason.DELETED and candidate.deleted_at
    assert candidate.name == "" and candidate.email == ""
    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.deleted_at and application.deletion_reason == DeletionReason.DELETED
    assert IntegrationActivity.objects.filter(integration=integration, kind="sync.record_removed").exists()


@pytest.mark.django_db
def test_candidate_merge_moves_applications_to_the_surviving_candidate(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    survivor_id = json.loads(fixture("candidateMerge"))["data"]["mergedCandidate"]["id"]
    survivor = Candidate.objects.create(integration=integration, external_id=survivor_id, name="Robin S.")
    deliver(client, integration, fixture("applicationSubmit"), django_capture_on_commit_callbacks)

    deliver(client, integration, fixture("candidateMerge"), django_capture_on_commit_callbacks)

    gone = Candidate.objects.get(integration=integration, external_id=CANDIDATE_ID)
    assert gone.deletion_reason == DeletionReason.MERGED and gone.merged_into_external_id == survivor_id
    application = Application.objects.get(integration=integration, external_id=APP_ID)
    assert application.candidate == survivor and application.deleted_at is None
    assert ("candidates", survivor_id) in refreshes(enqueued)


@pytest.mark.django_db
def test_job_update_queues_a_job_refresh_instead_of_storing_the_unexpanded_job(
    client, enqueued, django_capture_on_commit_callbacks
):
    integration = ashby_integration()
    deliver(client, integration, fixture("jobUpdate"), django_capture_on_commit_callbacks)
    assert not Job.objects.filter(integration=integration).exists()
    assert ("jobs", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d") in refreshes(enqueued)


@pytest.mark.django_db
def test_turned_off_sync_keeps_no_copy(client, enqueued, django_capture_on_commit_callbacks):
    integration = ashby_integration(provider_settings={"sync_enabled": False})
    deliver(client, integration, fixture("candidateStageChange"), django_capture_on_commit_callbacks)
    assert not Application.objects.filter(integration=integration).exists() and not refreshes(enqueued)


@pytest.mark.django_db
def test_targeted_refresh_reads_the_application_from_ashby(ashby):
    sync_integration(integration=ashby)
    application = sim.list_for("application", ashby.account)[0]
    sim_data.touch("application", application.key, status="Archived")

    assert sync_record_refresh_task(ashby.pk, "applications", application.key) == 1

    row = Application.objects.get(integration=ashby, external_id=application.key)
    assert row.status == "Archived" and row.last_seen_via == SeenVia.WEBHOOK


@pytest.mark.django_db
def test_targeted_refresh_of_a_record_ashby_no_longer_has_removes_it(ashby):
    sync_integration(integration=ashby)
    application = sim.list_for("application", ashby.account)[0]
    application.delete()

    sync_record_refresh_task(ashby.pk, "applications", application.key)

    row = Application.objects.get(integration=ashby, external_id=application.key)
    assert row.deletion_reason == DeletionReason.NOT_FOUND


@pytest.mark.django_db
def test_simulated_ashby_sends_delete_and_stage_change_webhooks_that_update_the_copy(
    ashby, enqueued, django_capture_on_commit_callbacks
):
    sync_integration(integration=ashby)
    subscribe(ashby, "candidateDelete", "candidateStageChange")
    target = ashby.candidates[0]
    moving = next(
        a for a in sim.list_for("application", ashby.account) if a.data["candidate_id"] != target.key
    )

    sim_sync.candidate_delete(ashby.account, target.key)
    sim_sync.application_move(ashby.account, moving.key, "Onsite")
    with django_capture_on_commit_callbacks(execute=True):
        for event in WebhookEvent.objects.filter(integration=ashby).order_by("pk"):
            webhook_event_process(event_id=event.pk)

    assert (
        Candidate.objects.get(integration=ashby, external_id=target.key).deletion_reason
        == DeletionReason.DELETED
    )
    assert Application.objects.get(integration=ashby, external_id=moving.key).stage_title == "Onsite"


@pytest.mark.django_db
def test_a_candidate_stored_from_a_webhook_is_completed_by_the_next_scheduled_sync(
    ashby, enqueued, django_capture_on_commit_callbacks
):
    subscribe(ashby, "candidateStageChange")
    moving = sim.list_for("application", ashby.account)[0]
    sim_sync.application_move(ashby.account, moving.key, "Onsite")
    with django_capture_on_commit_callbacks(execute=True):
        for event in WebhookEvent.objects.filter(integration=ashby).order_by("pk"):
            webhook_event_process(event_id=event.pk)
    candidate_id = moving.data["candidate_id"]
    stored = Candidate.objects.get(integration=ashby, external_id=candidate_id)
    assert stored.name and not stored.profile_url, "the payload has no profile URL"
    assert not refreshes(enqueued)

    sync_integration(integration=ashby)

    stored.refresh_from_db()
    assert stored.profile_url == f"https://app.ashbyhq.com/candidates/{candidate_id}"
    application = Application.objects.get(integration=ashby, external_id=moving.key)
    assert application.stage_title == "Onsite" and application.candidate == stored


@pytest.mark.django_db
def test_a_simulated_hire_sends_its_three_related_webhooks_under_one_id_and_each_is_processed(
    ashby, enqueued, django_capture_on_commit_callbacks
):
    """The spec, webhooks.candidateHire: "Also triggers applicationUpdate and candidateStageChange",
    with the same webhookActionId (providers/ashby/README.md "Webhook dedupe"): the sandbox sends
    them so, and none is taken for a duplicate of another."""
    subscribe(ashby, "candidateHire", "applicationUpdate", "candidateStageChange")
    hired = sim.list_for("application", ashby.account)[0]

    sim_sync.application_move(ashby.account, hired.key, "Hired")
    with django_capture_on_commit_callbacks(execute=True):
        for event in WebhookEvent.objects.filter(integration=ashby).order_by("pk"):
            webhook_event_process(event_id=event.pk)

    events = list(WebhookEvent.objects.filter(integration=ashby).order_by("pk"))
    assert [e.event_type for e in events] == ["candidateHire", "applicationUpdate", "candidateStageChange"]
    assert len({json.loads(bytes(e.body))["webhookActionId"] for e in events}) == 1
    assert {e.status for e in events} == {WebhookStatus.PROCESSED}
    assert Application.objects.get(integration=ashby, external_id=hired.key).stage_title == "Hired"
