"""A run's report page (assessments) lists the updates sent to the ATS (integrations' outbox)
without assessments reading integrations' tables: integrations fills that section through
assessments.services.hooks.report_context, subscribed from its AppConfig.ready."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.services import hooks
from assessments.services.candidate import assessment_run_submit
from integrations.models import WritebackMessage, WritebackStatus
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_run(workspace, make_run):
    """A run an ATS ordered, taken and submitted: its result is in the outbox, one try failed."""
    run = assessment_run_submit(
        run=make_run(workspace, integration=IntegrationFactory(workspace=workspace), answer=3)
    )
    WritebackMessage.objects.filter(run=run).update(status=WritebackStatus.RETRYING)
    return run


def test_the_report_lists_the_updates_sent_to_the_ats(client_in_workspace, delivered_run):
    message = WritebackMessage.objects.filter(run=delivered_run, event="completed").get()

    page = client_in_workspace.get(reverse("assessments:report", args=[delivered_run.pk])).content.decode()

    assert "Updates sent to the ATS" in page
    assert f"<td>{message.event}</td><td>{message.kind}</td>" in page
    assert f'<span class="badge retrying">{message.get_status_display()}</span>' in page


def test_without_integrations_the_report_reads_no_write_back_table(
    client_in_workspace, delivered_run, monkeypatch
):
    monkeypatch.setattr(hooks, "_report_context_sources", [])

    with CaptureQueriesContext(connection) as queries:
        response = client_in_workspace.get(reverse("assessments:report", args=[delivered_run.pk]))

    assert response.status_code == 200
    assert "Updates sent to the ATS" not in response.content.decode()
    table = WritebackMessage._meta.db_table
    assert not [q["sql"] for q in queries if table in q["sql"]]
