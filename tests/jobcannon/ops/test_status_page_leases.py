"""The status page's schedule table when django-q2 kept no result: Q_CLUSTER save_limit -1 keeps
only failures, so a periodic job's last run comes from its lease."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from jobcannon.core.tasks import worker_heartbeat_task

pytestmark = pytest.mark.django_db


def test_a_successful_run_whose_result_was_not_kept_still_shows_as_succeeded(staff_client):
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    heartbeat = Schedule.objects.get(name="periodic:jobcannon.core.tasks.worker_heartbeat_task")
    heartbeat.task = "c" * 32  # the scheduler's task id; its success was not saved
    heartbeat.save()
    html = staff_client.get("/admin/system-status/").content.decode()
    assert "✓" not in html

    worker_heartbeat_task()

    html = staff_client.get("/admin/system-status/").content.decode()
    assert "✓" in html
