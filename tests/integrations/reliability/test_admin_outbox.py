"""The staff outbox / dead-letter admin: what needs attention is visible, with counts, and can
be replayed one at a time or in bulk without duplicating writes the ATS already has."""

import pytest
from django.urls import reverse

from integrations.models import WritebackMessage, WritebackStatus
from tests.factories import AssessmentRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(make_faultsim, fake_ats):
    integration = make_faultsim()

    def make(status, n=1, **fields):
        rows = []
        for _ in range(n):
            run = AssessmentRunFactory(
                workspace=integration.workspace, integration=integration, provider="faultsim", status="scored"
            )
            rows.append(
                WritebackMessage.objects.create(
                    integration=integration,
                    run=run,
                    kind="result",
                    event="completed",
                    idempotency_key=f"{integration.pk}:{run.pk}:result:completed",
                    status=status,
                    **fields,
                )
            )
        return rows

    return make


def test_dead_letters_page_lists_only_dead_and_halted_with_the_reason(admin_client, outbox):
    (dead,) = outbox(WritebackStatus.DEAD, last_error="Scorecard field missing")
    outbox(WritebackStatus.HALTED, halted_count=1)
    outbox(WritebackStatus.CONFIRMED)
    response = admin_client.get(reverse("admin:integrations_writebackdeadletter_changelist"))
    assert response.status_code == 200
    assert b"Scorecard field missing" in response.content
    assert response.context["cl"].result_count == 2
    assert b"outcomes unknown so far" in response.content


def test_outbox_page_counts_every_status_and_filters_what_needs_attention(admin_client, outbox):
    outbox(WritebackStatus.DEAD, 2)
    outbox(WritebackStatus.NEEDS_REAUTH)
    outbox(WritebackStatus.CONFIRMED, 3)
    url = reverse("admin:integrations_writebackmessage_changelist")
    response = admin_client.get(url)
    assert dict(response.context["outbox_counts"])["Dead letter"] == 2
    assert admin_client.get(url, {"attention": "yes"}).context["cl"].result_count == 3


def test_single_replay_asks_first_then_sends_again(admin_client, outbox, fake_ats):
    (dead,) = outbox(WritebackStatus.DEAD)
    url = reverse("admin:integrations_writebackmessage_replay", args=[dead.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and b"Send anyway" in page.content
    dead.refresh_from_db()
    assert dead.status == WritebackStatus.DEAD, "a GET changes nothing"
    response = admin_client.post(url, {"mode": "replay"})
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == WritebackStatus.PENDING and dead.replay_count == 1


def test_replaying_a_halted_write_the_ats_already_has_confirms_it_instead(admin_client, outbox, fake_ats):
    (halted,) = outbox(WritebackStatus.HALTED, halted_count=1)
    fake_ats.results[halted.idempotency_key] = {"id": "res_1"}
    admin_client.post(
        reverse("admin:integrations_writebackmessage_replay", args=[halted.pk]), {"mode": "replay"}
    )
    halted.refresh_from_db()
    assert halted.status == WritebackStatus.CONFIRMED
    assert fake_ats.posts_by_key == {}


def test_bulk_replay_requeues_the_selected_dead_letters(admin_client, outbox):
    dead = outbox(WritebackStatus.DEAD, 3)
    (confirmed,) = outbox(WritebackStatus.CONFIRMED)
    response = admin_client.post(
        reverse("admin:integrations_writebackdeadletter_changelist"),
        {"action": "replay", "_selected_action": [m.pk for m in dead]},
        follow=True,
    )
    assert b"3 write-back(s) queued again" in response.content
    assert set(
        WritebackMessage.objects.filter(pk__in=[m.pk for m in dead]).values_list("status", flat=True)
    ) == {WritebackStatus.PENDING}
    confirmed.refresh_from_db()
    assert confirmed.status == WritebackStatus.CONFIRMED


def test_send_anyway_in_bulk_needs_a_confirmation(admin_client, outbox):
    rows = outbox(WritebackStatus.CONFIRMED, 2)
    url = reverse("admin:integrations_writebackmessage_changelist")
    data = {"action": "replay_anyway", "_selected_action": [m.pk for m in rows]}
    page = admin_client.post(url, data)
    assert page.status_code == 200 and b"can create duplicates" in page.content
    assert WritebackMessage.objects.filter(status=WritebackStatus.PENDING).count() == 0
    admin_client.post(url, {**data, "confirmed": "yes"})
    assert WritebackMessage.objects.filter(status=WritebackStatus.PENDING).count() == 2


def test_outbox_admin_is_staff_only(client, user, outbox):
    (dead,) = outbox(WritebackStatus.DEAD)
    client.force_login(user)
    response = client.get(reverse("admin:integrations_writebackmessage_replay", args=[dead.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
